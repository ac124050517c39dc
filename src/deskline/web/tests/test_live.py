"""Ticket changes reach the live-update path after they commit."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

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


def test_a_rolled_back_change_tells_no_one(
    it_desk, make_user, make_ticket, django_capture_on_commit_callbacks
):
    requester = make_user()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        make_ticket(it_desk, requester)
        raise RuntimeError("the change rolls back")
    assert not LiveChange.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "sqlite" or layer_crosses_processes(),
    reason="the row is written in the change's transaction only on SQLite without Redis",
)
def test_on_sqlite_the_live_row_commits_with_the_change(it_desk, make_user, make_ticket):
    requester = make_user()
    with CaptureQueriesContext(connection) as queries:
        ticket = make_ticket(it_desk, requester)
    sql = [q["sql"] for q in queries.captured_queries]
    live = [i for i, text in enumerate(sql) if "web_livechange" in text]
    commits = [i for i, text in enumerate(sql) if text == "COMMIT"]
    # One write transaction for the change and its live row, not a second one after it.
    assert len(live) == 1 and commits and live[0] < commits[0], sql
    assert LiveChange.objects.filter(ticket_id=ticket.pk, kind="ticket_opened").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql" or layer_crosses_processes(),
    reason="after the commit, in a transaction of its own, only on PostgreSQL without Redis",
)
def test_on_postgresql_the_live_row_follows_the_commit_in_one_statement(
    it_desk, make_user, make_ticket
):
    from deskline.tickets.services import add_message

    requester = make_user(is_employee=True)
    with CaptureQueriesContext(connection) as queries:
        ticket = make_ticket(it_desk, requester)
    sql = [q["sql"] for q in queries.captured_queries]
    live = [i for i, text in enumerate(sql) if "web_livechange" in text]
    commits = [i for i, text in enumerate(sql) if text == "COMMIT"]
    # After the ticket's commit, as one INSERT: no BEGIN or SET LOCAL around it.
    assert len(live) == 1 and commits and live[0] > commits[0], sql
    assert not any(text.startswith("SET LOCAL") for text in sql), sql
    add_message(ticket, actor=make_user(is_superuser=True), body_text="note", internal=True)
    rows = list(LiveChange.objects.filter(ticket_id=ticket.pk).order_by("id"))
    assert [(r.kind, r.desk_id, r.public, r.user_id) for r in rows] == [
        ("ticket_opened", it_desk.pk, True, None),
        ("message_added", it_desk.pk, False, None),
    ]
