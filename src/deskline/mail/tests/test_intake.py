"""The intake pipeline: stored once, then a ticket, a reply or a recorded rejection."""

import pytest
from django.test import override_settings

from deskline.desks.models import Role
from deskline.mail.models import Bounce, DeskAddress, OutboundMail, RawMail
from deskline.mail.services.addresses import reply_to_for
from deskline.mail.services.intake import ingest, process, reprocess, store_raw
from deskline.mail.services.threads import normalize_subject
from deskline.mail.tests.conftest import BOUNCE, build_mail
from deskline.tickets.models import Ticket

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_store_raw_is_idempotent_by_message_id_then_by_content(it_address):
    raw = build_mail(message_id="<same@example.com>")
    first, created = store_raw(raw, "imap:1")
    # The copy in a second mailbox: its own trace headers, LF line endings, a last
    # newline more; still the same mail.
    copy = b"Delivered-To: help@desk.test\r\nReceived: by mx; today\r\n" + raw + b"\r\n"
    again, created_again = store_raw(copy.replace(b"\r\n", b"\n"), "imap:2")
    assert created and not created_again and again.pk == first.pk
    # Another body under the same Message-ID is another mail (tests/test_message_id_reuse).
    other, created_other = store_raw(raw.replace(b"Since", b"Ever since"), "imap:2")
    assert created_other and other.pk != first.pk
    no_id = b"From: a@example.com\r\nTo: it@desk.test\r\nSubject: x\r\n\r\nbody\r\n"
    one, _ = store_raw(no_id, "pipe")
    two, created_two = store_raw(no_id, "pipe")
    assert one.pk == two.pk and not created_two
    other, created_other = store_raw(no_id + b"more", "pipe")
    assert created_other and other.pk != one.pk
    assert bytes(RawMail.objects.get(pk=first.pk).raw) == raw


def test_new_mail_opens_a_ticket_with_requester_body_and_attachments(it_address):
    raw = build_mail(
        html='<p dir="rtl">Screenshot: <img src="cid:shot@x"></p>',
        attachments=[("report.pdf", "application/pdf", b"%PDF-1.4 report")],
    )
    # An inline image with a Content-ID, the way mail clients embed screenshots.
    raw = raw.replace(
        b'Content-Disposition: attachment; filename="report.pdf"',
        b'Content-Disposition: attachment; filename="report.pdf"',
    )
    raw_mail = ingest(raw, "pipe")
    assert raw_mail.state == "processed", raw_mail.error
    ticket = raw_mail.ticket
    assert ticket.desk.slug == "it" and ticket.channel == "email"
    assert ticket.requester.email == "sam@example.com" and ticket.requester.name == "Sam Requester"
    assert ticket.subject == "VPN drops every hour"
    message = ticket.messages.get()
    assert "VPN disconnects" in message.body_text
    assert 'dir="rtl"' in message.body_html
    assert [(a.filename, a.size) for a in message.attachments.all()] == [("report.pdf", 15)]
    assert raw_mail.ticket_message_id == message.pk


def test_inline_image_is_stored_and_cid_rewritten(it_address):
    from email.message import EmailMessage

    mail = EmailMessage()
    mail["From"] = "sam@example.com"
    mail["To"] = "it@desk.test"
    mail["Subject"] = "Screenshot"
    mail["Message-ID"] = "<inline@example.com>"
    mail.set_content("see image")
    mail.add_alternative('<p>look <img src="cid:shot1@x"></p>', subtype="html")
    html_part = mail.get_payload()[1]
    html_part.add_related(PNG, maintype="image", subtype="png", cid="<shot1@x>")
    raw_mail = ingest(mail.as_bytes(), "pipe")
    message = raw_mail.ticket_message
    image = message.attachments.get()
    assert image.content_id == "shot1@x" and image.content_type == "image/png"
    assert f"/api/v1/attachments/{image.pk}" in message.body_html
    assert "cid:" not in message.body_html


