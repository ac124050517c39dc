"""Auto-responses per channel, in the requester's language: a trigger on ticket_created
with a channel condition and a send_mail to the requester with language variants."""

import pytest

from deskline.accounts.models import User
from deskline.tickets.services import open_ticket

pytestmark = pytest.mark.django_db


def _auto_response(channel: str, subject: str, variants: dict | None = None) -> dict:
    action = {
        "type": "send_mail",
        "to": "requester",
        "subject": subject,
        "body": "{{ticket.number}}",
    }
    if variants:
        action["variants"] = variants
    return {
        "desk": "it",
        "name": f"Auto-response {channel}",
        "events": ["ticket_created"],
        "conditions": {"all": [{"field": "channel", "op": "is", "value": channel}]},
        "actions": [action],
    }


def test_each_channel_gets_its_own_answer_in_the_requesters_language(
    api_for, desk_setup, hooks, immediate_tasks, make_user, it_address, smtp_sink
):
    admin = api_for(desk_setup["admin"])
    portal_variants = {
        "ar": {"subject": "استلمنا طلبك من البوابة", "body": "رقم التذكرة {{ticket.number}}"},
        "zh-hans": {"subject": "已收到您在门户提交的请求", "body": "工单 {{ticket.number}}"},
    }
    for body in (
        _auto_response("web", "Received from the help center", portal_variants),
        _auto_response("phone", "Thanks for your call"),
    ):
        created = admin.post("/triggers", body)
        assert created.status_code == 201, created.content

    desk = desk_setup["desk"]
    salma = make_user("salma@example.com", name="Salma", language="ar")
    li = make_user("li@example.com", name="Li", language="zh-hans")
    cases = [
        (salma, "web", "استلمنا طلبك من البوابة", "رقم التذكرة"),
        (li, "web", "已收到您在门户提交的请求", "工单"),
        (desk_setup["requester"], "web", "Received from the help center", ""),
        (salma, "phone", "Thanks for your call", ""),  # no variants: the base text
    ]
    for requester, channel, subject, body_start in cases:
        smtp_sink.received.clear()
        with hooks():
            ticket = open_ticket(
                desk=desk, subject="Help", requester=requester, body_text="x", channel=channel
            )
        (sent,) = smtp_sink.messages()
        assert sent["To"] == requester.email
        assert sent["Subject"] == f"[{ticket.number}] {subject}"
        text = sent.get_body(("plain",)).get_content().strip()
        assert text == f"{body_start} {ticket.number}".strip()
        # The variant's language, when one was chosen; none claimed for the base text.
        assert sent["Content-Language"] == (requester.language if body_start else None)

    smtp_sink.received.clear()
    with hooks():  # a channel without an auto-response, and an automated sender
        open_ticket(desk=desk, subject="Help", requester=salma, body_text="x", channel="api")
        robot = User.objects.create_user("noreply@example.com", name="Robot")
        open_ticket(desk=desk, subject="Help", requester=robot, body_text="x", channel="web")
    assert smtp_sink.messages() == []


def test_dry_run_shows_the_variant_and_bad_variants_are_refused(
    api_for, desk_setup, hooks, make_user
):
    admin = api_for(desk_setup["admin"])
    variants = {"ar": {"subject": "شكرا", "body": "{{ticket.number}}"}}
    trigger = admin.post("/triggers", _auto_response("web", "Thanks", variants)).json()
    salma = make_user("salma@example.com", name="Salma", language="ar")
    with hooks():
        ticket = open_ticket(
            desk=desk_setup["desk"], subject="Help", requester=salma, body_text="x", channel="web"
        )
    dry = admin.post(f"/triggers/{trigger['id']}/dry-run", {"ticket": ticket.number}).json()
    assert {"type": "send_mail", "to": ["salma@example.com"], "subject": "شكرا"} in dry["actions"]

    for bad, field in (
        ({"fr": {"subject": "Merci", "body": "x"}}, "actions.0.variants.fr"),
        ({"ar": {"subject": "x"}}, "actions.0.variants.ar.body"),
        ({"ar": {"subject": "x", "body": "{{nope}}"}}, "actions.0.variants.ar.body"),
        (["ar"], "actions.0.variants"),
    ):
        refused = admin.post("/triggers", _auto_response("web", "Thanks", bad))
        assert refused.status_code == 422, bad
        assert refused.json()["errors"][0]["field"] == field
