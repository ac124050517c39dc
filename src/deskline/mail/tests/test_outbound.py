"""Agent replies and acknowledgements go out through a real SMTP server, threaded."""

import pytest

from deskline.desks.models import Role
from deskline.mail.models import AcknowledgementTemplate, Bounce, OutboundMail
from deskline.mail.services.intake import ingest
from deskline.mail.services.outbound import deliver, deliver_due
from deskline.mail.tests.conftest import build_mail
from deskline.tickets.services import add_message

pytestmark = pytest.mark.django_db


def _ingest(capture, raw):
    with capture(execute=True):
        return ingest(raw, "pipe")


def test_acknowledgement_in_the_requesters_language_with_number_and_link(
    it_address, smtp_sink, django_capture_on_commit_callbacks
):
    AcknowledgementTemplate.objects.create(
        desk=it_address.desk,
        language="en",
        subject="Got it: {subject}",
        body="Ticket {number} — follow it at {portal_link} {unknown}",
    )
    raw_mail = _ingest(django_capture_on_commit_callbacks, build_mail(message_id="<ask@x>"))
    ack = OutboundMail.objects.get(kind="ack")
    assert ack.state == "pending" and deliver(ack.pk) == "sent"
    (sent,) = smtp_sink.messages()
    number = raw_mail.ticket.number
    assert sent["Subject"] == f"[{number}] Got it: VPN drops every hour"
    assert sent["Auto-Submitted"] == "auto-replied"
    assert sent["In-Reply-To"] == "<ask@x>"
    assert sent["From"].addresses[0].addr_spec == "it@desk.test"
    assert sent["Reply-To"].addresses[0].addr_spec.startswith("it+t")
    text = sent.get_body(("plain",)).get_content()
    assert number in text and f"/portal/requests/{number}/" in text and "{unknown}" in text


def test_agent_reply_goes_out_threaded_with_alternatives_and_attachments(
    it_address, smtp_sink, agent_on, django_capture_on_commit_callbacks
):
    raw_mail = _ingest(django_capture_on_commit_callbacks, build_mail(message_id="<q1@x>"))
    ticket = raw_mail.ticket
    agent = agent_on(ticket.desk, Role.AGENT)
    from io import BytesIO

    from deskline.tickets.attachments import store_attachment

    file = store_attachment(
        ticket, filename="fix.pdf", stream=BytesIO(b"%PDF-1.4 fix"), uploaded_by=agent
    )
    with django_capture_on_commit_callbacks(execute=True):
        add_message(ticket, actor=agent, body_html="<p>Try <b>this</b></p>", attachments=[file])
        add_message(ticket, actor=agent, body_text="internal only", internal=True)
    assert deliver_due() == 2  # the acknowledgement and the reply; never the internal note
    ack, reply = smtp_sink.messages()
    assert reply["Subject"] == f"Re: [{ticket.number}] VPN drops every hour"
    assert reply["In-Reply-To"] == ack["Message-ID"]
    assert reply["References"].split() == ["<q1@x>", ack["Message-ID"]]
    assert "<b>this</b>" in reply.get_body(("html",)).get_content()
    assert "Try this" in reply.get_body(("plain",)).get_content()
    (attachment,) = list(reply.iter_attachments())
    assert attachment.get_filename() == "fix.pdf"
    assert attachment.get_content() == b"%PDF-1.4 fix"
    stored = OutboundMail.objects.get(kind="reply")
    assert reply["Message-ID"] == f"<{stored.message_id}>"


