"""The classifier on small real slices: better than guessing, calibrated, honest about
what it does not know, and the same after a save and load."""

import json
from collections import Counter

import numpy as np
import pytest

from deskline.triage.ml import ClassifierConfig, ModelFileError, TextClassifier, load_model
from deskline.triage.ml.storage import metadata_path, read_metadata, save_model
from deskline.triage.tests import shared_data


def _train(rows: list[tuple[str, str]], **config: object) -> TextClassifier:
    # The TF-IDF model alone (the ensemble has its own tests in test_ml_ensemble).
    settings = {"cv_folds": 3, "use_embeddings": False, **config}
    return TextClassifier(ClassifierConfig(**settings)).fit(  # type: ignore[arg-type]
        [t for t, _ in rows], [y for _, y in rows]
    )


def _accuracy(classifier: TextClassifier, rows: list[tuple[str, str]]) -> float:
    predicted = classifier.predict([t for t, _ in rows])
    return float(np.mean([p.best_label == y for p, (_, y) in zip(predicted, rows, strict=True)]))


@pytest.fixture(scope="module")
def english() -> tuple[TextClassifier, list, list]:
    train, test = shared_data.split(shared_data.banking77())
    return _train(train), train, test


def test_english_intents_beat_the_majority_class_on_held_out_texts(english):
    classifier, train, test = english
    majority = Counter(y for _, y in train).most_common(1)[0][0]
    baseline = np.mean([y == majority for _, y in test])
    accuracy = _accuracy(classifier, test)
    assert accuracy > 0.8 > baseline + 0.5
    metrics = classifier.metrics
    assert metrics["cv_folds"] == 3 and metrics["n_samples"] == len(train)
    assert metrics["accuracy"] > metrics["majority_accuracy"]
    assert set(metrics["per_label"]) == set(classifier.labels)


def test_arabic_intents_are_learned_from_character_ngrams():
    train, test = shared_data.split(shared_data.arbanking77())
    classifier = _train(train)
    assert _accuracy(classifier, test) > 0.75


def test_confidence_is_higher_when_right_and_thresholds_gate_applying():
    # Neighbouring intents (card_arrival, card_delivery_estimate...) are easy to confuse.
    train, test = shared_data.split(shared_data.banking77(labels=16, per_label=30, spread=False))
    classifier = _train(train)
    predictions = classifier.predict([t for t, _ in test])
    right = [p.confidence for p, (_, y) in zip(predictions, test, strict=True) if p.best_label == y]
    wrong = [p.confidence for p, (_, y) in zip(predictions, test, strict=True) if p.best_label != y]
    assert wrong and np.mean(right) > np.mean(wrong)
    for prediction in predictions:
        threshold = classifier.label_thresholds[prediction.best_label]
        expected = (
            not prediction.out_of_scope
            and threshold is not None
            and prediction.confidence >= threshold
        )
        assert prediction.apply == expected
    # Applied predictions are the confident ones, and they are right more often.
    applied = [p.best_label == y for p, (_, y) in zip(predictions, test, strict=True) if p.apply]
    assert applied and np.mean(applied) >= _accuracy(classifier, test)


def test_requests_unlike_any_known_intent_are_out_of_scope():
    data = shared_data.clinc150()
    intents = sorted({label for _, label in data["train"]})[::15][:10]
    train = [(t, y) for t, y in data["train"] if y in intents]
    known = [(t, y) for t, y in data["val"] if y in intents]
    classifier = _train(train, reject_rate=0.1)
    in_scope_rejected = np.mean([p.out_of_scope for p in classifier.predict([t for t, _ in known])])
    oos = [t for t, _ in data["oos_val"]]
    oos_recall = np.mean([p.out_of_scope for p in classifier.predict(oos)])
    # Ten narrow intents: most everyday requests fit none of them.
    assert oos_recall > 0.5
    assert in_scope_rejected < 0.25
    assert oos_recall > in_scope_rejected + 0.3


