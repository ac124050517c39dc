"""Outside the tests, other apps' reactions to a ticket change run in the worker: the
request only queues them, and the worker runs them after the change has committed."""

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from deskline.search.models import SearchDocument
from deskline.tickets.services import add_message, hooks

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def heard():
    inline: list[hooks.TicketChange] = []
    deferred: list[hooks.TicketChange] = []

    def on_inline(change: hooks.TicketChange) -> None:
        inline.append(change)

    def on_deferred(change: hooks.TicketChange) -> None:
        deferred.append(change)

    for kind in hooks.KINDS:
        hooks.register(kind, on_inline, inline=True)
        hooks.register(kind, on_deferred)
    yield inline, deferred
    for kind in hooks.KINDS:
        hooks.unregister(kind, on_inline)
        hooks.unregister(kind, on_deferred)


@override_settings(TICKET_HOOKS_INLINE=False)
def test_the_request_queues_and_the_worker_runs_the_other_apps(
    heard, it_desk, make_user, make_ticket
):
    inline, deferred = heard
    ticket = make_ticket(it_desk, make_user(), subject="Projector flickers")
    add_message(ticket, actor=ticket.requester, body_text="Still flickering")

    # Inline handlers have run; the deferred ones, search indexing among them, have not.
    assert [c.kind for c in inline] == ["ticket_opened", "message_added"]
    assert deferred == []
    assert not SearchDocument.objects.filter(kind="ticket", object_id=ticket.pk).exists()

    call_command("worker", batch=True, no_fork=True)

    assert [(c.kind, c.ticket_id) for c in deferred] == [
        ("ticket_opened", ticket.pk),
        ("message_added", ticket.pk),
    ]
    assert deferred[1].message_id == ticket.messages.order_by("-id").first().pk
    assert SearchDocument.objects.filter(kind="ticket", object_id=ticket.pk).exists()


@override_settings(TICKET_HOOKS_INLINE=False)
def test_a_rolled_back_change_queues_nothing(heard, it_desk, make_user, make_ticket):
    inline, deferred = heard
    ticket = make_ticket(it_desk, make_user())
    call_command("worker", batch=True, no_fork=True)
    deferred.clear()
    with pytest.raises(RuntimeError), transaction.atomic():
        add_message(ticket, actor=ticket.requester, body_text="lost")
        raise RuntimeError("the caller fails after the service")
    call_command("worker", batch=True, no_fork=True)
    assert deferred == []
    assert [c.kind for c in inline] == ["ticket_opened"]


@override_settings(TICKET_HOOKS_INLINE=False)
def test_all_inline_runs_everything_at_commit(heard, it_desk, make_user, make_ticket):
    inline, deferred = heard
    with hooks.all_inline():
        make_ticket(it_desk, make_user())
    assert [c.kind for c in inline] == ["ticket_opened"]
    assert [c.kind for c in deferred] == ["ticket_opened"]
