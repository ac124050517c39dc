"""Access tokens in the full-text index (search/access.py): the window's scan reads
only documents holding one of the user's tokens, so what a user finds must be exactly
what the permission condition allows. Same tests on both backends (DATABASE_URL for
PostgreSQL)."""

import importlib

import pytest
from django.db import connection
from django.test import override_settings

from deskline.desks.services import set_desk_role
from deskline.search import indexing
from deskline.search.access import document_access
from deskline.search.models import Kind, SearchDocument
from deskline.search.services import Filters, search
from deskline.tickets.models import Ticket
from deskline.tickets.services import add_message
from deskline.tickets.services.followers import add_follower

pytestmark = pytest.mark.django_db
migration = importlib.import_module("deskline.search.migrations.0005_document_access")

TICKETS = Filters(kinds=(Kind.TICKET,))


def ticket_ids(user, query, filters=TICKETS):
    return {hit.object_id for hit in search(user, query, filters=filters, limit=100)}


def test_agent_finds_own_desk_documents_when_most_matches_are_in_another_desk(
    make_user, agent_on, support_desk, it_desk, indexed_ticket
):
    alice = make_user("alice@example.com")
    mine = [indexed_ticket(support_desk, alice, f"Gasket {i}") for i in range(2)]
    # Newer and more numerous: the other desk's matches.
    theirs = [indexed_ticket(it_desk, alice, f"Gasket IT {i}") for i in range(6)]
    agent = agent_on(support_desk)
    with override_settings(SEARCH_WINDOW=2):
        assert ticket_ids(agent, "gasket") == {t.pk for t in mine}
        hits = search(agent, "gasket", limit=100)
        assert {h.ticket_id for h in hits} <= {t.pk for t in mine}
        assert ticket_ids(agent_on(it_desk), "gasket") == {t.pk for t in theirs[-2:]}
    # An agent of both desks sees both; a desk filter keeps the window to that desk.
    both = agent_on(support_desk)
    set_desk_role(it_desk, both, "agent", actor=None)
    with override_settings(SEARCH_WINDOW=2):
        assert ticket_ids(both, "gasket") == {t.pk for t in theirs[-2:]}
        on_support = Filters(kinds=(Kind.TICKET,), desk_ids=(support_desk.pk,))
        assert ticket_ids(both, "gasket", on_support) == {t.pk for t in mine}


def test_agent_also_finds_own_requests_on_other_desks(
    agent_on, support_desk, it_desk, indexed_ticket
):
    agent = agent_on(support_desk)
    own = indexed_ticket(it_desk, agent, "Sprocket for my desk")
    other = indexed_ticket(it_desk, agent_on(it_desk), "Sprocket elsewhere")
    assert ticket_ids(agent, "sprocket") == {own.pk}
    assert other.pk not in ticket_ids(agent, "sprocket")


def test_requester_finds_own_followed_and_shared_organization_tickets_only(
    make_user, agent_on, support_desk, organization, indexed_ticket, committed
):
    organization.shared_tickets = True
    organization.save()
    alice = make_user("alice@acme.test", organization=organization)
    colleague = make_user("carol@acme.test", organization=organization)
    stranger = make_user("bob@example.com")
    own = indexed_ticket(support_desk, alice, "Widget broken")
    shared = indexed_ticket(support_desk, colleague, "Widget lost")
    followed = indexed_ticket(support_desk, stranger, "Widget stolen")
    hidden = indexed_ticket(support_desk, stranger, "Widget bent")
    committed(add_follower, followed, alice, actor=None)
    agent = agent_on(support_desk)
    committed(add_message, own, actor=agent, body_text="widget note", internal=True)
    with override_settings(SEARCH_WINDOW=3):
        assert ticket_ids(alice, "widget") == {own.pk, shared.pk, followed.pk}
        assert ticket_ids(stranger, "widget") == {followed.pk, hidden.pk}
    hits = search(alice, "widget", limit=100)
    assert {h.ticket_id for h in hits} == {own.pk, shared.pk, followed.pk}
    assert Kind.MESSAGE in {h.kind for h in hits}
    # The internal note on her own ticket is never found.
    assert "note" not in " ".join(h.snippet for h in hits)
    assert len(hits) == 6  # three tickets and their first messages
    # Without sharing, the organization's tickets are hidden again.
    organization.shared_tickets = False
    organization.save()
    alice.refresh_from_db()
    assert ticket_ids(alice, "widget") == {own.pk, followed.pk}
    # The window holds the newest of what she may see: her followed ticket is newest.
    with override_settings(SEARCH_WINDOW=1):
        assert ticket_ids(alice, "widget") == {followed.pk}


