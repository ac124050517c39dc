"""Deciding "none of these": that a text fits no known label.

Two signals, both read off out-of-fold scores of the training data:

- the ensemble's calibrated confidence in its best label (low: the labels compete);
- with embeddings, the cosine similarity of the text's embedding to the nearest label
  centroid (the mean embedding of that label's training texts; low: the text is about
  something no label was taught). On CLINC150 this caught far more out-of-scope requests
  than confidence at the same in-scope cost (docs/benchmarks.md, Triage).

Without out-of-scope examples (the default) the rule refuses a text whose confidence
*or* similarity is among the lowest of the in-scope training texts, at the level where
the two together refuse `rate` of them. With out-of-scope examples (rows of
`out_of_scope_label`, held out of the classifier) a logistic regression on both signals
separates in-scope from out-of-scope training texts; its threshold also refuses `rate`
of the in-scope texts. The examples thus only set how the two signals are weighed:
a threshold chosen to maximize in-scope accuracy plus out-of-scope recall weighed 100
examples like 15,000 in-scope texts and refused 7 % of CLINC150 (docs/benchmarks.md).

A text the embedding gate answered from TF-IDF alone has no embedding: only its
confidence is judged (the gate passes only texts TF-IDF is very sure of).
"""

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold


def centroids(vectors: np.ndarray, y: np.ndarray, n_labels: int) -> np.ndarray:
    """Unit-length mean embedding of each label (zeros for a label with no rows)."""
    sums = np.zeros((n_labels, vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, y, vectors)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def nearest_similarity(vectors: np.ndarray, label_centroids: np.ndarray) -> np.ndarray:
    """Cosine similarity of each (L2-normalized) embedding to its nearest centroid."""
    if len(vectors) == 0:
        return np.zeros(0, dtype=np.float64)
    return (
        (np.asarray(vectors, dtype=np.float32) @ label_centroids.T).max(axis=1).astype(np.float64)
    )


def _logit(confidence: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(confidence, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


@dataclass(frozen=True)
class RejectRule:
    """A fitted rule. `kind`: "confidence" (one threshold), "either" (confidence or
    similarity under its threshold) or "logistic" (a linear score of both)."""

    kind: str = "confidence"
    confidence: float = 0.0
    similarity: float | None = None
    # logistic: score = w_conf * logit(confidence) + w_sim * similarity + bias
    weights: tuple[float, float, float] = (0.0, 0.0, 0.0)
    threshold: float = 0.0
    # "either" with the cascade's middle stage (classifier.py): texts that stage
    # answered carry the similarity of the *fast* engine's embedding to its own label
    # centroids, another scale, with this threshold (None: no such stage). Rules
    # pickled before it have none.
    fast_similarity: float | None = None

    def refuse(
        self,
        confidence: np.ndarray,
        similarity: np.ndarray | None,
        embedded: np.ndarray | None = None,
        fast: np.ndarray | None = None,
    ) -> np.ndarray:
        """Which texts are out of scope. `similarity` may hold anything where
        `embedded` is False (texts not embedded are judged on confidence alone);
        `fast` marks the rows whose similarity is the fast engine's."""
        confidence = np.asarray(confidence, dtype=np.float64)
        low = confidence < self.confidence
        if self.kind == "confidence" or similarity is None:
            return low
        seen = np.ones(len(confidence), dtype=bool) if embedded is None else embedded
        if self.kind == "either":
            limit = np.full(len(confidence), self.similarity or 0.0)
            if fast is not None and self.fast_similarity is not None:
                limit[np.asarray(fast, dtype=bool)] = self.fast_similarity
            far = np.asarray(similarity) < limit
            return low | (seen & far)
        score = self.score(confidence, np.asarray(similarity))
        return low | (seen & (score < self.threshold))

    def score(self, confidence: np.ndarray, similarity: np.ndarray) -> np.ndarray:
        w_conf, w_sim, bias = self.weights
        return w_conf * _logit(confidence) + w_sim * similarity + bias

    def describe(self) -> str:
        if self.kind == "either":
            fast = (
                ""
                if self.fast_similarity is None
                else f" (answered by the fast stage: < {self.fast_similarity:.4f})"
            )
            return (
                f"confidence < {self.confidence:.4f} or nearest-centroid similarity < "
                f"{self.similarity:.4f}{fast}"
            )
        if self.kind == "logistic":
            w_conf, w_sim, bias = self.weights
            return (
                f"confidence < {self.confidence:.4f} or {w_conf:.3f}·logit(confidence) + "
                f"{w_sim:.3f}·similarity + {bias:.3f} < {self.threshold:.4f}"
            )
        return f"confidence < {self.confidence:.4f}"


def fit_either(
    confidence: np.ndarray,
    similarity: np.ndarray,
    rate: float,
    embedded: np.ndarray | None = None,
) -> RejectRule:
    """Both thresholds at the same quantile of the in-scope out-of-fold values, that
    quantile chosen so that together they refuse `rate` of the texts (similarity only
    judged where `embedded`, as at prediction). The cascade's fast stage adds its own
    similarity threshold afterwards (classifier.py: its guard)."""
    confidence = np.asarray(confidence, dtype=np.float64)
    similarity = np.asarray(similarity, dtype=np.float64)
    if len(confidence) == 0 or rate <= 0:
        return RejectRule("either", 0.0, float("-inf"))
    seen = np.ones(len(confidence), dtype=bool) if embedded is None else np.asarray(embedded)

    def refused(level: float) -> tuple[float, float, float]:
        c, s = float(np.quantile(confidence, level)), float(np.quantile(similarity, level))
        return float(np.mean((confidence < c) | (seen & (similarity < s)))), c, s

    low, high = 0.0, rate  # the union refuses at least `level`, so level <= rate
    for _ in range(40):
        middle = (low + high) / 2
        if refused(middle)[0] <= rate:
            low = middle
        else:
            high = middle
    _, c, s = refused(low)
    return RejectRule("either", c, s)


def fit_logistic(
    confidence: np.ndarray,
    similarity: np.ndarray,
    out_confidence: np.ndarray,
    out_similarity: np.ndarray,
    rate: float,
    embedded: np.ndarray | None = None,
    seed: int = 0,
) -> RejectRule:
    """A logistic regression telling in-scope from out-of-scope training texts by
    confidence and similarity (classes balanced). Its threshold refuses `rate` of the
    in-scope texts, read off scores cross-fitted over 5 folds (no text scored by a model
    that saw it); texts not `embedded` (the gate) are kept, as prediction keeps them."""
    x_in = np.column_stack([_logit(confidence), similarity])
    x_out = np.column_stack([_logit(out_confidence), out_similarity])
    x = np.vstack([x_in, x_out])
    target = np.concatenate([np.ones(len(x_in), dtype=int), np.zeros(len(x_out), dtype=int)])
    model = LogisticRegression(class_weight="balanced").fit(x, target)
    w_conf, w_sim = (float(v) for v in model.coef_[0])
    weights = (w_conf, w_sim, float(model.intercept_[0]))
    if rate <= 0:
        return RejectRule("logistic", 0.0, None, weights, float("-inf"))
    cross = np.zeros(len(x))
    folds = max(2, min(5, len(x_out)))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(x, target):
        part = LogisticRegression(class_weight="balanced").fit(x[train], target[train])
        cross[test] = part.decision_function(x[test])
    seen = np.ones(len(x_in), dtype=bool) if embedded is None else np.asarray(embedded)
    score_in = cross[: len(x_in)]
    # Texts the gate skips are never refused: the share is taken among all texts.
    candidates = np.sort(score_in[seen])
    count = int(np.floor(rate * len(x_in)))
    if count <= 0 or not len(candidates):
        return RejectRule("logistic", 0.0, None, weights, float("-inf"))
    threshold = float(candidates[min(count, len(candidates) - 1)])
    return RejectRule("logistic", 0.0, None, weights, threshold)
