"""Automatic mail about a ticket (triggers, scheduled rules) through the outbound path:
recorded, tracked, suppressed like acknowledgements, and its bounces recognised."""

import pytest

from deskline.desks.models import Role
from deskline.mail.models import Bounce, OutboundMail
from deskline.mail.services.intake import ingest
from deskline.mail.services.outbound import deliver_due, schedule_automatic_mail
from deskline.mail.tests.conftest import build_mail
from deskline.mail.tests.test_bounce_suppression import delivery_report
from deskline.tickets.services import add_message

pytestmark = pytest.mark.django_db


def _ingest(capture, raw: bytes):
    with capture(execute=True):
        return ingest(raw, "pipe")


def _schedule(capture, ticket, recipients, subject="Parts ordered", body="Soon."):
    with capture(execute=True):
        return schedule_automatic_mail(ticket, recipients, subject, body)


def test_a_bounce_of_automation_mail_stops_mail_to_the_address(
    it_address, smtp_sink, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setenv("DESKLINE_MAIL_AUTO_LIMIT_TICKET", "10")
    ticket = _ingest(django_capture_on_commit_callbacks, build_mail()).ticket
    (row,) = _schedule(django_capture_on_commit_callbacks, ticket, ["vendor@partner.test"])
    assert deliver_due() == 2  # the acknowledgement, then the automation mail
    sent = smtp_sink.messages()[-1]
    assert sent["Message-ID"] == f"<{row.message_id}>" and sent["To"] == "vendor@partner.test"

    recorded = _ingest(
        django_capture_on_commit_callbacks,
        delivery_report("vendor@partner.test", sent.as_bytes()),
    )
    assert recorded.state == "rejected" and recorded.ticket_id == ticket.pk
    assert recorded.error == ""  # tied to our mail: a hard bounce
    assert Bounce.objects.get(address="vendor@partner.test").hard
    (again,) = _schedule(django_capture_on_commit_callbacks, ticket, ["Vendor@partner.test"])
    assert again.state == "suppressed" and again.last_error == "the address bounced permanently"
    assert deliver_due() == 0 and len(smtp_sink.messages()) == 2


def test_recipients_are_deduplicated_checked_and_never_our_own_addresses(
    it_address, smtp_sink, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setenv("DESKLINE_MAIL_AUTO_LIMIT_TICKET", "10")  # the acknowledgement
    ticket = _ingest(django_capture_on_commit_callbacks, build_mail()).ticket
    rows = _schedule(
        django_capture_on_commit_callbacks,
        ticket,
        ["A@partner.test", "a@partner.test ", "it@desk.test", "not an address", ""],
    )
    assert [(r.to, r.state) for r in rows] == [
        ("a@partner.test", "pending"),
        ("it@desk.test", "suppressed"),
    ]
    assert rows[1].last_error == "the recipient is one of our own addresses"
    # One mail to two people: the rows share a batch.
    assert rows[0].batch == rows[1].batch != ""


def test_replies_do_not_show_the_ids_of_automation_mail_to_others(
    it_address, smtp_sink, agent_on, django_capture_on_commit_callbacks, monkeypatch
):
    """A Message-ID is what ties a bounce to the address we mailed: the requester must
    not learn the ids of our mail to an agent or a vendor, or a forged report could
    stop their mail."""
    monkeypatch.setenv("DESKLINE_MAIL_AUTO_LIMIT_TICKET", "10")
    ticket = _ingest(django_capture_on_commit_callbacks, build_mail(message_id="<q1@x>")).ticket
    assert deliver_due() == 1
    (to_vendor,) = _schedule(django_capture_on_commit_callbacks, ticket, ["vendor@partner.test"])
    assert deliver_due() == 1
    (to_sam,) = _schedule(django_capture_on_commit_callbacks, ticket, ["sam@example.com"])
    assert deliver_due() == 1
    agent = agent_on(ticket.desk, Role.AGENT)
    with django_capture_on_commit_callbacks(execute=True):
        add_message(ticket, actor=agent, body_text="Parts are on their way.")
    assert deliver_due() == 1
    ack, vendor_copy, sam_copy, reply = smtp_sink.messages()
    assert sam_copy["In-Reply-To"] == ack["Message-ID"]
    assert reply["References"].split() == [
        "<q1@x>",
        ack["Message-ID"],
        f"<{to_sam.message_id}>",
    ]
    assert to_vendor.message_id not in str(reply) + str(sam_copy)
    # The vendor's copy threads on the conversation it is about, not on the requester's.
    assert vendor_copy["References"].split() == ["<q1@x>"]
    # The requester answering our automation mail joins the ticket by its id alone.
    answer = _ingest(
        django_capture_on_commit_callbacks,
        build_mail(subject="ok", in_reply_to=sam_copy["Message-ID"]),
    )
    assert answer.ticket_id == ticket.pk


def test_nothing_is_recorded_without_an_smtp_server(
    it_address, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.delenv("DESKLINE_SMTP_URL", raising=False)
    ticket = _ingest(django_capture_on_commit_callbacks, build_mail()).ticket
    assert _schedule(django_capture_on_commit_callbacks, ticket, ["vendor@partner.test"]) == []
    assert not OutboundMail.objects.exists()