def test_reply_threads_by_in_reply_to_and_by_reply_token(it_address):
    first = ingest(build_mail(message_id="<m1@example.com>"), "pipe")
    reply = ingest(build_mail(subject="Something else", in_reply_to="<m1@example.com>"), "pipe")
    assert reply.ticket_id == first.ticket_id and reply.ticket_message.ticket_id == first.ticket_id
    token_to = reply_to_for(first.ticket, it_address)
    by_token = ingest(build_mail(subject="New words", to=token_to, sender="x@other.test"), "pipe")
    assert by_token.ticket_id == first.ticket_id
    forged = token_to.replace("+t", "+t9")
    not_ours = ingest(build_mail(subject="Forged", to=forged, sender="y@other.test"), "pipe")
    assert not_ours.ticket_id != first.ticket_id
    assert Ticket.objects.count() == 2


def test_a_reply_token_from_before_a_key_rotation_holds_while_the_key_is_a_fallback(
    it_address, settings
):
    first = ingest(build_mail(message_id="<m1@example.com>"), "pipe")
    token_to = reply_to_for(first.ticket, it_address)
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-key-" + "n" * 40, [old_key]
    kept = ingest(build_mail(subject="Other words", to=token_to, sender="x@other.test"), "pipe")
    assert kept.ticket_id == first.ticket_id
    # Once the old key is retired, the token is as good as a guess.
    settings.SECRET_KEY_FALLBACKS = []
    retired = ingest(build_mail(subject="More words", to=token_to, sender="y@other.test"), "pipe")
    assert retired.ticket_id != first.ticket_id


def test_number_in_subject_joins_only_for_people_on_the_ticket(it_address):
    first = ingest(build_mail(), "pipe")
    number = first.ticket.number
    own = ingest(build_mail(subject=f"Re: [{number}] anything"), "pipe")
    assert own.ticket_id == first.ticket_id
    stranger = ingest(build_mail(subject=f"[{number}] hijack", sender="eve@evil.test"), "pipe")
    assert stranger.ticket_id != first.ticket_id


def test_same_requester_same_subject_joins_the_open_ticket(it_address, it_desk):
    first = ingest(build_mail(subject="Printer jammed"), "pipe")
    again = ingest(build_mail(subject="AW: Re:  printer   JAMMED"), "pipe")
    assert again.ticket_id == first.ticket_id
    other_person = ingest(build_mail(subject="Printer jammed", sender="kim@example.com"), "pipe")
    assert other_person.ticket_id != first.ticket_id
    Ticket.objects.filter(pk=first.ticket_id).update(status="closed")
    after_close = ingest(build_mail(subject="Printer jammed"), "pipe")
    assert after_close.ticket_id not in (first.ticket_id, other_person.ticket_id)


@pytest.mark.parametrize(
    "subject",
    [
        "Re: Fwd: Hello",
        "RE: [IT-4] Hello",
        "回复: Hello",
        "رد: Hello",
        "SV: hello",
        "Fw: AW: hello",
    ],
)
def test_normalize_subject(subject):
    assert normalize_subject(subject) in {"hello", "hi"}


def test_out_of_office_is_recorded_on_its_ticket_not_a_new_ticket(it_address):
    first = ingest(build_mail(message_id="<q@example.com>"), "pipe")
    auto = build_mail(
        subject="Out of office",
        in_reply_to="<q@example.com>",
        headers={"Auto-Submitted": "auto-replied"},
    )
    recorded = ingest(auto, "pipe")
    assert recorded.state == "rejected" and recorded.reason == "auto-reply"
    assert recorded.ticket_id == first.ticket_id
    note = recorded.ticket_message
    assert note.internal and "Automated mail" in note.body_text
    unthreaded = ingest(build_mail(subject="OOO", headers={"Precedence": "bulk"}), "pipe")
    assert unthreaded.state == "rejected" and unthreaded.ticket_id is None
    assert Ticket.objects.count() == 1


