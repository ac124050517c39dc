"""The cheaper ways of reading and ranking the window (issue #7) must find and rank
exactly what the plain ones do, and never a document the user may not see. Same
tests on both backends (DATABASE_URL for PostgreSQL); the SQLite-only test compares
the SQL bm25 with FTS5's own."""

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import override_settings

from deskline.search.access import user_tokens
from deskline.search.backends import get_backend, sqlite_bm25
from deskline.search.backends.base import ALL, ANY
from deskline.search.models import Kind, SearchDocument
from deskline.search.services import Filters, search
from deskline.search.text import query_tokens
from deskline.tickets.access import agent_desk_ids, visible_tickets_for_user
from deskline.tickets.services import add_message

pytestmark = pytest.mark.django_db

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="compares with FTS5's bm25()"
)


@pytest.fixture
def corpus(make_user, agent_on, support_desk, it_desk, indexed_ticket, committed):
    """Tickets of two desks and two requesters whose words repeat, sit in the title or
    the body, next to each other or not, with an internal note among the messages."""
    alice = make_user("alice@example.com")
    bob = make_user("bob@example.com")
    texts = [
        ("Sprocket sprocket", "gear gear gear sprocket"),
        ("Gear", "the sprocket is fine but the gear is not"),
        ("Chain", "chain gear chain gear chain"),
        ("Sprocket chain gear", "all three"),
        ("Nothing", "unrelated words only"),
        ("Gear gear", ""),
    ]
    tickets = []
    for i, (title, body) in enumerate(texts * 3):
        desk = support_desk if i % 3 else it_desk
        requester = alice if i % 2 else bob
        tickets.append(indexed_ticket(desk, requester, title, body_text=body or "x"))
    agent = agent_on(support_desk)
    committed(add_message, tickets[1], actor=agent, body_text="gear sprocket note", internal=True)
    # Stale tokens: Alice's newest ticket (on Support) indexed as if it were Bob's on
    # IT. The index then hands it first to their scans; the permission condition
    # must drop it before it takes a place in their window.
    SearchDocument.objects.filter(ticket_id=tickets[-1].pk).update(
        access=f"d{it_desk.pk} r{bob.pk}"
    )
    return {"alice": alice, "bob": bob, "agent": agent, "it_agent": agent_on(it_desk)}


@sqlite_only
@pytest.mark.parametrize("query", ["gear", "sprocket gear", "chain sprocket gear", "word gear"])
@pytest.mark.parametrize("match", [ANY, ALL])
def test_sql_bm25_equals_fts5_bm25(corpus, query, match):
    backend = get_backend()
    terms = query_tokens(query)
    documents = SearchDocument.objects.all()
    ours = list(backend.ranked(documents, terms, match).values_list("id", "rank"))
    fts5 = list(
        backend._joined(documents, terms, match)  # type: ignore[attr-defined]
        .extra(select={"rank": "-bm25(search_fts, 4.0, 1.0, 0.0)"}, order_by=["-rank", "-id"])
        .values_list("id", "rank")
    )
    assert [pk for pk, _ in ours] == [pk for pk, _ in fts5]
    assert ours or (match == ALL and query == "word gear")
    for (_, a), (_, b) in zip(ours, fts5, strict=True):
        assert a == pytest.approx(b, rel=1e-9)


@sqlite_only
@pytest.mark.parametrize("query", ["gear", "sprocket gear", "chain sprocket gear", "word gear"])
@pytest.mark.parametrize("match", [ANY, ALL])
def test_window_ranked_in_python_equals_sql_bm25(corpus, query, match):
    """The window's rows are ranked in Python (sqlite_bm25.scores): the same scores,
    to the last bit, as the SQL expression every other ranking uses, so the window's
    hits and the articles' merge in the right order."""
    backend = get_backend()
    terms = query_tokens(query)
    documents = SearchDocument.objects.filter(kind__in=[Kind.TICKET, Kind.MESSAGE])
    in_sql = dict(backend.ranked(documents, terms, match).values_list("id", "rank"))
    window = backend.newest_ranked(documents, terms, match, 1000)
    assert [pk for pk, _ in window] == sorted(in_sql, reverse=True)
    assert window or (match == ALL and query == "word gear")
    assert [rank for _, rank in window] == [in_sql[pk] for pk, _ in window]
    # The limit cuts the newest.
    assert backend.newest_ranked(documents, terms, match, 2) == window[:2]


@pytest.mark.parametrize("query", ["gear", "sprocket gear", "chain sprocket gear"])
@pytest.mark.parametrize("match", [ANY, ALL])
def test_top_ranked_is_the_head_of_ranked(corpus, query, match):
    """top_ranked (articles and people are ranked with it) gives the head of ranked()'s
    order, ties to the higher id, with or without access tokens."""
    backend = get_backend()
    terms = query_tokens(query)
    documents = SearchDocument.objects.all()
    for access in (None, user_tokens(corpus["alice"])):
        ranked = backend.ranked(documents, terms, match, access=access)
        full = [(rank, pk) for pk, rank in ranked.values_list("id", "rank")]
        assert full
        for limit in (1, 3, 100):
            top = backend.top_ranked(documents, terms, match, limit, access=access)
            assert [pk for _, pk in top] == [pk for _, pk in full[:limit]]
            assert [rank for rank, _ in top] == pytest.approx([rank for rank, _ in full[:limit]])


