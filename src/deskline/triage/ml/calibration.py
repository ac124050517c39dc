"""Turning raw linear-model scores into confidences that mean what they say.

All these quantities are learned from out-of-fold scores of the training data (cross-
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


def risk_threshold(confidence: np.ndarray, right: np.ndarray, cost: float) -> float:
    """Confidence under which a text counts as out of scope, from the cost of a refusal.

    A refusal ("none of these") is counted as `cost` of a wrong answer (0.5: an agent
    triages the ticket by hand, which is better than a misrouted ticket but not free).
    The threshold is the one that costs least on out-of-fold predictions of the training
    texts: wrong answers above it count 1, refusals below it count `cost`. So the model
    refuses where its own past answers were right less than `1 - cost` of the time, and
    the rate follows from the data instead of being picked.
    """
    if len(confidence) == 0 or cost >= 1:
        return 0.0
    order = np.argsort(confidence, kind="stable")
    conf = confidence[order].astype(np.float64)
    wrong = 1.0 - right[order].astype(np.float64)
    # Threshold just above the k lowest confidences: k refusals, errors of the rest.
    errors_kept = wrong.sum() - np.concatenate([[0.0], np.cumsum(wrong)])
    loss = errors_kept + cost * np.arange(len(conf) + 1)
    # Only cut between different confidences (ties are refused or kept together).
    allowed = np.ones(len(conf) + 1, dtype=bool)
    allowed[1:-1] = conf[1:] > conf[:-1]
    k = int(np.flatnonzero(allowed)[np.argmin(loss[allowed])])
    if k == 0:
        return 0.0
    if k == len(conf):
        return float(np.nextafter(conf[-1], np.inf))
    # Midway between the last refused and the first kept text.
    return float((conf[k - 1] + conf[k]) / 2)


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
