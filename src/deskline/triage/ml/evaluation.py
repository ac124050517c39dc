"""Measures of a classifier, from predictions and true labels."""

from collections import Counter
from typing import Any

import numpy as np
from sklearn.metrics import f1_score, precision_recall_fscore_support


def summarize(
    truth: list[str] | np.ndarray, predicted: list[str] | np.ndarray, labels: list[str]
) -> dict[str, Any]:
    """Accuracy, macro-F1, per-label scores, the majority baseline and the confusions
    that happen most, as plain JSON-able values."""
    truth = np.asarray(truth, dtype=object)
    predicted = np.asarray(predicted, dtype=object)
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=labels, zero_division=0
    )
    counts = Counter(truth.tolist())
    majority_label, majority_count = counts.most_common(1)[0]
    confusions = Counter(
        (t, p) for t, p in zip(truth.tolist(), predicted.tolist(), strict=True) if t != p
    )
    return {
        "n_samples": len(truth),
        "n_labels": len(labels),
        "accuracy": round(float(np.mean(truth == predicted)), 4),
        "macro_f1": round(
            float(f1_score(truth, predicted, labels=labels, average="macro", zero_division=0)), 4
        ),
        "majority_label": majority_label,
        "majority_accuracy": round(majority_count / len(truth), 4),
        "per_label": {
            label: {
                "precision": round(float(p), 4),
                "recall": round(float(r), 4),
                "f1": round(float(f), 4),
                "support": int(s),
            }
            for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
        },
        "top_confusions": [
            {"true": t, "predicted": p, "count": n} for (t, p), n in confusions.most_common(10)
        ],
    }
