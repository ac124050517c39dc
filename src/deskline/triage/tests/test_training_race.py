"""Two trainings of one desk and field at once: each gets its own version and file, and
the active model's file is the one its metrics describe."""

import threading

import pytest
from django.db import connections

from deskline.desks.services import create_category, create_desk
from deskline.tickets.services import open_ticket, update_ticket
from deskline.triage.ml import ClassifierConfig, TextClassifier
from deskline.triage.ml.storage import load_model, read_metadata
from deskline.triage.models import TriageModel
from deskline.triage.services import train_from_tickets
from deskline.triage.services.training import model_file
from deskline.triage.tests import shared_data
from deskline.triage.tests.conftest import slug


@pytest.mark.django_db(transaction=True)
def test_two_trainings_at_once_each_keep_their_own_version_and_file(make_user, monkeypatch):
    desk = create_desk(name="Race", slug="race", prefix="RACE")
    rows = shared_data.banking77(labels=3, per_label=12)
    for intent in sorted({y for _, y in rows}):
        create_category(desk, name=intent, slug=slug(intent))
    requester = make_user()
    for text, intent in rows:
        ticket = open_ticket(desk=desk, subject=text[:80], body_text=text, requester=requester)
        update_ticket(ticket, actor=None, changes={"category": slug(intent), "status": "solved"})
    first = train_from_tickets(desk, "category", ClassifierConfig(cv_folds=3))
    assert first.version == 1

    # Different settings, so each file's classifier tells which training wrote it.
    configs = [ClassifierConfig(cv_folds=3), ClassifierConfig(cv_folds=4)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(configs), timeout=300)
    fit = TextClassifier.fit

    def fit_then_wait(self, *args, **kwargs):  # noqa: ANN001, ANN202
        # Fitting takes seconds, and longer with more folds: both trainings leave it
        # together, so they number and write their models at the same moment.
        fitted = fit(self, *args, **kwargs)
        barrier.wait()
        return fitted

    monkeypatch.setattr(TextClassifier, "fit", fit_then_wait)

    def train(config: ClassifierConfig) -> None:
        try:
            train_from_tickets(desk, "category", config)
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=train, args=(c,)) for c in configs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors

    models = list(TriageModel.objects.filter(desk=desk, target="category").order_by("version"))
    assert [m.version for m in models] == [1, 2, 3]
    assert len({m.path for m in models}) == 3
    assert [m.active for m in models] == [False, False, True]
    folds = set()
    for model in models:
        path = model_file(model)
        classifier = load_model(path)
        # The file is the one the row describes, and its sidecar says which version.
        assert classifier.describe()["metrics"] == model.metrics["metrics"]
        assert classifier.config.cv_folds == model.metrics["config"]["cv_folds"]
        assert read_metadata(path)["version"] == model.version
        folds.add(classifier.config.cv_folds)
    assert folds == {3, 4}
    assert {m.metrics["config"]["cv_folds"] for m in models[1:]} == {3, 4}