def test_bounce_is_recorded_on_the_address():
    raw = BOUNCE % b"b1"
    recorded = ingest(raw, "pipe")
    assert recorded.state == "rejected" and Ticket.objects.count() == 0
    bounce = Bounce.objects.get(address="gone@example.org")
    assert bounce.status == "5.1.1" and bounce.reason == "userunknown" and bounce.count == 1
    # Permanent, but it returns no mail of ours to the address: mail to it is not stopped
    # (test_bounce_suppression.py).
    assert not bounce.hard and "not tied to a mail we sent" in recorded.error
    second = ingest(raw.replace(b"<b1@mx>", b"<b2@mx>"), "pipe")
    again = Bounce.objects.get(address="gone@example.org")
    assert again.count == 2 and again.last_raw_mail_id == second.pk
    assert again.last_at > bounce.last_at and again.first_at == bounce.first_at


def _returned(ack_id: str, kind: bytes) -> bytes:
    """A Postfix-style bounce of our mail to sam@example.com: the original comes back
    as its headers (text/rfc822-headers) or whole (message/rfc822); no In-Reply-To."""
    original = (
        b"From: IT <it@desk.test>\r\nTo: sam@example.com\r\nSubject: [IT-1] x\r\n"
        b"Message-ID: <" + ack_id.encode() + b">\r\n"
    )
    if kind == b"message/rfc822":
        original += b"\r\nThe text we sent.\r\n"
    return (
        b"From: MAILER-DAEMON@mx.example.com\r\nTo: it@desk.test\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <" + kind.replace(b"/", b".") + b"@mx.example.com>\r\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=R\r\n\r\n"
        b"--R\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        b"--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        b"Final-Recipient: rfc822; sam@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"\r\n--R\r\nContent-Type: " + kind + b"\r\n\r\n" + original + b"\r\n--R--\r\n"
    )


@pytest.mark.parametrize("kind", [b"text/rfc822-headers", b"message/rfc822"])
def test_bounce_of_a_ticket_mail_is_noted_on_its_ticket(it_address, smtp_sink, kind):
    # The agent must learn that the requester never got the ticket's mail: the
    # bounce names it only in the returned original, which carries our Message-ID.
    first = ingest(build_mail(), "pipe")
    ack = OutboundMail.objects.get(ticket=first.ticket)
    recorded = ingest(_returned(ack.message_id, kind), "pipe")
    assert recorded.state == "rejected" and recorded.reason == "bounce"
    assert recorded.ticket_id == first.ticket_id and Ticket.objects.count() == 1
    note = recorded.ticket_message
    assert note.internal and "permanent failure for sam@example.com" in note.body_text
    assert Bounce.objects.get(address="sam@example.com").hard


def test_a_repeated_bounce_keeps_what_it_does_not_name():
    from deskline.mail.parsing import Bounce as Parsed
    from deskline.mail.parsing import parse_message
    from deskline.mail.services.loops import record_bounce

    first = ingest(BOUNCE % b"b1", "pipe")
    # Hard, as a report returning our mail to it would have made it.
    Bounce.objects.filter(address="gone@example.org").update(hard=True)
    parsed = parse_message(build_mail(headers={"X-Failed-Recipients": "Gone@example.org"}))
    parsed.bounce = None  # a bounce that names only the address (automated == "bounce")
    assert record_bounce(parsed, first)
    kept = Bounce.objects.get(address="gone@example.org")
    assert (kept.hard, kept.status, kept.reason, kept.count) == (True, "5.1.1", "userunknown", 2)
    parsed.bounce = Parsed("gone@example.org", "4.2.2", "mailboxfull", hard=False)
    assert record_bounce(parsed, first)
    soft = Bounce.objects.get(address="gone@example.org")
    # Once hard, an address stays hard; the newer status and reason are taken.
    assert (soft.hard, soft.status, soft.reason, soft.count) == (True, "4.2.2", "mailboxfull", 3)


