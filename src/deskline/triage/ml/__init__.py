"""Triage machine learning in plain Python (no Django): text classification with
calibrated confidence and out-of-scope rejection, language detection, similarity,
model files. The Django side (triage/services) only calls what is exported here.

Exports load on first use: scikit-learn takes seconds to import, and commands that
only read a CSV or report a bad argument should not wait for it.
"""

from importlib import import_module
from typing import Any

_EXPORTS = {
    "ClassifierConfig": "deskline.triage.ml.classifier",
    "LabelPrediction": "deskline.triage.ml.classifier",
    "TextClassifier": "deskline.triage.ml.classifier",
    "detect_language": "deskline.triage.ml.language",
    "ModelFileError": "deskline.triage.ml.storage",
    "load_model": "deskline.triage.ml.storage",
    "save_model": "deskline.triage.ml.storage",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
