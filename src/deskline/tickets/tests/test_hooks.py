"""Other apps hear of committed ticket changes, and only of those."""

import pytest
from django.db import transaction

from deskline.tickets.services import add_message, hooks, update_ticket


@pytest.fixture
def heard():
    changes: list[hooks.TicketChange] = []

    def listener(change: hooks.TicketChange) -> None:
        changes.append(change)

    def broken(change: hooks.TicketChange) -> None:
        raise RuntimeError("a broken handler")

    for kind in hooks.KINDS:
        hooks.register(kind, broken)
        hooks.register(kind, listener)
        hooks.register(kind, listener)  # registering twice still calls once
    yield changes
    for kind in hooks.KINDS:
        hooks.unregister(kind, broken)
        hooks.unregister(kind, listener)


def test_committed_changes_are_heard_once_each(
    heard, it_desk, agent_on, make_user, make_ticket, django_capture_on_commit_callbacks
):
    agent = agent_on(it_desk)
    requester = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(it_desk, requester)
        message = add_message(ticket, actor=agent, body_text="On it.")
        update_ticket(ticket, actor=agent, changes={"priority": "high", "tags": ["vpn"]})
        update_ticket(ticket, actor=agent, changes={"priority": "high"})  # no change, no hook
    assert [(c.kind, c.ticket_id) for c in heard] == [
        ("ticket_opened", ticket.pk),
        ("message_added", ticket.pk),
        ("ticket_updated", ticket.pk),
    ]
    assert heard[0].message_id == ticket.messages.order_by("id").first().pk
    assert heard[1].message_id == message.pk and heard[1].actor_id == agent.pk
    assert heard[2].fields == ("priority", "tags")


def test_a_rolled_back_change_is_not_heard(
    heard, it_desk, make_user, make_ticket, django_capture_on_commit_callbacks
):
    ticket = make_ticket(it_desk, make_user())
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        add_message(ticket, actor=ticket.requester, body_text="lost")
        raise RuntimeError("the caller fails after the service")
    assert heard == []
    assert ticket.messages.count() == 1


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        hooks.register("ticket_exploded", print)


def test_task_args_are_what_asdict_gives_and_read_back():
    from dataclasses import asdict

    change = hooks.TicketChange(
        hooks.TICKET_UPDATED, 7, None, 3, fields=("status", "tags"), desk_id=2, internal=True
    )
    args = change.as_task_args()
    assert args == {**asdict(change), "fields": ["status", "tags"]}
    assert list(args) == list(asdict(change))  # same key order: the same JSON text
    assert hooks.TicketChange.from_task_args(args) == change