def test_out_of_scope_examples_can_be_taught_as_a_label():
    data = shared_data.clinc150()
    intents = sorted({label for _, label in data["train"]})[::15][:10]
    train = [(t, y) for t, y in data["train"] if y in intents]
    train += [(t, "none") for t, _ in data["oos_train"]]
    classifier = _train(train, reject_rate=0.0, out_of_scope_label="none")
    oos = classifier.predict([t for t, _ in data["oos_val"]])
    assert np.mean([p.out_of_scope for p in oos]) > 0.5
    assert all(p.label is None for p in oos if p.best_label == "none")


def test_save_and_load_give_the_same_predictions(english, tmp_path):
    classifier, _, test = english
    path = tmp_path / "desk" / "category.joblib"
    metadata = save_model(classifier, path, {"source": "test"})
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "category.joblib",
        "category.joblib.json",
    ]  # no temporary file left behind
    loaded = load_model(path)
    texts = [t for t, _ in test]
    assert loaded.predict(texts) == classifier.predict(texts)
    on_disk = read_metadata(path)
    assert on_disk == json.loads(json.dumps(metadata, default=str))
    assert on_disk["labels"] == classifier.labels and on_disk["source"] == "test"
    assert on_disk["metrics"]["macro_f1"] == classifier.metrics["macro_f1"]
    assert metadata_path(path).exists()


def test_unreadable_model_files_are_reported(tmp_path):
    with pytest.raises(ModelFileError, match="no model file"):
        load_model(tmp_path / "missing.joblib")
    broken = tmp_path / "broken.joblib"
    broken.write_bytes(b"not a model")
    with pytest.raises(ModelFileError, match="not a readable model file"):
        load_model(broken)


def test_training_refuses_a_single_label():
    with pytest.raises(ValueError, match="two different labels"):
        TextClassifier().fit(["a", "b", "c"], ["x", "x", "x"])


def test_the_refusal_threshold_is_the_cheapest_on_cross_validated_predictions():
    from deskline.triage.ml.calibration import risk_threshold

    confidence = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9])
    right = np.array([0, 0, 1, 0, 1, 1, 0, 1], dtype=bool)
    # Refusing the two lowest costs 2 x 0.5 and leaves 2 errors: 3, the least (refusing
    # the four lowest also costs 3; the fewer refusals win).
    assert risk_threshold(confidence, right, 0.5) == pytest.approx(0.25)
    # Refusals free: refuse everything up to the last error; as dear as an error: never.
    assert risk_threshold(confidence, right, 0.0) == pytest.approx(0.85)
    assert risk_threshold(confidence, right, 1.0) == 0.0
    assert risk_threshold(confidence, np.ones(8, dtype=bool), 0.5) == 0.0
    # Equal confidences are refused or kept together.
    tied = np.array([0.3, 0.3, 0.3, 0.9])
    assert risk_threshold(tied, np.array([0, 0, 1, 1], dtype=bool), 0.5) == pytest.approx(0.6)


def test_by_cost_none_of_these_is_where_the_model_was_mostly_wrong():
    data = shared_data.clinc150()
    intents = sorted({label for _, label in data["train"]})[::15][:10]
    train = [(t, y) for t, y in data["train"] if y in intents]
    known = [(t, y) for t, y in data["val"] if y in intents]
    classifier = _train(train, reject_rate=None)
    assert classifier.describe()["reject_rule"] == "least cost, refusal = 0.5 error"
    refused = classifier.cv_confidence < classifier.oos_threshold
    # Refusing is worth it only where the folds' answers were right at most half the time.
    assert refused.any() and np.mean(classifier.cv_right[refused]) <= 0.5
    assert classifier.metrics["cv_in_scope_rejected"] == round(float(np.mean(refused)), 4)
    in_scope_rejected = np.mean([p.out_of_scope for p in classifier.predict([t for t, _ in known])])
    oos_recall = np.mean(
        [p.out_of_scope for p in classifier.predict([t for t, _ in data["oos_val"]])]
    )
    assert oos_recall > in_scope_rejected + 0.3
    # The default rule: a fixed share of in-scope training texts.
    by_rate = _train(train)
    assert np.mean(by_rate.cv_confidence < by_rate.oos_threshold) == pytest.approx(0.05, abs=0.01)
    assert by_rate.describe()["reject_rule"] == "in-scope rate 0.05"
