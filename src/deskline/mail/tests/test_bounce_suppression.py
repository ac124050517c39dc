"""A permanent failure stops mail to an address only when it returns our mail to it:
anyone can send the desk a delivery report naming any address."""

from email import message_from_bytes
from email.message import Message
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import make_msgid

import pytest

from deskline.desks.models import Role
from deskline.mail.models import Bounce, OutboundMail
from deskline.mail.services.intake import ingest
from deskline.mail.services.outbound import deliver_due
from deskline.mail.tests.conftest import build_mail
from deskline.tickets.services import add_message

pytestmark = pytest.mark.django_db


def delivery_report(recipient: str, original: bytes) -> bytes:
    """A Postfix-style RFC 3464 report: `recipient` failed permanently (5.1.1), the
    original message attached whole (message/rfc822)."""
    report = MIMEMultipart("report", report_type="delivery-status")
    report["From"] = "Mail Delivery System <MAILER-DAEMON@mx.example.net>"
    report["To"] = "it@desk.test"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Message-ID"] = make_msgid(domain="mx.example.net")
    report.attach(
        MIMEText(
            "This is the mail system at host mx.example.net.\n\n"
            "I'm sorry to have to inform you that your message could not\n"
            "be delivered to one or more recipients.\n\n"
            f"<{recipient}>: host mx.example.net said: 550 5.1.1 User unknown\n"
        )
    )
    per_message, per_recipient = Message(), Message()
    per_message["Reporting-MTA"] = "dns; mx.example.net"
    per_recipient["Final-Recipient"] = f"rfc822; {recipient}"
    per_recipient["Action"] = "failed"
    per_recipient["Status"] = "5.1.1"
    per_recipient["Diagnostic-Code"] = f"smtp; 550 5.1.1 <{recipient}>: User unknown"
    status = Message()
    status["Content-Type"] = "message/delivery-status"
    status.attach(per_message)
    status.attach(per_recipient)
    report.attach(status)
    report.attach(MIMEMessage(message_from_bytes(original)))
    return report.as_bytes()


def _ingest(capture, raw: bytes):
    with capture(execute=True):
        return ingest(raw, "pipe")


def _ack_state(capture, sender: str, subject: str) -> OutboundMail:
    _ingest(capture, build_mail(sender=sender, subject=subject))
    return OutboundMail.objects.filter(to=sender, kind="ack").latest("id")


def test_a_forged_report_for_an_address_we_never_mailed_does_not_stop_mail(
    it_address, smtp_sink, django_capture_on_commit_callbacks
):
    forged_original = build_mail(
        sender="IT Help <it@desk.test>", to="victim@example.com", message_id=make_msgid()
    )
    recorded = _ingest(
        django_capture_on_commit_callbacks,
        delivery_report("victim@example.com", forged_original),
    )
    assert recorded.state == "rejected" and recorded.reason == "bounce"
    assert "not tied to a mail we sent" in recorded.error
    # Still visible as a bounce of the address, with what the report said.
    bounce = Bounce.objects.get(address="victim@example.com")
    assert (bounce.hard, bounce.status, bounce.reason, bounce.count) == (
        False,
        "5.1.1",
        "userunknown",
        1,
    )
    # The desk still answers the address.
    ack = _ack_state(django_capture_on_commit_callbacks, "victim@example.com", "Printer")
    assert ack.state == "pending" and ack.last_error == ""


def test_a_report_naming_our_mail_to_someone_else_does_not_stop_mail(
    it_address, smtp_sink, django_capture_on_commit_callbacks
):
    # The attacker is a requester: they know the Message-ID of our mail to them, and
    # claim it failed for somebody else.
    attacker = _ack_state(django_capture_on_commit_callbacks, "mallory@example.com", "Hi")
    assert deliver_due() == 1
    (ours,) = smtp_sink.messages()
    assert ours["Message-ID"] == f"<{attacker.message_id}>"
    recorded = _ingest(
        django_capture_on_commit_callbacks, delivery_report("victim@example.com", ours.as_bytes())
    )
    assert recorded.state == "rejected" and recorded.ticket_id == attacker.ticket_id
    assert "mail to it is not stopped" in recorded.ticket_message.body_text
    assert not Bounce.objects.get(address="victim@example.com").hard
    assert not Bounce.objects.filter(address="mallory@example.com").exists()
    ack = _ack_state(django_capture_on_commit_callbacks, "victim@example.com", "Printer")
    assert ack.state == "pending"


def test_a_real_report_of_our_reply_stops_mail_to_the_address(
    it_address, smtp_sink, agent_on, django_capture_on_commit_callbacks
):
    opened = _ingest(django_capture_on_commit_callbacks, build_mail(message_id="<q1@x>"))
    ticket = opened.ticket
    agent = agent_on(ticket.desk, Role.AGENT)
    with django_capture_on_commit_callbacks(execute=True):
        add_message(ticket, actor=agent, body_text="Please restart the VPN client.")
    assert deliver_due() == 2  # the acknowledgement, then the reply
    reply = smtp_sink.messages()[-1]
    assert reply["Message-ID"] == f"<{OutboundMail.objects.get(kind='reply').message_id}>"

    recorded = _ingest(
        django_capture_on_commit_callbacks, delivery_report("sam@example.com", reply.as_bytes())
    )
    assert recorded.state == "rejected" and recorded.ticket_id == ticket.pk
    assert recorded.error == ""
    assert "permanent failure for sam@example.com" in recorded.ticket_message.body_text
    bounce = Bounce.objects.get(address="sam@example.com")
    assert (bounce.hard, bounce.status, bounce.reason) == (True, "5.1.1", "userunknown")
    # The next reply is not sent to an address that does not exist.
    with django_capture_on_commit_callbacks(execute=True):
        add_message(ticket, actor=agent, body_text="Did it help?")
    blocked = OutboundMail.objects.filter(kind="reply").latest("id")
    assert blocked.state == "suppressed" and "bounced permanently" in blocked.last_error
