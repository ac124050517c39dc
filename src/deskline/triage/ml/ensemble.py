"""Averaging classifiers' scores: the TF-IDF model (words and spellings), a linear
model on sentence embeddings (meaning, across languages) and, in models trained since
the fifth round, a k-nearest-neighbour scorer on the same embeddings (neighbours.py).

Each model's scores are first put on a common footing (divided by the softmax
temperature that calibrates that model alone), then mixed with weights summing to 1.
The temperatures, the weights and the gate (the TF-IDF confidence above which the
embedding, hence both embedding members, is not computed) are read off out-of-fold
scores of the training data.
"""

from dataclasses import dataclass, replace

import numpy as np
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from deskline.triage.ml import calibration

# Weights of the TF-IDF model tried; the embedding model gets the rest.
_WEIGHTS = np.round(np.linspace(0.0, 1.0, 21), 2)
# With the k-NN member: every (TF-IDF, k-NN) pair on the same 0.05 grid whose sum is at
# most 1, the logistic regression getting the rest (231 mixes). The grid the nested
# comparison of the third round used (0.9326 nested against 0.9326 chosen in-sample on
# BANKING77): fine enough, too coarse to fit noise.
_PAIRS = [(float(t), float(k)) for t in _WEIGHTS for k in _WEIGHTS if t + k <= 1.0 + 1e-9]


@dataclass(frozen=True)
class Fusion:
    text_temperature: float = 1.0
    dense_temperature: float = 1.0
    # Share of the TF-IDF model in the mixed scores (1.0: TF-IDF alone).
    text_weight: float = 1.0
    # TF-IDF confidence (its own calibrated softmax) from which the embedding model is
    # not asked at all: embedding a text is most of the prediction time, and above this
    # the ensemble's answers were hardly better on the training folds. Above 1: always.
    gate: float = 2.0
    # The k-NN member (neighbours.py): its temperature and share; the embedding model
    # gets 1 - text_weight - neighbour_weight. Fusions pickled before it have neither
    # (the class defaults apply: no share).
    neighbour_temperature: float = 1.0
    neighbour_weight: float = 0.0

    @property
    def dense_weight(self) -> float:
        return round(1.0 - self.text_weight - self.neighbour_weight, 4)

    def text_confidence(self, text_scores: np.ndarray) -> np.ndarray:
        return calibration.softmax(text_scores, self.text_temperature).max(axis=1)

    def skips(self, text_scores: np.ndarray) -> np.ndarray:
        """Rows whose embedding is not needed."""
        if self.text_weight >= 1.0 or self.gate > 1.0:
            return np.zeros(len(text_scores), dtype=bool)
        return self.text_confidence(text_scores) >= self.gate

    def mix(
        self,
        text_scores: np.ndarray,
        dense_scores: np.ndarray | None,
        skipped: np.ndarray | None = None,
        neighbour_scores: np.ndarray | None = None,
    ) -> np.ndarray:
        """Mixed scores; `skipped` rows (no embedding) stand on the TF-IDF model alone,
        on the same scale (its calibrated scores in the embedding members' place)."""
        text_part = text_scores / self.text_temperature
        mixed = self.text_weight * text_part
        if dense_scores is None or self.text_weight >= 1.0:
            return mixed
        skip = skipped is not None and skipped.any()
        dense_part = dense_scores / self.dense_temperature
        if skip:
            dense_part = np.where(skipped[:, None], text_part, dense_part)
        if neighbour_scores is None or self.neighbour_weight <= 0.0:
            return mixed + (1.0 - self.text_weight) * dense_part
        neighbour_part = neighbour_scores / self.neighbour_temperature
        if skip:
            neighbour_part = np.where(skipped[:, None], text_part, neighbour_part)
        return mixed + self.dense_weight * dense_part + self.neighbour_weight * neighbour_part


