"""Trained models kept in memory per process, reloaded when a new version is active."""

import threading
from typing import TYPE_CHECKING

from deskline.triage.ml import load_model
from deskline.triage.models import TriageModel

if TYPE_CHECKING:  # the classifier module imports scikit-learn: seconds, at first use only
    from deskline.triage.ml import TextClassifier

_lock = threading.Lock()
# TriageModel id → classifier. Versions are immutable files, so the id is a safe key.
_cache: dict[int, "TextClassifier"] = {}
_MAX = 32


def classifier_for(model: TriageModel) -> "TextClassifier":
    from deskline.triage.services.training import model_file

    with _lock:
        cached = _cache.get(model.pk)
    if cached is not None:
        return cached
    classifier = load_model(model_file(model))
    with _lock:
        if len(_cache) >= _MAX:
            _cache.pop(next(iter(_cache)))
        _cache[model.pk] = classifier
    return classifier
