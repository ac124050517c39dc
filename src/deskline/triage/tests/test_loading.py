"""The per-process classifier cache answers with the file the row names."""

from deskline.triage.ml import ClassifierConfig
from deskline.triage.models import TriageModel
from deskline.triage.services import train_from_tickets
from deskline.triage.services.loading import classifier_for


def test_a_model_id_seen_again_with_another_file_loads_that_file(history):
    first = classifier_for(history.model)
    newer = train_from_tickets(history.desk, "category", ClassifierConfig(cv_folds=4))
    # The id of a row rolled back or deleted comes back on SQLite (and in every test's
    # database): the cache must not answer with the classifier of the earlier row.
    reused = TriageModel(pk=history.model.pk, desk=history.desk, target="category")
    reused.path = newer.path
    loaded = classifier_for(reused)
    assert loaded is not first
    assert loaded.config.cv_folds == 4 and first.config.cv_folds == 3
    assert classifier_for(history.model) is first