def fit_fusion(
    text_scores: np.ndarray,
    dense_scores: np.ndarray,
    truth: np.ndarray,
    neighbour_scores: np.ndarray | None = None,
) -> Fusion:
    """The mix of out-of-fold scores that is right most often (ties: the one with the
    lower log-loss, so the choice does not hang on a handful of texts)."""
    text_t = calibration.fit_temperature(text_scores, truth)
    dense_t = calibration.fit_temperature(dense_scores, truth)
    if neighbour_scores is None:
        candidates = [Fusion(text_t, dense_t, float(w)) for w in _WEIGHTS]
    else:
        neighbour_t = calibration.fit_temperature(neighbour_scores, truth)
        candidates = [
            Fusion(text_t, dense_t, t, neighbour_temperature=neighbour_t, neighbour_weight=k)
            for t, k in _PAIRS
        ]
    rows = np.arange(len(truth))
    best, best_key = Fusion(text_t, dense_t, 1.0), (-1.0, 0.0)
    for fusion in candidates:
        mixed = fusion.mix(text_scores, dense_scores, neighbour_scores=neighbour_scores)
        accuracy = float(np.mean(mixed.argmax(axis=1) == truth))
        probabilities = calibration.softmax(mixed, 1.0)
        loss = float(-np.mean(np.log(np.clip(probabilities[rows, truth], 1e-12, None))))
        key = (round(accuracy, 4), -loss)
        if key > best_key:
            best, best_key = fusion, key
    return best


# TF-IDF confidences tried as the gate, from the highest down.
_GATES = np.round(np.arange(0.99, 0.49, -0.01), 2)


def fit_gate(
    fusion: Fusion,
    text_scores: np.ndarray,
    dense_scores: np.ndarray,
    truth: np.ndarray,
    tolerance: float,
    neighbour_scores: np.ndarray | None = None,
) -> Fusion:
    """The lowest TF-IDF confidence from which the TF-IDF model alone lost at most
    `tolerance` of all out-of-fold answers against the ensemble, at that level and at
    every level above it; no gate when even 0.99 loses more."""
    confidence = fusion.text_confidence(text_scores)
    text_right = text_scores.argmax(axis=1) == truth
    mixed = fusion.mix(text_scores, dense_scores, neighbour_scores=neighbour_scores)
    mixed_right = mixed.argmax(axis=1) == truth
    allowed = tolerance * len(truth)
    gate = 2.0
    for level in _GATES:
        above = confidence >= level
        if int(mixed_right[above].sum()) - int(text_right[above].sum()) > allowed:
            break
        gate = float(level)
    return replace(fusion, gate=gate)


def dense_model(c: float, seed: int) -> LogisticRegression:
    """Multinomial logistic regression on L2-normalized embeddings: few dense columns,
    so it trains in seconds and its scores are log-odds a softmax reads directly."""
    return LogisticRegression(C=c, max_iter=500, random_state=seed)


def fit_dense(model: LogisticRegression, vectors: np.ndarray, y: np.ndarray) -> LogisticRegression:
    """Fit the embedding model with numpy's BLAS on one thread. Its products are small
    (texts x 384 by 384 x labels), too small for OpenBLAS to gain from splitting them:
    on the busy 2-core machine two threads made a BANKING77 fit (10k texts) take
    22-24 s instead of 4.1-4.4 s, and six times the CPU (docs/benchmarks.md, Triage,
    sixth round). Training runs it six times (five folds and the final fit)."""
    with threadpool_limits(limits=1, user_api="blas"):
        return model.fit(vectors, y)


# Calibrated confidences of the cascade's fast stage tried as its threshold, from the
# highest down (below 0.3 a 77-label softmax is rarely sure of anything).
_STAGE_LEVELS = np.round(np.arange(0.99, 0.29, -0.01), 2)


def fit_stage(
    confidence: np.ndarray,
    fast_right: np.ndarray,
    full_right: np.ndarray,
    routed: np.ndarray,
    tolerance: float,
) -> float:
    """The cascade's middle stage (classifier.py): the lowest confidence of the fast
    stage from which answering `routed` texts (those the TF-IDF gate passed on) with it
    instead of the full ensemble lost at most `tolerance` of all out-of-fold answers, at
    that level and every level above it; above 1 (never answers) when even 0.99 loses
    more. The same rule as `fit_gate`, one stage further."""
    allowed = tolerance * len(full_right)
    stage = 2.0
    for level in _STAGE_LEVELS:
        above = routed & (confidence >= level)
        if int(full_right[above].sum()) - int(fast_right[above].sum()) > allowed:
            break
        stage = float(level)
    return stage