def test_a_word_like_an_access_token_matches_text_only(
    admin_user, make_user, support_desk, indexed_ticket
):
    alice = make_user("alice@example.com")
    ticket = indexed_ticket(support_desk, alice, "Quiet ticket", body_text="nothing here")
    tokens = document_access(support_desk.pk, alice.pk, None).split()
    for token in tokens:
        assert ticket.pk not in ticket_ids(admin_user, token)
        assert ticket.pk not in ticket_ids(alice, token)


def test_tokens_follow_a_ticket_moved_to_another_desk(
    make_user, agent_on, support_desk, it_desk, indexed_ticket, committed
):
    alice = make_user("alice@example.com")
    ticket = indexed_ticket(support_desk, alice, "Flange", body_text="flange leaking")
    committed(add_message, ticket, actor=agent_on(support_desk), body_text="flange", internal=True)
    it_agent = agent_on(it_desk)
    assert search(it_agent, "flange") == []
    Ticket.objects.filter(pk=ticket.pk).update(desk=it_desk)
    committed(indexing.index_ticket, ticket.pk)
    hits = search(it_agent, "flange", limit=100)
    assert {(h.kind, h.ticket_id) for h in hits} == {
        (Kind.TICKET, ticket.pk),
        (Kind.MESSAGE, ticket.pk),
    }
    assert len(hits) == 3  # the ticket, its first message and the internal note
    assert search(agent_on(support_desk), "flange") == []
    assert {h.ticket_id for h in search(alice, "flange")} == {ticket.pk}


def test_reindex_and_the_migrations_fill_write_the_same_tokens(
    make_user, agent_on, support_desk, organization, indexed_ticket, committed
):
    """The migration fills `access` of an existing index in SQL; it must agree with
    what indexing writes, and the index must find documents by the filled tokens."""
    alice = make_user("alice@acme.test", organization=organization)
    ticket = indexed_ticket(support_desk, alice, "Bracket", body_text="bracket bent")
    committed(add_message, ticket, actor=agent_on(support_desk), body_text="bracket", internal=True)
    documents = SearchDocument.objects.filter(ticket_id=ticket.pk)
    written = dict(documents.values_list("pk", "access"))
    assert sorted(written.values()) == sorted(
        [
            f"d{support_desk.pk} r{alice.pk} o{organization.pk}",
            f"d{support_desk.pk} r{alice.pk} o{organization.pk}",
            f"d{support_desk.pk}",
        ]
    )
    documents.update(access="")
    assert ticket_ids(alice, "bracket") == set()
    with connection.cursor() as cursor:
        for statement in migration.FILL:
            cursor.execute(statement)
    assert dict(documents.values_list("pk", "access")) == written
    assert ticket_ids(alice, "bracket") == {ticket.pk}


@pytest.mark.parametrize("band", [1, 3, 20_000])
def test_the_window_holds_the_newest_visible_matches_whatever_the_band(
    band, monkeypatch, make_user, agent_on, support_desk, it_desk, indexed_ticket
):
    """PostgreSQL reads the newest matches by bands of ids (FIRST_BAND, then sized by
    what it found); the window must not depend on how the ids fall into bands."""
    from deskline.search.backends import postgres

    monkeypatch.setattr(postgres, "FIRST_BAND", band)
    alice = make_user("alice@example.com")
    mine = []
    for i in range(4):
        mine.append(indexed_ticket(support_desk, alice, f"Valve {i}"))
        indexed_ticket(it_desk, alice, f"Valve IT {i}")
    agent = agent_on(support_desk)
    with override_settings(SEARCH_WINDOW=3):
        assert ticket_ids(agent, "valve") == {t.pk for t in mine[1:]}
        hits = search(agent, "valve", limit=100)
        # Tickets and their first messages: the newest three of the desk's documents.
        assert len(hits) == 3
        assert {h.ticket_id for h in hits} <= {t.pk for t in mine[2:]}


def test_articles_carry_their_kind_and_are_found_by_it(admin_user, support_desk, committed):
    from deskline.kb import services as kb

    article = committed(
        kb.create_article,
        support_desk,
        actor=admin_user,
        title="Rivet guide",
        body="How to set a rivet.",
        state="published",
    )
    document = SearchDocument.objects.filter(kind=Kind.ARTICLE, object_id=article.pk)
    assert document.get().access == "article"

    def found():
        # No type filter: articles are ranked apart from the ticket window.
        return {
            h.object_id for h in search(admin_user, "rivet", hybrid=False) if h.kind == "article"
        }

    assert found() == {article.pk}
    document.update(access="")
    assert found() == set()
    with connection.cursor() as cursor:
        for statement in migration.FILL:
            cursor.execute(statement)
    assert document.get().access == "article"
    assert found() == {article.pk}
