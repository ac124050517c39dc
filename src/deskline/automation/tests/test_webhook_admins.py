"""Outbound webhooks send a desk's tickets (subjects, requesters, messages) out of the
install, to any address: only admins create, change or delete them, as in Zendesk and
Jira Service Management. A desk's supervisors still see its webhooks and their delivery
log (tickets of their own desk) and use them in their triggers."""

from django.test import Client

from deskline.accounts.models import AuditEntry
from deskline.automation.models import Webhook

# On loopback (allow_loopback), port 9 (discard): no ticket is made, so nothing is sent.
HOOK = {"desk": "it", "name": "ops", "url": "http://127.0.0.1:9/x", "events": ["ticket_created"]}
MOVED = "http://127.0.0.1:9/y"


def test_supervisors_may_not_send_tickets_out_by_webhook(api_for, desk_setup, allow_loopback):
    supervisor = api_for(desk_setup["supervisor"])
    refused = supervisor.post("/webhooks", HOOK)
    assert refused.status_code == 403, refused.content
    assert "only admins" in refused.json()["detail"]
    assert not Webhook.objects.exists()

    admin = api_for(desk_setup["admin"])
    created = admin.post("/webhooks", HOOK)
    assert created.status_code == 201, created.content
    hook_id = created.json()["id"]
    moved = supervisor.patch(f"/webhooks/{hook_id}", {"url": MOVED})
    assert moved.status_code == 403
    assert supervisor.delete(f"/webhooks/{hook_id}").status_code == 403
    assert Webhook.objects.get().url == HOOK["url"]
    # What they may still do: read the desk's webhooks and their deliveries.
    assert [h["id"] for h in supervisor.get("/webhooks").json()] == [hook_id]
    assert supervisor.get(f"/webhooks/{hook_id}/deliveries").status_code == 200

    assert admin.patch(f"/webhooks/{hook_id}", {"is_active": False}).status_code == 200
    assert admin.delete(f"/webhooks/{hook_id}").status_code == 204
    audited = AuditEntry.objects.filter(action__startswith="automation.webhook").order_by("id")
    assert [(e.action, e.actor) for e in audited] == [
        ("automation.webhook_saved", desk_setup["admin"]),
        ("automation.webhook_saved", desk_setup["admin"]),
        ("automation.webhook_deleted", desk_setup["admin"]),
    ]
    desk_id = desk_setup["desk"].pk
    common = {"desk": desk_id, "url": HOOK["url"], "events": HOOK["events"]}
    assert [e.data for e in audited[:2]] == [
        {**common, "active": True},
        {**common, "active": False},
    ]


def test_supervisors_may_not_make_webhooks_on_the_setup_pages(desk_setup, allow_loopback):
    page = Client()
    page.force_login(desk_setup["supervisor"])
    assert page.get("/automation/webhooks/").status_code == 200
    assert (
        'href="/automation/webhooks/new/"' not in page.get("/automation/webhooks/").content.decode()
    )
    assert page.get("/automation/webhooks/new/").status_code == 403
    assert page.post("/automation/webhooks/new/", HOOK).status_code == 403
    assert not Webhook.objects.exists()
    hook = Webhook.objects.create(
        desk=desk_setup["desk"], name="ops", url=HOOK["url"], events=HOOK["events"], secret="s"
    )
    changed = page.post(
        f"/automation/webhooks/{hook.pk}/",
        {**HOOK, "url": MOVED, "is_active": "on"},
    )
    assert changed.status_code == 403
    assert page.post(f"/automation/webhooks/{hook.pk}/", {"delete": "1"}).status_code == 403
    hook.refresh_from_db()
    assert hook.url == HOOK["url"]
    assert page.get(f"/automation/webhooks/{hook.pk}/deliveries/").status_code == 200
