"""Where a mail goes is decided before the processing transaction (so that SQLite's one
write lock is held only for writing); what changes in between must still be seen.

Each test prepares a mail (`prepare`: parsed, looked up, decided), changes what the
decision rested on as another process would, then finishes it (`finish`: re-checked
under the lock, written). The mail must end as if everything had happened under the
lock, in that order.
"""

import pytest

from deskline.desks.services import create_desk
from deskline.mail.models import RawMail
from deskline.mail.services.intake import finish, ingest, prepare, process, store_raw
from deskline.mail.tests.conftest import build_mail
from deskline.tickets.models import Ticket
from deskline.tickets.services import merge_tickets, update_ticket

pytestmark = pytest.mark.django_db


def _prepared(raw: bytes):  # type: ignore[no-untyped-def]
    stored, created = store_raw(raw, "pipe")
    assert created
    return prepare(stored.pk, raw=raw, stored=stored)


def _opened(message_id: str, sender: str = "Sam <sam@example.com>", subject: str = "VPN") -> Ticket:
    raw_mail = ingest(build_mail(message_id=message_id, sender=sender, subject=subject), "pipe")
    assert raw_mail.state == "processed", raw_mail.error
    return raw_mail.ticket


def test_a_decision_nothing_changed_is_written_as_decided(it_address):
    ticket = _opened("<a1@example.com>")
    prepared = _prepared(build_mail(subject="Re: VPN", in_reply_to="<a1@example.com>"))
    assert prepared.plan is not None and prepared.plan.ticket.pk == ticket.pk
    reply = finish(prepared)
    assert reply.state == "processed" and reply.ticket_id == ticket.pk
    assert ticket.messages.count() == 2


def test_reply_to_a_ticket_merged_meanwhile_lands_on_the_merged_ticket(it_address):
    old = _opened("<m1@example.com>", subject="Printer")
    target = _opened("<m2@example.com>", sender="Kim <kim@example.com>", subject="Printers")
    prepared = _prepared(build_mail(subject="Re: Printer", in_reply_to="<m1@example.com>"))
    assert prepared.plan.ticket.pk == old.pk
    merge_tickets(old, target, actor=None)  # another process, between the two steps

    reply = finish(prepared)
    assert reply.state == "processed", reply.error
    assert reply.ticket_id == target.pk
    assert reply.ticket_message.ticket_id == target.pk


def test_reply_to_a_ticket_closed_meanwhile_opens_a_new_one(it_address):
    old = _opened("<c1@example.com>")
    prepared = _prepared(build_mail(subject="Re: VPN", in_reply_to="<c1@example.com>"))
    assert prepared.plan.ticket.pk == old.pk
    update_ticket(old, actor=None, changes={"status": "closed"})

    reply = finish(prepared)
    assert reply.state == "processed", reply.error
    assert reply.ticket_id != old.pk and Ticket.objects.count() == 2


def test_answer_decided_before_the_mail_it_answers_was_processed_joins_its_ticket(it_address):
    # The answer arrives first (out of order) and is prepared: nothing to thread to yet.
    prepared = _prepared(build_mail(subject="Re: VPN", in_reply_to="<late@example.com>"))
    assert prepared.plan.ticket is None
    # Meanwhile the mail it answers arrives and another process makes it a ticket.
    ticket = _opened("<late@example.com>")

    answer = finish(prepared)
    assert answer.state == "processed", answer.error
    assert answer.ticket_id == ticket.pk and Ticket.objects.count() == 1


def test_new_senders_second_mail_decided_before_the_first_was_written_joins_it(it_address):
    # Two mails of a new sender with one subject: the second is decided while the
    # sender has no account yet, then the first is processed by another process.
    first, _ = store_raw(build_mail(message_id="<n1@example.com>", subject="Laptop"), "pipe")
    prepared = _prepared(build_mail(message_id="<n2@example.com>", subject="Re: Laptop"))
    assert prepared.plan.ticket is None and prepared.plan.sender == ("sam@example.com", None)
    opened = process(first.pk)
    assert opened.state == "processed", opened.error

    second = finish(prepared)
    assert second.state == "processed", second.error
    assert second.ticket_id == opened.ticket_id
    assert Ticket.objects.count() == 1 and opened.ticket.messages.count() == 2


def test_desk_address_moved_meanwhile_routes_to_its_new_desk(it_address):
    prepared = _prepared(build_mail(message_id="<d1@example.com>"))
    assert prepared.plan.inbound.desk.slug == "it"
    other = create_desk(name="Facilities", slug="fac", prefix="FAC", visibility="internal")
    it_address.desk = other
    it_address.save()  # through the ORM: the addresses' change token moves

    raw_mail = finish(prepared)
    assert raw_mail.state == "processed", raw_mail.error
    assert raw_mail.ticket.desk_id == other.pk


def test_mail_processed_by_another_process_meanwhile_is_not_processed_again(it_address):
    prepared = _prepared(build_mail(message_id="<p1@example.com>"))
    done = process(prepared.raw_mail_id)  # the other process
    again = finish(prepared)
    assert again.state == done.state == "processed" and again.attempts == 1
    assert again.ticket_id == done.ticket_id and Ticket.objects.count() == 1


def test_an_answer_processes_the_waiting_mail_it_answers_first(it_address):
    # Both stored, neither processed (several processes, or a crash): the answer is
    # taken first; the mail it answers is processed before it, so it joins its ticket.
    original, _ = store_raw(build_mail(message_id="<w1@example.com>"), "pipe")
    answer, _ = store_raw(
        build_mail(message_id="<w2@example.com>", subject="Other words",
                   in_reply_to="<w1@example.com>"),
        "pipe",
    )  # fmt: skip
    answered = process(answer.pk)
    original = RawMail.objects.get(pk=original.pk)
    assert original.state == answered.state == "processed"
    assert answered.ticket_id == original.ticket_id and Ticket.objects.count() == 1
