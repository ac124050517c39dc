"""Averaging two classifiers' scores: the TF-IDF model (words and spellings) and a
linear model on sentence embeddings (meaning, across languages).

Each model's scores are first put on a common footing (divided by the softmax
temperature that calibrates that model alone), then mixed with one weight. Both the
temperatures and the weight are read off out-of-fold scores of the training data.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from deskline.triage.ml import calibration

# Weights of the TF-IDF model tried; the embedding model gets the rest.
_WEIGHTS = np.round(np.linspace(0.0, 1.0, 21), 2)


@dataclass(frozen=True)
class Fusion:
    text_temperature: float = 1.0
    dense_temperature: float = 1.0
    # Share of the TF-IDF model in the mixed scores (1.0: TF-IDF alone).
    text_weight: float = 1.0

    def mix(self, text_scores: np.ndarray, dense_scores: np.ndarray | None) -> np.ndarray:
        mixed = self.text_weight * text_scores / self.text_temperature
        if dense_scores is not None and self.text_weight < 1.0:
            mixed = mixed + (1.0 - self.text_weight) * dense_scores / self.dense_temperature
        return mixed


def fit_fusion(text_scores: np.ndarray, dense_scores: np.ndarray, truth: np.ndarray) -> Fusion:
    """The mix of out-of-fold scores that is right most often (ties: the one with the
    lower log-loss, so the choice does not hang on a handful of texts)."""
    text_t = calibration.fit_temperature(text_scores, truth)
    dense_t = calibration.fit_temperature(dense_scores, truth)
    rows = np.arange(len(truth))
    best, best_key = Fusion(text_t, dense_t, 1.0), (-1.0, 0.0)
    for weight in _WEIGHTS:
        fusion = Fusion(text_t, dense_t, float(weight))
        mixed = fusion.mix(text_scores, dense_scores)
        accuracy = float(np.mean(mixed.argmax(axis=1) == truth))
        probabilities = calibration.softmax(mixed, 1.0)
        loss = float(-np.mean(np.log(np.clip(probabilities[rows, truth], 1e-12, None))))
        key = (round(accuracy, 4), -loss)
        if key > best_key:
            best, best_key = fusion, key
    return best


def dense_model(c: float, seed: int) -> LogisticRegression:
    """Multinomial logistic regression on L2-normalized embeddings: few dense columns,
    so it trains in seconds and its scores are log-odds a softmax reads directly."""
    return LogisticRegression(C=c, max_iter=500, random_state=seed)