def test_unreadable_mail_fails_visibly_and_reprocess_after_a_fix(it_address, tmp_path):
    not_mail = ingest(b"\x00\x01\x02 binary junk \x00" * 20, "pipe")
    assert not_mail.state == "failed" and "MailParseError" in not_mail.error
    assert reprocess(not_mail.pk).state == "failed"
    # A real failure with a cause that can be fixed: the attachment folder is a file.
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    raw = build_mail(attachments=[("a.pdf", "application/pdf", b"%PDF-1.4 x")])
    with override_settings(ATTACHMENT_ROOT=str(blocked)):
        failed = ingest(raw, "pipe")
    assert failed.state == "failed" and failed.error and Ticket.objects.count() == 0
    fixed = reprocess(failed.pk)
    assert fixed.state == "processed" and fixed.ticket.attachments.count() == 1


def test_mail_to_no_desk_is_rejected_and_can_be_reprocessed_later(it_desk):
    lost = ingest(build_mail(to="nobody@desk.test"), "pipe")
    assert (
        lost.state == "rejected" and lost.reason == "no-desk" and "nobody@desk.test" in lost.error
    )
    DeskAddress.objects.create(desk=it_desk, email="nobody@desk.test")
    found = reprocess(lost.pk)
    # Processed now: the earlier rejection's reason no longer describes it.
    assert (found.state, found.reason, found.error) == ("processed", "", "")
    assert RawMail.objects.get(pk=lost.pk).reason == ""


def test_pipe_default_desk_and_crash_safe_processing(it_desk):
    raw_mail, _ = store_raw(build_mail(to="someone@else.test"), "pipe", default_desk=it_desk)
    assert raw_mail.state == "received"
    assert process(raw_mail.pk).state == "processed"
    assert process(raw_mail.pk).ticket.desk == it_desk  # a second run changes nothing
    assert Ticket.objects.count() == 1


def test_agent_forward_opens_the_ticket_for_the_original_sender(it_desk, agent_on):
    DeskAddress.objects.create(
        desk=it_desk, email="it@desk.test", forwards_open_for_original_sender=True
    )
    agent = agent_on(it_desk, Role.AGENT, email="agent@corp.test")
    body = (
        "Please look at this.\n\n---------- Forwarded message ---------\n"
        "From: Customer Carla <carla@client.test>\nDate: Mon, 1 Jan 2024 10:00\n"
        "Subject: Broken login\nTo: agent@corp.test\n\nI cannot log in.\n"
    )
    raw_mail = ingest(
        build_mail(sender=agent.email, subject="Fwd: Broken login", body=body), "pipe"
    )
    assert raw_mail.ticket.requester.email == "carla@client.test"
    stranger = ingest(
        build_mail(sender="z@x.test", subject="Fwd: other", body=body.replace("Broken", "B")),
        "pipe",
    )
    assert stranger.ticket.requester.email == "z@x.test"


def test_our_own_mail_coming_back_is_a_duplicate(it_address):
    own = ingest(build_mail(sender="it@desk.test", subject="loop"), "pipe")
    assert own.state == "duplicate" and Ticket.objects.count() == 0


def test_a_light_agents_mail_to_a_ticket_is_an_internal_note(it_address, it_desk, agent_on):
    """Light agents add internal notes only, by mail as on the pages and the API: their
    mail to a ticket neither reaches the requester nor shows in the portal."""
    from deskline.mail.models import OutboundMail

    first = ingest(build_mail(), "pipe")
    number = first.ticket.number
    light = agent_on(it_desk, Role.LIGHT_AGENT, email="viewer@corp.test")
    agent = agent_on(it_desk, Role.AGENT, email="agent@corp.test")
    outbound_before = OutboundMail.objects.count()
    by_light = ingest(
        build_mail(sender=light.email, subject=f"Re: [{number}] VPN", body="Try rebooting."),
        "pipe",
    )
    assert by_light.ticket_id == first.ticket_id
    note = first.ticket.messages.get(author=light)
    assert note.internal is True
    assert OutboundMail.objects.count() == outbound_before
    # A full agent's mail is a public reply, as before.
    ingest(build_mail(sender=agent.email, subject=f"Re: [{number}] VPN", body="Fixed."), "pipe")
    assert first.ticket.messages.get(author=agent).internal is False
