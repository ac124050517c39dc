"""Triage accuracy and speed on the public data in ../shared/data.

Every figure comes from training data only: k-fold cross-validation on a set's
training split, or training on train and scoring on val. Nothing is tuned on val.

    .venv/bin/python bench/triage.py                       # all sets, results as JSON
    .venv/bin/python bench/triage.py --only banking77 clinc150
    .venv/bin/python bench/triage.py --embeddings          # needs the `ai` extra

Prints one JSON object per set as it finishes, and writes them all to
bench/results/triage-<time>.json.
"""

import argparse
import csv
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


def _csv(relative: str) -> list[dict[str, str]]:
    with (DATA / relative).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _config(args: argparse.Namespace, **extra: object) -> ClassifierConfig:
    settings = {"cv_folds": args.folds, "use_embeddings": args.embeddings, **extra}
    return ClassifierConfig(**settings)  # type: ignore[arg-type]


def _cross_validated(name: str, texts: list[str], labels: list[str], args) -> dict:
    """The classifier's own k-fold cross-validation (out-of-fold predictions)."""
    started = time.perf_counter()
    classifier = TextClassifier(_config(args)).fit(texts, labels)
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
        "fit_seconds_with_cv": round(time.perf_counter() - started, 1),
    }


def _held_out(name: str, train: list, test: list, args, **config: object) -> tuple[dict, object]:
    started = time.perf_counter()
    classifier = TextClassifier(_config(args, **config)).fit(
        [t for t, _ in train], [y for _, y in train]
    )
    fit_seconds = time.perf_counter() - started
    predictions = classifier.predict([t for t, _ in test])
    truth = [y for _, y in test]
    metrics = summarize(truth, [p.best_label for p in predictions], classifier.labels)
    return {
        "set": name,
        "protocol": "train -> val",
        "rows": len(train),
        "test_rows": len(test),
        "labels": len(classifier.labels),
        "accuracy": metrics["accuracy"],
        "macro_f1": metrics["macro_f1"],
        "majority_accuracy": round(Counter(truth).most_common(1)[0][1] / len(truth), 4),
        "fit_seconds_with_cv": round(fit_seconds, 1),
    }, classifier


def assignment_group(args) -> list[dict]:
    rows = _csv("tickets/it_ticket_assignment_grp/input_data.csv")
    texts = [join_fields([r["Short description"], r["Description"]]) for r in rows]
    return [
        _cross_validated(
            "it_ticket_assignment_grp: assignment group",
            texts,
            [r["Assignment group"] for r in rows],
            args,
        )
    ]


def endava(args) -> list[dict]:
    rows = _csv("tickets/endava_it_tickets/all_tickets.csv")
    texts = [join_fields([r["title"], r["body"]]) for r in rows]
    return [
        _cross_validated(f"endava_it_tickets: {field}", texts, [r[field] for r in rows], args)
        for field in ("category", "urgency")
    ]


def banking77(args) -> list[dict]:
    rows = _csv("intents/banking77/train.csv")
    texts = [r["text"] for r in rows]
    result = _cross_validated("banking77", texts, [r["category"] for r in rows], args)
    # Training time for 10k tickets, without the cross-validation pass.
    started = time.perf_counter()
    classifier = TextClassifier(_config(args, cv_folds=0)).fit(texts, [r["category"] for r in rows])
    result["fit_seconds_10k_without_cv"] = round(time.perf_counter() - started, 1)
    result["latency_ms"] = _latency(classifier, texts[::50])
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
    result, classifier = _held_out("arbanking77 (MSA+PAL val)", train, test, args)
    result["latency_ms"] = _latency(classifier, [t for t, _ in test[::25]])
    return [result]


def clinc150(args) -> list[dict]:
    data = json.loads((DATA / "intents/clinc150/data.json").read_text(encoding="utf-8"))
    train = [tuple(r) for r in data["train"]]
    test = [tuple(r) for r in data["val"]]
    oos = [t for t, _ in data["oos_val"]]
    results = []
    variants = [
        ("threshold only", {}, train),
        (
            "oos_train as a label",
            {"out_of_scope_label": "oos"},
            train + [(t, "oos") for t, _ in data["oos_train"]],
        ),
    ]
    for variant, config, rows in variants:
        result, classifier = _held_out(f"clinc150 ({variant})", rows, test, args, **config)
        probabilities = classifier.probabilities([t for t, _ in test])
        oos_probabilities = classifier.probabilities(oos)
        labels = np.array(classifier.labels, dtype=object)
        truth = np.array([y for _, y in test], dtype=object)
        best = labels[probabilities.argmax(axis=1)]
        oos_best = labels[oos_probabilities.argmax(axis=1)]
        in_scope = truth != "oos"
        result["in_scope_accuracy_no_rejection"] = round(float(np.mean(best == truth)), 4)
        # The classifier's threshold was set on training folds at reject_rate; the
        # other rates show the trade-off (their thresholds also come from training).
        trade_off = []
        for rate in (0.05, 0.1, 0.2, 0.3):
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
        results.append(result)
    return results


def _latency(classifier, texts: list[str]) -> dict:
    classifier.predict(texts[:5])  # warm caches
    times = []
    for text in texts:
        started = time.perf_counter()
        classifier.predict([text])
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "n": len(times),
        "p50": round(statistics.median(times), 2),
        "p95": round(times[int(0.95 * (len(times) - 1))], 2),
    }


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
    parser.add_argument("--embeddings", action="store_true")
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"no data at {DATA}")
    machine = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "embeddings": args.embeddings,
    }
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