def test_acknowledgements_are_capped_and_never_sent_to_bouncing_or_own_addresses(
    it_address, smtp_sink, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setenv("DESKLINE_MAIL_AUTO_LIMIT_ADDRESS", "2")
    for n in range(4):
        _ingest(django_capture_on_commit_callbacks, build_mail(subject=f"subject {n}"))
    states = list(OutboundMail.objects.order_by("id").values_list("state", flat=True))
    assert states == ["pending", "pending", "suppressed", "suppressed"]
    Bounce.objects.create(address="dead@example.com", hard=True, reason="userunknown")
    _ingest(django_capture_on_commit_callbacks, build_mail(sender="dead@example.com"))
    last = OutboundMail.objects.order_by("-id").first()
    assert last.state == "suppressed" and "bounced" in last.last_error


def test_disabled_template_sends_no_acknowledgement(
    it_address, smtp_sink, django_capture_on_commit_callbacks
):
    AcknowledgementTemplate.objects.create(desk=it_address.desk, language="en", enabled=False)
    _ingest(django_capture_on_commit_callbacks, build_mail())
    assert not OutboundMail.objects.exists()


def test_temporary_smtp_failure_is_retried_later_then_sent(
    it_address, smtp_sink, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    smtp_sink.refuse = "451 4.3.0 try later"
    _ingest(django_capture_on_commit_callbacks, build_mail())
    ack = OutboundMail.objects.get()
    assert deliver(ack.pk) == "pending"
    ack.refresh_from_db()
    assert ack.attempts == 1 and "451" in ack.last_error and ack.next_attempt_at > timezone.now()
    assert deliver(ack.pk) == "pending" and OutboundMail.objects.get().attempts == 1  # not due
    smtp_sink.refuse = ""
    OutboundMail.objects.filter(pk=ack.pk).update(next_attempt_at=timezone.now() - timedelta(1))
    assert deliver_due() == 1 and len(smtp_sink.messages()) == 1
    smtp_sink.refuse = "550 5.1.1 no such user"
    _ingest(django_capture_on_commit_callbacks, build_mail(subject="another", sender="b@x.test"))
    refused = OutboundMail.objects.order_by("-id").first()
    assert deliver(refused.pk) == "failed"


def test_smtp_url_parsing(monkeypatch):
    from deskline.conf import ConfigurationError
    from deskline.mail.config import smtp_settings

    monkeypatch.setenv("DESKLINE_SMTP_URL", "smtps://me%40x.org:p%3Ass@mail.x.org")
    s = smtp_settings()
    assert (s.host, s.port, s.username, s.password, s.ssl) == (
        "mail.x.org", 465, "me@x.org", "p:ss", True,
    )  # fmt: skip
    monkeypatch.setenv("DESKLINE_SMTP_URL", "smtp://h:587?starttls")
    assert smtp_settings().starttls and smtp_settings().port == 587
    monkeypatch.setenv("DESKLINE_SMTP_URL", "http://h")
    with pytest.raises(ConfigurationError):
        smtp_settings()


def test_subject_naming_another_ticket_still_carries_this_tickets_number(
    it_address, smtp_sink, agent_on, django_capture_on_commit_callbacks
):
    # A stranger answers another requester's mail: a new ticket whose subject names the
    # other one. Its mail must carry its own number, not only the one it quotes.
    raw_mail = _ingest(
        django_capture_on_commit_callbacks,
        build_mail(sender="eve@example.com", subject="Re: [IT-777] VPN drops every hour"),
    )
    ticket = raw_mail.ticket
    assert ticket.number != "IT-777"
    agent = agent_on(ticket.desk, Role.AGENT)
    with django_capture_on_commit_callbacks(execute=True):
        add_message(ticket, actor=agent, body_text="Which VPN client do you use?")
    assert deliver_due() == 2
    ack, reply = smtp_sink.messages()
    assert f"[{ticket.number}]" in ack["Subject"]
    assert reply["Subject"] == f"Re: [{ticket.number}] Re: [IT-777] VPN drops every hour"


def test_text_attachment_says_its_charset(
    it_address, smtp_sink, agent_on, django_capture_on_commit_callbacks
):
    # Without a charset a text/* part is US-ASCII (RFC 2046): a client that shows the
    # file inline would garble the Arabic and Chinese in it.
    from io import BytesIO

    from deskline.tickets.attachments import store_attachment

    raw_mail = _ingest(django_capture_on_commit_callbacks, build_mail())
    ticket = raw_mail.ticket
    agent = agent_on(ticket.desk, Role.AGENT)
    text = "الخطوة ١: حدّث البرنامج\n第一步：更新客户端\n"
    notes = store_attachment(
        ticket, filename="steps.txt", stream=BytesIO(text.encode()), uploaded_by=agent
    )
    with django_capture_on_commit_callbacks(execute=True):
        add_message(ticket, actor=agent, body_text="Steps attached.", attachments=[notes])
    assert deliver_due() == 2
    (attachment,) = list(smtp_sink.messages()[1].iter_attachments())
    assert attachment.get_content_type() == "text/plain"
    assert attachment.get_content_charset() == "utf-8"
    assert attachment.get_content() == text


def test_reply_threads_on_the_conversation_not_on_auto_replies_or_bounces(
    it_address, smtp_sink, agent_on, django_capture_on_commit_callbacks
):
    from deskline.mail.tests.conftest import BOUNCE

    raw_mail = _ingest(django_capture_on_commit_callbacks, build_mail(message_id="<q1@x>"))
    ticket = raw_mail.ticket
    ack = OutboundMail.objects.get(kind="ack")
    # Recorded on the ticket, never taken in: an out-of-office answer and a bounce.
    away = build_mail(
        subject="Out of office",
        message_id="<away@x>",
        in_reply_to=f"<{ack.message_id}>",
        headers={"Auto-Submitted": "auto-replied"},
    )
    bounce = (BOUNCE % b"b1").replace(
        b"Content-Type: multipart/report",
        b"In-Reply-To: <" + ack.message_id.encode() + b">\r\nContent-Type: multipart/report",
    )
    for raw in (away, bounce):
        recorded = _ingest(django_capture_on_commit_callbacks, raw)
        assert recorded.state == "rejected" and recorded.ticket_id == ticket.pk
    agent = agent_on(ticket.desk, Role.AGENT)
    with django_capture_on_commit_callbacks(execute=True):
        add_message(ticket, actor=agent, body_text="Which VPN client?")
    assert deliver_due() == 2
    first = smtp_sink.messages()[-1]
    assert first["In-Reply-To"] == f"<{ack.message_id}>"
    assert first["References"].split() == ["<q1@x>", f"<{ack.message_id}>"]
    answer = _ingest(
        django_capture_on_commit_callbacks,
        build_mail(subject="Re: x", message_id="<q2@x>", in_reply_to=f"<{ack.message_id}>"),
    )
    assert answer.state == "processed" and answer.ticket_id == ticket.pk
    with django_capture_on_commit_callbacks(execute=True):
        add_message(ticket, actor=agent, body_text="Restart it, please.")
    assert deliver_due() == 1
    reply = smtp_sink.messages()[-1]
    assert reply["In-Reply-To"] == "<q2@x>"
    assert reply["References"].split() == [
        "<q1@x>",
        f"<{ack.message_id}>",
        first["Message-ID"],
        "<q2@x>",
    ]


def test_reply_does_not_answer_a_mail_of_ours_that_was_never_sent(
    it_address, smtp_sink, agent_on, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setenv("DESKLINE_MAIL_AUTO_LIMIT_ADDRESS", "0")
    raw_mail = _ingest(django_capture_on_commit_callbacks, build_mail(message_id="<q1@x>"))
    assert OutboundMail.objects.get(kind="ack").state == "suppressed"
    agent = agent_on(raw_mail.ticket.desk, Role.AGENT)
    with django_capture_on_commit_callbacks(execute=True):
        add_message(raw_mail.ticket, actor=agent, body_text="Restart it, please.")
    assert deliver_due() == 1
    (reply,) = smtp_sink.messages()
    assert reply["In-Reply-To"] == "<q1@x>" and reply["References"].split() == ["<q1@x>"]
