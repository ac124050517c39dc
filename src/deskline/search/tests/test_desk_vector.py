"""PostgreSQL's desk-scoped words (migrations 0006, 0007): the trigger keeps
`desk_vector` in step with the document's words, desk token and id bucket, the
migration's fill writes the same, and an agent's search through that index finds, in
any language and in any bucket, exactly their desk's documents."""

import importlib

import pytest
from django.db import connection
from django.test import override_settings

from deskline.search import indexing
from deskline.search.backends import postgres
from deskline.search.models import Kind, SearchDocument
from deskline.search.services import Filters, search
from deskline.tickets.models import Ticket

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL index"),
]
migration = importlib.import_module("deskline.search.migrations.0007_desk_word_buckets")


def desk_words(document_id: int) -> set[str] | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tsvector_to_array(desk_vector) FROM search_searchdocument WHERE id = %s",
            [document_id],
        )
        (lexemes,) = cursor.fetchone()
    return None if lexemes is None else set(lexemes)


def test_trigger_keeps_the_desk_words_of_tickets_and_messages(
    make_user, agent_on, support_desk, it_desk, indexed_ticket, committed
):
    alice = make_user("alice@example.com")
    ticket = indexed_ticket(support_desk, alice, "Flange", body_text="flange leaking")
    document = SearchDocument.objects.get(kind=Kind.TICKET, object_id=ticket.pk)
    words = set(f"{document.tokens_title} {document.tokens_body}".split())
    assert words
    bucket = document.pk >> postgres.BUCKET_BITS
    for desk in (support_desk, it_desk):
        if desk == it_desk:
            Ticket.objects.filter(pk=ticket.pk).update(desk=it_desk)
            committed(indexing.index_ticket, ticket.pk)
        expected = {f"{word}@d{desk.pk}{suffix}" for word in words for suffix in ("", f"#{bucket}")}
        assert desk_words(document.pk) == expected


def test_articles_have_no_desk_words(admin_user, support_desk, committed):
    from deskline.kb.transfer import import_articles

    committed(
        import_articles,
        support_desk,
        [{"title": "Flange guide", "body": "flange", "language": "en", "visibility": "public"}],
        actor=admin_user,
    )
    article = SearchDocument.objects.get(kind=Kind.ARTICLE)
    assert desk_words(article.pk) is None


def test_the_migrations_fill_writes_what_the_trigger_writes(
    make_user, agent_on, support_desk, indexed_ticket
):
    alice = make_user("alice@example.com")
    indexed_ticket(support_desk, alice, "Bracket", body_text="bracket bent")
    documents = SearchDocument.objects.filter(kind__in=(Kind.TICKET, Kind.MESSAGE))
    written = {d.pk: desk_words(d.pk) for d in documents}
    assert all(written.values())
    fill = next(s for s in migration.POSTGRES_UP if s.lstrip().startswith("UPDATE"))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE search_searchdocument SET desk_vector = NULL")
        cursor.execute(fill)
    assert {d.pk: desk_words(d.pk) for d in documents} == written


@pytest.mark.parametrize(
    "title, query",
    [("VPN connection drops", "vpn"), ("الطابعة لا تعمل", "الطابعه"), ("打印机无法连接", "打印机")],
)
def test_agent_finds_own_desk_words_through_the_desk_index(
    title, query, monkeypatch, make_user, agent_on, support_desk, it_desk, indexed_ticket
):
    # The GIN plan for every band (small test tables would be walked otherwise).
    monkeypatch.setattr(postgres, "walks", lambda access: False)
    alice = make_user("alice@example.com")
    mine = indexed_ticket(support_desk, alice, title)
    indexed_ticket(it_desk, alice, title)
    tickets = Filters(kinds=(Kind.TICKET,))
    with override_settings(SEARCH_WINDOW=10):
        hits = search(agent_on(support_desk), query, filters=tickets)
        assert [h.object_id for h in hits] == [mine.pk]
        # Every word of several, too, through the same index.
        every = search(agent_on(support_desk), f"{query} {query}", filters=tickets, match="all")
        assert [h.object_id for h in every] == [mine.pk]


def test_agent_finds_the_newest_matches_across_buckets(
    monkeypatch, make_user, agent_on, support_desk, it_desk, indexed_ticket
):
    alice = make_user("alice@example.com")
    older = indexed_ticket(support_desk, alice, "Gasket worn")
    newer = indexed_ticket(support_desk, alice, "Gasket cracked")
    indexed_ticket(it_desk, alice, "Gasket missing")
    # The newer ticket's document moves three buckets up; the trigger (it runs on a
    # change of `access`) files its words under the bucket of its new id.
    moved = (3 << postgres.BUCKET_BITS) + 5
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE search_searchdocument SET id = %s, access = access"
            " WHERE kind = 'ticket' AND object_id = %s",
            [moved, newer.pk],
        )
    assert f"gasket@d{support_desk.pk}#3" in desk_words(moved)
    agent = agent_on(support_desk)
    tickets = Filters(kinds=(Kind.TICKET,))
    # Whole buckets, a few ids, or every id in bands wider than MAX_BUCKETS.
    for first_band, buckets in ((1 << postgres.BUCKET_BITS, 8), (2, 8), (2, 1), (10**9, 1)):
        monkeypatch.setattr(postgres, "first_span", lambda *args, span=first_band: span)
        monkeypatch.setattr(postgres, "BAND_CAP", 10**9)
        monkeypatch.setattr(postgres, "MAX_BUCKETS", buckets)
        with override_settings(SEARCH_WINDOW=1):
            assert [h.object_id for h in search(agent, "gasket", filters=tickets)] == [newer.pk]
        with override_settings(SEARCH_WINDOW=10):
            hits = search(agent, "gasket", filters=tickets)
            assert sorted(h.object_id for h in hits) == sorted([older.pk, newer.pk])
