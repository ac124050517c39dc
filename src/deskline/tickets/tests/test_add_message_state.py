"""What add_message and receive_inbound leave in the caller's hands, without reading
back what they just wrote (the mail intake calls them for every mail)."""

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from deskline.accounts.models import User
from deskline.tickets.choices import Channel, Status
from deskline.tickets.models import Ticket
from deskline.tickets.services import (
    InboundMessage,
    add_message,
    hooks,
    receive_inbound,
    update_ticket,
)


@pytest.fixture
def heard():
    changes: list[hooks.TicketChange] = []
    hooks.register(hooks.MESSAGE_ADDED, changes.append, inline=True)
    yield changes
    hooks.unregister(hooks.MESSAGE_ADDED, changes.append)


def _ticket_selects(queries: CaptureQueriesContext) -> int:
    return sum(
        1
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "tickets_ticket"' in q["sql"]
    )


def test_inside_the_callers_transaction_the_ticket_is_not_read_back(
    it_desk, agent_on, make_user, make_ticket, heard, django_capture_on_commit_callbacks
):
    agent = agent_on(it_desk)
    ticket = make_ticket(it_desk, make_user())
    update_ticket(ticket, actor=agent, changes={"status": "pending"})
    ticket.desk  # noqa: B018 (cached now; a reload drops it, so must this)
    with (
        django_capture_on_commit_callbacks(execute=True),
        CaptureQueriesContext(connection) as queries,
    ):
        add_message(ticket, actor=ticket.requester, body_text="Here is the log.")
    assert _ticket_selects(queries) == 1  # the lock, no reload
    assert ticket.status == Status.OPEN
    assert model_to_dict(ticket) == model_to_dict(Ticket.objects.get(pk=ticket.pk))
    assert ticket.updated_at == Ticket.objects.get(pk=ticket.pk).updated_at
    assert not Ticket.desk.is_cached(ticket)

    with django_capture_on_commit_callbacks(execute=True):
        add_message(ticket, actor=agent, body_text="Thanks, looking.")
    # The mail reply hook tells a requester's words from an agent's without a query.
    assert [c.by_requester for c in heard] == [True, False]


@pytest.mark.django_db(transaction=True)
def test_outside_any_transaction_the_ticket_is_read_back(
    it_desk, make_user, make_ticket, django_capture_on_commit_callbacks
):
    def rename(change: hooks.TicketChange) -> None:
        Ticket.objects.filter(pk=change.ticket_id).update(subject="Renamed by a hook")

    ticket = make_ticket(it_desk, make_user())
    hooks.register(hooks.MESSAGE_ADDED, rename, inline=True)
    try:
        # The inline hooks run at add_message's own commit: the caller sees their work.
        add_message(ticket, actor=ticket.requester, body_text="More detail.")
    finally:
        hooks.unregister(hooks.MESSAGE_ADDED, rename)
    assert ticket.subject == "Renamed by a hook"


def _inbound(desk, ticket, email: str, name: str, requester: User | None) -> InboundMessage:  # type: ignore[no-untyped-def]
    return InboundMessage(
        desk=desk,
        channel=Channel.EMAIL,
        sender_email=email,
        sender_name=name,
        subject="Re: Printer on fire",
        body_text="Still burning.",
        ticket=ticket,
        requester=requester,
    )


def test_a_requester_handed_over_is_used_only_when_nothing_would_change(
    it_desk, make_user, make_ticket
):
    known = make_user("known@example.com", name="Known")
    ticket = make_ticket(it_desk, known)
    _, message = receive_inbound(_inbound(it_desk, ticket, "known@example.com", "K", known))
    assert message.author == known and User.objects.get(pk=known.pk).name == "Known"

    # No name yet: the account still gets the name the message gives.
    nameless = make_user("nameless@example.com")
    receive_inbound(_inbound(it_desk, ticket, "nameless@example.com", "Nora", nameless))
    assert User.objects.get(pk=nameless.pk).name == "Nora"

    # A user of another address is not taken for the sender.
    _, message = receive_inbound(_inbound(it_desk, ticket, "Other@Example.com", "", known))
    assert message.author.email == "other@example.com"