@sqlite_only
def test_sql_bm25_counts_words_as_they_are_now(corpus, admin_user, support_desk, indexed_ticket):
    """Counts of few documents are read at every query (only large ones are kept a
    while), so a new document changes the next score at once, as with bm25()."""
    backend = get_backend()
    documents = SearchDocument.objects.all()
    before = dict(backend.ranked(documents, ["chain"], ANY).values_list("id", "rank"))
    for i in range(3):
        indexed_ticket(support_desk, corpus["alice"], f"Chain {i}", body_text="chain")
    after = dict(backend.ranked(documents, ["chain"], ANY).values_list("id", "rank"))
    assert all(after[pk] < rank for pk, rank in before.items())
    assert "chain" not in sqlite_bm25._counts


def plans() -> list[tuple[str, Callable[[pytest.MonkeyPatch], None]]]:
    """Settings of the backend's plan constants that force each way of reading the
    window (narrow bands so that a handful of documents spans several)."""
    if connection.vendor == "postgresql":
        from deskline.search.backends import postgres

        def gin(m: pytest.MonkeyPatch) -> None:
            m.setattr(postgres, "FIRST_BAND", 3)
            m.setattr(postgres, "WALK_SPAN", 0)

        def walk(m: pytest.MonkeyPatch) -> None:
            m.setattr(postgres, "FIRST_BAND", 3)
            m.setattr(postgres, "WALK_SPAN", 10**12)
            m.setattr(postgres, "BAND_CAP", 10**12)
            m.setattr(postgres, "walks", lambda access: True)

        def mixed(m: pytest.MonkeyPatch) -> None:
            m.setattr(postgres, "FIRST_BAND", 2)
            m.setattr(postgres, "WALK_SPAN", 4)
            m.setattr(postgres, "BAND_CAP", 4)
            m.setattr(postgres, "walks", lambda access: True)

        def estimated(m: pytest.MonkeyPatch) -> None:
            # A first band from the statistics, too narrow or every id.
            mixed(m)
            m.setattr(postgres, "first_span", lambda *args: 3)

        def everything(m: pytest.MonkeyPatch) -> None:
            m.setattr(postgres, "first_span", lambda *args: 10**9)

        def unbucketed(m: pytest.MonkeyPatch) -> None:
            # An agent's bands read the desk's words without id buckets (wide bands).
            gin(m)
            m.setattr(postgres, "MAX_BUCKETS", 0)

        def admin_plain_words(m: pytest.MonkeyPatch) -> None:
            # More desks than an admin's bands name: the plain words, walked or GIN.
            m.setattr(postgres, "ADMIN_DESKS", 0)
            mixed(m)

        return [
            ("admin plain words", admin_plain_words),
            ("gin", gin),
            ("walk", walk),
            ("mixed", mixed),
            ("estimated", estimated),
            ("everything", everything),
            ("unbucketed", unbucketed),
            ("default", lambda m: None),
        ]

    def cached_counts(m: pytest.MonkeyPatch) -> None:
        m.setattr(sqlite_bm25, "CACHED_FROM", 0)
        m.setattr(sqlite_bm25, "_counts", {})

    return [("default", lambda m: None), ("cached counts", cached_counts)]


def visible_matches(user, words, match, kinds=(Kind.TICKET, Kind.MESSAGE)):
    """Ids of the ticket and message documents the user may see holding every word
    (ALL) or one of them (ANY), from the tables, not the index."""
    tickets = set(visible_tickets_for_user(user).values_list("pk", flat=True))
    agent_desks = set(agent_desk_ids(user))
    tokens = user_tokens(user)
    found = set()
    for document in SearchDocument.objects.filter(kind__in=kinds):
        held = set(f"{document.tokens_title} {document.tokens_body}".split())
        if not (set(words) <= held if match == ALL else set(words) & held):
            continue
        # A stale token may hide a document the user may see, never show another.
        indexed = tokens is None or set(document.access.split()) & set(tokens)
        if indexed and (
            user.is_superuser
            or (
                document.ticket_id in tickets
                and (not document.internal or document.desk_id in agent_desks)
            )
        ):
            found.add(document.pk)
    return found


@pytest.mark.parametrize("window", [2, 5, 1000])
def test_every_plan_finds_the_newest_visible_matches(corpus, admin_user, window, monkeypatch):
    """Whatever plan reads the window (see the backends' plan constants, forced here
    to each choice), a user gets exactly the newest `window` documents they may see
    that hold the words, ranked as when every match is ranked."""
    users = [admin_user, corpus["alice"], corpus["bob"], corpus["agent"], corpus["it_agent"]]
    for name, plan in plans():
        with monkeypatch.context() as m, override_settings(SEARCH_WINDOW=window):
            plan(m)
            for user in users:
                for query, match in (
                    ("gear", ANY),
                    ("sprocket", ANY),
                    ("chain gear", ALL),
                    ("chain sprocket", ANY),
                ):
                    words = query_tokens(query)
                    hits = search(user, query, limit=100, match=match)
                    ids = {
                        SearchDocument.objects.get(kind=h.kind, object_id=h.object_id).pk
                        for h in hits
                        if h.kind in (Kind.TICKET, Kind.MESSAGE)
                    }
                    expected = sorted(visible_matches(user, words, match), reverse=True)[:window]
                    assert ids == set(expected), (name, user, query)
                    scores = [h.score for h in hits]
                    assert scores == sorted(scores, reverse=True)
    # Ranked as in full when the window holds every match (an admin: no tokens, so the
    # stale ones hide nothing).
    with override_settings(SEARCH_WINDOW=1000):
        windowed = search(admin_user, "gear", limit=100, filters=Filters())
    with override_settings(SEARCH_WINDOW=0):
        full = search(admin_user, "gear", limit=100, filters=Filters())
    assert [(h.kind, h.object_id) for h in windowed] == [(h.kind, h.object_id) for h in full]
