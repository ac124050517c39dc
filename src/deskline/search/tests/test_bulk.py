"""The chunked rebuild writes what per-object indexing writes, and the full-text index
follows it (inserted and updated rows)."""

import pytest

from deskline.search import bulk, indexing
from deskline.search.models import Kind, SearchDocument
from deskline.search.services import search
from deskline.tickets.models import Ticket
from deskline.tickets.services import add_message

pytestmark = pytest.mark.django_db

COMPARED = [
    "desk_id",
    "ticket_id",
    "status",
    "internal",
    "title",
    "text",
    "tokens_title",
    "tokens_body",
    "language",
    "created_at",
]


def _documents() -> dict:
    return {
        (d["kind"], d["object_id"]): d
        for d in SearchDocument.objects.filter(kind__in=[Kind.TICKET, Kind.MESSAGE]).values(
            "kind", "object_id", *COMPARED
        )
    }


def test_bulk_rebuild_matches_per_object_indexing_and_is_searchable(
    support_desk, make_user, agent_on, make_ticket
):
    agent = agent_on(support_desk)
    alice = make_user()
    tickets = [
        make_ticket(support_desk, alice, f"Printer {i}", body_text=f"toner number {i} leaks")
        for i in range(5)
    ]
    make_ticket(support_desk, alice, "طابعة", body_text="لا أستطيع الاتصال بالشبكة اللاسلكية")
    add_message(tickets[0], actor=agent, body_text="Internal: vendor case 42", internal=True)
    add_message(tickets[0], actor=agent, body_text="Please replace the cartridge.")
    for ticket in Ticket.objects.all():
        indexing.index_ticket(ticket.pk)
        for message in ticket.messages.all():
            indexing.index_message(message.pk)
    expected = _documents()

    SearchDocument.objects.filter(kind__in=[Kind.TICKET, Kind.MESSAGE]).delete()
    assert search(agent, "cartridge") == []
    # A chunk of 2 crosses chunk borders several times.
    assert bulk.reindex_tickets(chunk=2) == 6
    assert bulk.reindex_messages(chunk=2) == 8
    assert _documents() == expected
    hits = {(h.kind, h.object_id) for h in search(agent, "cartridge")}
    assert (Kind.TICKET, tickets[0].pk) in hits
    assert any(h.kind == Kind.TICKET for h in search(agent, "الشبكه"))

    # Run again over existing rows after a change: the update reaches the full-text index.
    Ticket.objects.filter(pk=tickets[1].pk).update(subject="Scanner jammed")
    bulk.reindex_tickets(chunk=4)
    assert [h.object_id for h in search(agent, "jammed")] == [tickets[1].pk]
    old_words = {(h.kind, h.object_id) for h in search(agent, "printer")}
    assert (Kind.TICKET, tickets[1].pk) not in old_words
    assert (Kind.TICKET, tickets[2].pk) in old_words
