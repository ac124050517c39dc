"""The acknowledgement speaks the requester's language, else the desk's, with
Deskline's own Arabic and Chinese texts when the desk wrote no template."""

import pytest

from deskline.mail.models import AcknowledgementTemplate, OutboundMail
from deskline.mail.parsing import parse_message
from deskline.mail.services.intake import ingest
from deskline.mail.services.languages import requester_language
from deskline.mail.services.outbound import deliver
from deskline.mail.tests.conftest import build_mail

pytestmark = pytest.mark.django_db


def _acknowledge(capture, smtp_sink, raw: bytes):
    with capture(execute=True):
        raw_mail = ingest(raw, "pipe")
    ack = OutboundMail.objects.get(kind="ack", ticket=raw_mail.ticket)
    assert deliver(ack.pk) == "sent", ack.last_error
    return raw_mail.ticket, smtp_sink.messages()[-1]


def test_arabic_requester_gets_the_built_in_arabic_acknowledgement(
    it_address, smtp_sink, django_capture_on_commit_callbacks
):
    raw = build_mail(
        sender="Salma <salma@example.com>",
        subject="لا أستطيع الدخول إلى البريد",
        body="مرحبا، لا أستطيع الدخول إلى البريد منذ الصباح.",
    )
    ticket, sent = _acknowledge(django_capture_on_commit_callbacks, smtp_sink, raw)
    assert ticket.requester.language == "ar"
    assert sent["Content-Language"] == "ar"
    assert sent["Subject"] == f"[{ticket.number}] تلقّينا طلبك: لا أستطيع الدخول إلى البريد"
    text = sent.get_body(("plain",)).get_content()
    assert text.startswith("مرحبًا Salma،")
    assert f"التذكرة {ticket.number}" in text and f"/portal/requests/{ticket.number}/" in text


def test_desk_language_decides_when_the_mail_does_not_tell(
    it_address, smtp_sink, django_capture_on_commit_callbacks
):
    desk = it_address.desk
    desk.default_language = "zh-hans"
    desk.save(update_fields=["default_language"])
    ticket, sent = _acknowledge(
        django_capture_on_commit_callbacks, smtp_sink, build_mail(subject="VPN", body="VPN?")
    )
    assert ticket.requester.language == "zh-hans"
    assert sent["Content-Language"] == "zh-hans"
    assert sent["Subject"] == f"[{ticket.number}] 我们已收到您的请求：VPN"
    assert f"工单 {ticket.number}" in sent.get_body(("plain",)).get_content()


def test_desk_template_in_the_requesters_language_wins_over_the_built_in_one(
    it_address, smtp_sink, django_capture_on_commit_callbacks
):
    AcknowledgementTemplate.objects.create(
        desk=it_address.desk, language="zh-hans", subject="收到 {number}", body="谢谢 {desk}"
    )
    raw = build_mail(subject="打印机坏了", body="三楼的打印机坏了，请帮忙看看。")
    ticket, sent = _acknowledge(django_capture_on_commit_callbacks, smtp_sink, raw)
    assert sent["Subject"] == f"[{ticket.number}] 收到 {ticket.number}"
    assert sent.get_body(("plain",)).get_content().strip() == "谢谢 IT"


def test_english_mail_to_an_english_desk_keeps_the_english_default(
    it_address, smtp_sink, django_capture_on_commit_callbacks
):
    ticket, sent = _acknowledge(django_capture_on_commit_callbacks, smtp_sink, build_mail())
    assert ticket.requester.language == "en"
    assert sent["Subject"] == f"[{ticket.number}] We received your request: VPN drops every hour"


@pytest.mark.parametrize(
    ("headers", "subject", "body", "desk_language", "expected"),
    [
        ({"Content-Language": "zh-CN"}, "Printer", "Broken printer on floor 3", "en", "zh-hans"),
        ({}, "Help", "I cannot log in to the VPN since Monday morning", "ar", "en"),
        ({}, "VPN", "VPN", "ar", "ar"),  # too short to tell: the desk's language
        ({}, "Drucker", "Mein Drucker ist seit gestern kaputt und druckt nicht", "ar", "ar"),
    ],
)
def test_requester_language(headers, subject, body, desk_language, expected):
    # Prepended: EmailMessage.set_content drops Content-* headers given before it.
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items()).encode()
    parsed = parse_message(extra + build_mail(subject=subject, body=body))
    assert requester_language(parsed, desk_language) == expected
