"""The webhook setup pages: an admin makes an outbound webhook and reads its delivery
log (against a real receiver on loopback), and makes an inbound alert hook whose address
then opens tickets. Desks the user does not manage stay out of reach."""

import json
import re

import pytest
from django.test import Client
from django.utils import timezone

from deskline.automation.models import InboundHook, Webhook, WebhookDelivery
from deskline.automation.services.webhooks import retry_due
from deskline.desks.models import Desk, Role
from deskline.tickets.models import Ticket
from deskline.tickets.services import open_ticket

pytestmark = pytest.mark.django_db


def test_admin_makes_a_webhook_and_reads_its_delivery_log(
    admin_client,
    desk_setup,
    hooks,
    immediate_tasks,
    allow_loopback,
    receiver,
):
    assert admin_client.get("/automation/webhooks/").status_code == 200
    assert admin_client.get("/automation/webhooks/new/").status_code == 200
    form = {"desk": "it", "name": "ops", "url": receiver.url, "events": ["ticket_created"]}
    refused = admin_client.post("/automation/webhooks/new/", {**form, "events": []})
    assert refused.status_code == 200 and not Webhook.objects.exists()

    created = admin_client.post("/automation/webhooks/new/", {**form, "is_active": "on"})
    assert created.status_code == 200
    hook = Webhook.objects.get()
    assert hook.secret in created.content.decode()  # shown once, on creation
    edit_page = admin_client.get(f"/automation/webhooks/{hook.pk}/")
    assert edit_page.status_code == 200 and hook.secret not in edit_page.content.decode()

    receiver.statuses = [500]
    with hooks():
        ticket = open_ticket(
            desk=desk_setup["desk"],
            subject="Disk full",
            requester=desk_setup["requester"],
            body_text="C: is full",
        )
    delivery = WebhookDelivery.objects.get()
    retry_due(delivery.next_attempt_at + timezone.timedelta(seconds=1))
    log = admin_client.get(f"/automation/webhooks/{hook.pk}/deliveries/").content.decode()
    assert ticket.number in log
    assert re.search(r">500</span>,\s*<span[^>]*>200</span>", log), log

    saved = admin_client.post(
        f"/automation/webhooks/{hook.pk}/", {**form, "name": "ops 2", "events": ["sla_breach"]}
    )
    assert saved.status_code == 302
    hook.refresh_from_db()
    assert (hook.name, hook.events, hook.is_active) == ("ops 2", ["sla_breach"], False)
    admin_client.post(f"/automation/webhooks/{hook.pk}/", {"delete": "1"})
    assert not Webhook.objects.exists()


def test_private_addresses_are_refused_on_the_page(admin_client, desk_setup):
    page = admin_client.post(
        "/automation/webhooks/new/",
        {"desk": "it", "name": "x", "url": "http://127.0.0.1:9/x", "events": ["ticket_created"]},
    )
    assert page.status_code == 200 and b"field-error" in page.content
    assert not Webhook.objects.exists()


def test_inbound_hook_address_shown_once_opens_tickets(admin_client, desk_setup):
    created = admin_client.post(
        "/automation/inbound-hooks/new/",
        {
            "desk": "it",
            "name": "Monitoring",
            "sender_email": "alerts@monitor.example",
            "subject_path": "title",
            "body_path": "message",
            "key_path": "alert_key",
        },
    )
    assert created.status_code == 200
    url = re.search(r'value="(http://[^"]+/api/v1/hooks/inbound/[^"]+)"', created.content.decode())
    assert url, created.content
    path = url.group(1).split("testserver", 1)[1]
    alert = {"title": "Disk 95% on db1", "message": "df says so", "alert_key": "db1-disk"}
    first = Client().post(path, json.dumps(alert), content_type="application/json")
    again = Client().post(path, json.dumps(alert), content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert Ticket.objects.filter(subject="Disk 95% on db1").count() == 1
    hook = InboundHook.objects.get()
    listing = admin_client.get("/automation/webhooks/").content.decode()
    assert hook.token_prefix in listing and url.group(1) not in listing

    admin_client.post(f"/automation/inbound-hooks/{hook.pk}/delete/")
    assert not InboundHook.objects.exists()


def test_other_desks_hooks_are_out_of_reach(desk_setup, agent_on, make_user):
    hr = Desk.objects.create(name="HR", slug="hr", prefix="HR")
    theirs = Webhook.objects.create(desk=hr, name="hr", url="https://hr.example/x", secret="s")
    inbound = InboundHook.objects.create(
        desk=hr, name="hr", token_prefix="x", token_digest="d" * 64, sender_email="a@b.example"
    )
    supervisor = Client()
    supervisor.force_login(desk_setup["supervisor"])
    assert supervisor.get("/automation/webhooks/").status_code == 200
    assert b"hr.example" not in supervisor.get("/automation/webhooks/").content
    assert supervisor.get(f"/automation/webhooks/{theirs.pk}/").status_code == 404
    assert supervisor.get(f"/automation/webhooks/{theirs.pk}/deliveries/").status_code == 404
    assert supervisor.post(f"/automation/inbound-hooks/{inbound.pk}/delete/").status_code == 404
    refused = supervisor.post(
        "/automation/webhooks/new/",
        {"desk": "hr", "name": "x", "url": "https://x.example/", "events": ["ticket_created"]},
    )
    # Refused before the desk is even read: outbound webhooks are the admins' alone.
    assert refused.status_code == 403 and Webhook.objects.count() == 1

    plain_agent = Client()
    plain_agent.force_login(agent_on(hr, Role.AGENT, email="hr.agent@example.com"))
    assert plain_agent.get("/automation/webhooks/").status_code == 404


@pytest.mark.parametrize(
    "language, said",
    [
        ("ar", "لا تُقبل إلا عناوين http وhttps التي تتضمن اسم مضيف"),
        ("zh-hans", "只接受带主机名的 http 和 https 地址"),
    ],
)
def test_a_refused_webhook_address_is_explained_in_the_admins_language(
    language, said, admin_client, desk_setup
):
    admin = desk_setup["admin"]
    admin.language = language
    admin.save(update_fields=["language"])
    form = {"desk": "it", "name": "ops", "url": "ftp://example.com/x", "events": ["sla_breach"]}
    page = admin_client.post("/automation/webhooks/new/", form)
    assert page.status_code == 200 and not Webhook.objects.exists()
    assert page.context["form"].errors["url"] == [said]
