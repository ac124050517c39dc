"""End to end over real SMTP: intake server in, worker + SMTP sink out."""

import smtplib

import pytest
from django.core.management import call_command

from deskline.desks.models import Role
from deskline.mail import smtpd
from deskline.mail.models import RawMail
from deskline.mail.services.outbound import deliver_due
from deskline.mail.tasks import send_outbound_mail
from deskline.mail.tests.conftest import build_mail, free_port
from deskline.tickets.models import Ticket
from deskline.tickets.services import add_message

pytestmark = pytest.mark.django_db(transaction=True)
PDF = b"%PDF-1.4 invoice"


@pytest.fixture
def intake_server():
    port = free_port()
    controller, handler = smtpd.start("127.0.0.1", port)
    try:
        yield port, handler
    finally:
        smtpd.stop(controller, handler)


def _send(server, raw: bytes, to: str = "it@desk.test") -> None:
    port, handler = server
    with smtplib.SMTP("127.0.0.1", port, local_hostname="localhost", timeout=10) as client:
        client.sendmail("sender@example.com", [to], raw)
    # One mail at a time: the test database (in-memory SQLite) has table locks, not
    # the file database's busy wait, so the test does not overlap server threads.
    handler.drain()


def _settled(count: int) -> list[RawMail]:
    mails = list(RawMail.objects.order_by("id"))
    assert len(mails) == count and all(m.state != "received" for m in mails), mails
    return mails


def _send_queued_mail() -> None:
    """What the worker does for mail: the queued send tasks (other apps' tasks left out)."""
    from deskline.core.tasks_db import in_database

    if in_database():
        from django_tasks_db.models import DBTaskResult

        queued = DBTaskResult.objects.filter(
            task_path="deskline.mail.tasks.send_outbound_mail", status="READY"
        )
        for result in queued:
            send_outbound_mail.call(*result.args_kwargs["args"])
            result.delete()
    else:
        deliver_due()


def test_unknown_recipient_is_refused_at_rcpt(it_address, intake_server):
    client = smtplib.SMTP("127.0.0.1", intake_server[0], local_hostname="x", timeout=10)
    with client, pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        client.sendmail("a@example.com", ["stranger@desk.test"], build_mail())
    assert refused.value.recipients["stranger@desk.test"][0] == 550
    assert not RawMail.objects.exists()


def test_mail_round_trip(it_address, intake_server, smtp_sink, agent_on):
    # 1. A customer writes to the desk address: a ticket with requester, body, attachment.
    _send(intake_server, build_mail(
        message_id="<first@example.com>",
        attachments=[("invoice.pdf", "application/pdf", PDF)],
    ))  # fmt: skip
    (first,) = _settled(1)
    ticket = Ticket.objects.get()
    assert first.state == "processed" and first.ticket_id == ticket.pk and first.source == "smtp"
    assert ticket.requester.email == "sam@example.com"
    assert "VPN disconnects" in ticket.messages.get().body_text
    assert [(a.filename, a.size) for a in ticket.attachments.all()] == [("invoice.pdf", len(PDF))]

    # 2. The agent's reply goes out threaded (after the acknowledgement).
    agent = agent_on(ticket.desk, Role.AGENT)
    add_message(ticket, actor=agent, body_text="Please update the VPN client.")
    _send_queued_mail()
    ack, reply = smtp_sink.messages()
    assert ack["Auto-Submitted"] == "auto-replied"
    assert reply["Subject"] == f"Re: [{ticket.number}] VPN drops every hour"
    assert reply["In-Reply-To"] == ack["Message-ID"]
    assert "<first@example.com>" in reply["References"]
    assert [r for _, r, _ in smtp_sink.received] == [["sam@example.com"], ["sam@example.com"]]

    # 3. The requester answers that mail: the answer joins the same ticket.
    answer = build_mail(
        subject=f"Re: {reply['Subject']}",
        body="Updated, works now.",
        in_reply_to=reply["Message-ID"],
        references=f"{reply['References']} {reply['Message-ID']}",
    )
    _send(intake_server, answer)
    _settled(2)
    assert Ticket.objects.count() == 1
    assert ticket.messages.order_by("id").last().body_text.startswith("Updated, works now.")

    # 4. Redelivery, an out-of-office reply and a bounce: no new ticket, no mail out.
    _send(intake_server, answer)
    ooo = build_mail(
        subject="Automatic reply: away",
        body="I am out of office.",
        in_reply_to=reply["Message-ID"],
        headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"},
    )
    _send(intake_server, ooo)
    bounce = (
        b"From: MAILER-DAEMON@mx.example.net\r\nTo: it@desk.test\r\n"
        b"Subject: Undelivered Mail\r\nMessage-ID: <bounce1@mx>\r\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
        b"--B\r\nContent-Type: text/plain\r\n\r\nMailbox full\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        b"Final-Recipient: rfc822; sam@example.com\r\nAction: failed\r\nStatus: 4.2.2\r\n\r\n"
        b"--B--\r\n"
    )
    _send(intake_server, bounce)
    mails = _settled(4)
    assert [m.state for m in mails] == ["processed", "processed", "rejected", "rejected"]
    _send_queued_mail()
    assert Ticket.objects.count() == 1 and len(smtp_sink.messages()) == 2

    # 5. A malformed mail lands in the failed list and can be reprocessed.
    _send(intake_server, b"\x00\x00\x01garbage" * 30)
    failed = _settled(5)[-1]
    assert failed.state == "failed"
    call_command("mail", "failed")
    from deskline.mail.services.intake import reprocess

    assert reprocess(failed.pk).attempts == 2


def test_smtp_takes_lines_longer_than_rfc_5321_allows(it_address, intake_server):
    long_line = "x" * 5000
    _send(intake_server, build_mail(body=f"start {long_line} end"))
    (stored,) = _settled(1)
    assert stored.state == "processed" and long_line in stored.ticket_message.body_text
