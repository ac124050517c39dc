"""Turning raw linear-model scores into confidences that mean what they say.

All three quantities are learned from out-of-fold scores of the training data (cross-
validation), never from the data a model is later judged on.
"""

import numpy as np

# Temperatures tried: one parameter, so a grid is exact enough and never diverges.
_TEMPERATURES = np.logspace(-2.5, 1.0, 71)


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The softmax temperature that minimizes the log-loss of the true labels."""
    rows = np.arange(len(truth))
    best, best_loss = 1.0, np.inf
    for temperature in _TEMPERATURES:
        probabilities = softmax(scores, float(temperature))
        loss = -np.mean(np.log(np.clip(probabilities[rows, truth], 1e-12, None)))
        if loss < best_loss:
            best, best_loss = float(temperature), loss
    return best


def rejection_threshold(confidence: np.ndarray, reject_rate: float) -> float:
    """Confidence under which a text counts as out of scope ("none of these").

    Set so that `reject_rate` of in-scope texts fall below it: the cost in in-scope
    answers is then known in advance, and what falls below is mostly the model's own
    mistakes and texts unlike anything it was taught.
    """
    if len(confidence) == 0 or reject_rate <= 0:
        return 0.0
    return float(np.quantile(confidence, reject_rate))


def apply_thresholds(
    predicted: np.ndarray,
    confidence: np.ndarray,
    truth: np.ndarray,
    n_labels: int,
    target_precision: float,
    min_support: int = 3,
) -> list[float | None]:
    """Per label: the lowest confidence at which its predictions were right at least
    `target_precision` of the time; None when no threshold reaches that (suggest only)."""
    thresholds: list[float | None] = []
    for label in range(n_labels):
        mine = predicted == label
        if mine.sum() < min_support:
            thresholds.append(None)
            continue
        order = np.argsort(-confidence[mine])
        conf = confidence[mine][order]
        right = (truth[mine][order] == label).astype(float)
        precision = np.cumsum(right) / np.arange(1, len(right) + 1)
        # Largest accepted set (lowest threshold) whose precision still meets the target.
        enough = np.arange(1, len(right) + 1) >= min_support
        ok = np.nonzero((precision >= target_precision) & enough)[0]
        thresholds.append(float(conf[ok[-1]]) if len(ok) else None)
    return thresholds
