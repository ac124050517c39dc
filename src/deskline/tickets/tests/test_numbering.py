"""Ticket numbers under concurrent creates on PostgreSQL: unique and consecutive per
desk, and a create no longer waits for another create's commit on the same desk."""

import threading

import pytest
from django.db import connection, connections
from django.db.models.signals import post_save

from deskline.tickets.models import Message, Ticket
from deskline.tickets.services import open_ticket

pytestmark = pytest.mark.django_db(transaction=True)


def _create_in_thread(desk, requester, subject: str, out: dict) -> threading.Thread:
    def run() -> None:
        try:
            out[subject] = open_ticket(
                desk=desk, subject=subject, requester=requester, body_text="Down"
            ).number
        except Exception as error:  # the test reads it back
            out[subject] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's test database is shared-cache memory, where threads meet table locks, "
    "not the writers' file lock (core/tests/test_sqlite_writers.py covers that)",
)
def test_concurrent_creates_on_one_desk_get_distinct_consecutive_numbers(it_desk, make_user):
    requester = make_user()
    numbers: dict = {}
    threads = [_create_in_thread(it_desk, requester, f"Outage {n}", numbers) for n in range(8)]
    for thread in threads:
        thread.join(30)
    assert all(isinstance(n, str) for n in numbers.values()), numbers
    assert sorted(int(n.split("-")[1]) for n in numbers.values()) == list(range(1, 9))
    assert Ticket.objects.filter(desk=it_desk).count() == 8


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="on SQLite the one writer serialises creates"
)
def test_a_create_does_not_wait_for_another_creates_commit_on_the_same_desk(it_desk, make_user):
    requester = make_user()
    inside = threading.Event()
    release = threading.Event()

    def hold_first_create_open(sender, instance, created, **kwargs):  # noqa: ARG001
        if instance.ticket.subject == "First" and not inside.is_set():
            inside.set()
            release.wait(20)

    post_save.connect(hold_first_create_open, sender=Message)
    try:
        numbers: dict = {}
        first = _create_in_thread(it_desk, requester, "First", numbers)
        assert inside.wait(10)
        # The first create's transaction is open, its number taken: the desk's row must
        # not be locked now (it was, through the commit, when the number was taken
        # inside the ticket's transaction).
        second = _create_in_thread(it_desk, requester, "Second", numbers)
        second.join(5)
        finished_while_first_open = not second.is_alive()
        release.set()
        first.join(20)
        second.join(20)
    finally:
        release.set()
        post_save.disconnect(hold_first_create_open, sender=Message)
    assert finished_while_first_open
    assert numbers == {"First": "IT-1", "Second": "IT-2"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite takes it in the ticket's")
def test_a_failed_create_leaves_a_gap_and_no_ticket(it_desk, make_user):
    requester = make_user()

    def fail(sender, instance, created, **kwargs):  # noqa: ARG001
        if instance.ticket.subject == "Doomed":
            raise RuntimeError("disk full")

    post_save.connect(fail, sender=Message)
    try:
        with pytest.raises(RuntimeError):
            open_ticket(desk=it_desk, subject="Doomed", requester=requester, body_text="x")
    finally:
        post_save.disconnect(fail, sender=Message)
    after = open_ticket(desk=it_desk, subject="Next", requester=requester, body_text="x")
    assert not Ticket.objects.filter(subject="Doomed").exists()
    assert after.number == "IT-2"  # IT-1 went to the failed create, never to a ticket


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's commit setting")
def test_the_unflushed_commits_leave_the_tickets_own_commit_waiting_for_the_disk(
    it_desk, make_user
):
    # The number and the live-update row commit without waiting for the disk; the
    # setting must end with their own transactions, never reach the ticket's.
    seen = []

    def during_ticket_transaction(sender, instance, created, **kwargs):  # noqa: ARG001
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            seen.append(cursor.fetchone()[0])

    post_save.connect(during_ticket_transaction, sender=Message)
    try:
        ticket = open_ticket(desk=it_desk, subject="Flush", requester=make_user(), body_text="x")
    finally:
        post_save.disconnect(during_ticket_transaction, sender=Message)
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        after = cursor.fetchone()[0]
    assert seen == ["on"]
    assert after == "on"
    assert ticket.number == "IT-1"
