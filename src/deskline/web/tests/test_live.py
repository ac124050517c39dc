"""Ticket changes reach the live-update path after they commit."""

import pytest

from deskline.web.live import layer_crosses_processes
from deskline.web.models import LiveChange


@pytest.mark.skipif(layer_crosses_processes(), reason="Redis carries changes without the table")
def test_committed_changes_are_queued_for_the_websocket_process(
    it_desk, make_user, make_ticket, django_capture_on_commit_callbacks
):
    from deskline.tickets.services import add_message

    requester = make_user(is_employee=True)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(it_desk, requester)
    agent = make_user(is_superuser=True)
    with django_capture_on_commit_callbacks(execute=True):
        add_message(ticket, actor=agent, body_text="note", internal=True)
    rows = list(LiveChange.objects.filter(ticket_id=ticket.pk).order_by("id"))
    assert [(r.kind, r.desk_id, r.public) for r in rows] == [
        ("ticket_opened", it_desk.pk, True),
        ("message_added", it_desk.pk, False),
    ]


def test_a_rolled_back_change_tells_no_one(it_desk, make_user, make_ticket):
    requester = make_user()
    make_ticket(it_desk, requester)  # the test transaction never commits
    assert not LiveChange.objects.exists()
