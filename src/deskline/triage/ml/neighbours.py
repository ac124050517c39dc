"""A k-nearest-neighbour member of the ensemble: for each label, how similar a text's
embedding is to that label's most similar training texts.

Its errors differ from the logistic regression's on the same embeddings (it answers
from single examples, the regression from a boundary), which is why it adds to the mix:
+0.006 by nested cross-validation on BANKING77 (docs/benchmarks.md, Triage, third and
fourth rounds), where k = 1 did best of 1, 2, 3, 5 and 10.

The training vectors are kept in the model file as float16 (half the size; cosine
similarities move by < 1e-3) and turned into float32 once per process for the product.
"""

from typing import Any

import numpy as np

# Score of a label with no training vector (a fold that never saw it): below any cosine.
_ABSENT = -2.0
# Query rows per matrix product: bounds the memory of scoring many texts at once
# (rows × training texts float32; 1,024 × 20,000 ≈ 80 MB).
_CHUNK = 1024
# Up to this many texts (prediction: usually one) the product runs in numpy's own loop
# on one thread: OpenBLAS splits a 10k-row product over every core, which cost 5.7 ms
# of CPU per text on the busy 2-core machine against 0.4 ms on one thread.
_FEW = 16


class NeighbourScorer:
    """Cosine similarity of a text to each label's k most similar training texts
    (their mean). Embeddings are L2-normalized, so the dot product is the cosine."""

    def __init__(self, k: int = 1) -> None:
        if k < 1:
            raise ValueError(f"k must be at least 1, not {k}")
        self.k = k
        self.n_labels = 0
        # Training vectors sorted by label; label `i` owns rows starts[i]:starts[i + 1].
        self.vectors = np.zeros((0, 0), dtype=np.float16)
        self.starts = np.zeros(1, dtype=np.int64)
        self._matrix: np.ndarray | None = None  # float32 copy, not stored

    def fit(self, vectors: np.ndarray, y: np.ndarray, n_labels: int) -> "NeighbourScorer":
        y = np.asarray(y)
        if len(vectors) != len(y):
            raise ValueError(f"{len(vectors)} vectors but {len(y)} labels")
        order = np.argsort(y, kind="stable")
        self.n_labels = n_labels
        self.vectors = np.asarray(vectors, dtype=np.float32)[order].astype(np.float16)
        counts = np.bincount(y, minlength=n_labels)
        self.starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self._matrix = None
        return self

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_matrix": None}

    def _float32(self) -> np.ndarray:
        if self._matrix is None:
            self._matrix = np.ascontiguousarray(self.vectors, dtype=np.float32)
        return self._matrix

    def scores(self, vectors: np.ndarray) -> np.ndarray:
        """One row per text, one column per label (labels without training vectors get
        a score below any similarity)."""
        out = np.full((len(vectors), self.n_labels), _ABSENT, dtype=np.float64)
        if len(vectors) == 0 or len(self.vectors) == 0:
            return out
        matrix = self._float32()
        present = np.flatnonzero(np.diff(self.starts) > 0)
        for start in range(0, len(vectors), _CHUNK):
            part = np.asarray(vectors[start : start + _CHUNK], dtype=np.float32)
            if len(part) <= _FEW:
                similarity = np.einsum("ij,kj->ik", part, matrix)
            else:
                similarity = part @ matrix.T
            out[start : start + len(part), present] = self._per_label(similarity, present)
        return out

    def _per_label(self, similarity: np.ndarray, present: np.ndarray) -> np.ndarray:
        if self.k == 1:
            # Rows are grouped by label: one reduction per group.
            return np.maximum.reduceat(similarity, self.starts[present], axis=1)
        columns = []
        for label in present:
            group = similarity[:, self.starts[label] : self.starts[label + 1]]
            k = min(self.k, group.shape[1])
            top = np.partition(group, group.shape[1] - k, axis=1)[:, -k:]
            columns.append(top.mean(axis=1))
        return np.column_stack(columns)

    @property
    def nbytes(self) -> int:
        return int(self.vectors.nbytes)
