"""Trained models kept in memory per process, reloaded when a new version is active."""

import threading
from typing import TYPE_CHECKING

from deskline.triage.ml import load_model
from deskline.triage.models import TriageModel

if TYPE_CHECKING:  # the classifier module imports scikit-learn: seconds, at first use only
    from deskline.triage.ml import TextClassifier

_lock = threading.Lock()
# (TriageModel id, file) → classifier. Each file name is unique and never rewritten; the
# id alone can come back (a row rolled back or deleted on SQLite, every test's database)
# and would then answer with another model's classifier.
_cache: dict[tuple[int, str], "TextClassifier"] = {}
_MAX = 32


def classifier_for(model: TriageModel) -> "TextClassifier":
    from deskline.triage.services.training import model_file

    key = (model.pk, model.path)
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    classifier = load_model(model_file(model))
    with _lock:
        if len(_cache) >= _MAX:
            _cache.pop(next(iter(_cache)))
        _cache[key] = classifier
    return classifier
