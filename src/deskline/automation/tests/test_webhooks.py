"""Outbound webhooks against a real HTTP receiver on loopback."""

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from deskline.automation.models import WebhookDelivery
from deskline.automation.services.webhooks import MAX_ATTEMPTS, retry_due
from deskline.automation.signing import HEADER, verify

pytestmark = pytest.mark.django_db


def _ticket(api) -> dict:
    return api.post(
        "/tickets",
        {
            "desk": "it",
            "subject": "Disk full",
            "requester": {"email": "sam@example.com"},
            "message": {"body_text": "C: is full"},
        },
    ).json()


def test_signed_delivery_retried_after_a_500_then_logged(
    api_for, desk_setup, hooks, immediate_tasks, allow_loopback, receiver
):
    admin = api_for(desk_setup["admin"])
    created = admin.post(
        "/webhooks",
        {"desk": "it", "name": "ops", "url": receiver.url, "events": ["ticket_created"]},
    )
    assert created.status_code == 201, created.content
    hook = created.json()
    secret = hook["secret"]
    assert secret and admin.get("/webhooks").json()[0]["secret"] is None

    receiver.statuses = [500]
    with hooks():
        ticket = _ticket(admin)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_status_code == 500
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=20)

    assert retry_due(timezone.now()) == 0  # not due yet
    assert retry_due(delivery.next_attempt_at + timedelta(seconds=1)) == 1
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempts == 2

    assert len(receiver.received) == 2
    for got in receiver.received:
        assert verify(secret, got["headers"][HEADER], got["body"], int(time.time()), 600)
        assert not verify("other-secret", got["headers"][HEADER], got["body"], int(time.time()))
    payload = json.loads(receiver.received[1]["body"])
    assert payload["event"] == "ticket_created"
    assert payload["ticket"]["number"] == ticket["number"]
    assert receiver.received[1]["headers"]["X-Deskline-Delivery"] == str(delivery.pk)

    log = admin.get(f"/webhooks/{hook['id']}/deliveries").json()
    assert [a["status_code"] for a in log[0]["attempt_log"]] == [500, 200]
    assert log[0]["status"] == "succeeded"


def test_delivery_gives_up_after_the_last_attempt(
    api_for, desk_setup, hooks, immediate_tasks, allow_loopback, receiver
):
    admin = api_for(desk_setup["admin"])
    admin.post(
        "/webhooks",
        {"desk": "it", "name": "ops", "url": receiver.url, "events": ["ticket_created"]},
    )
    receiver.statuses = [503] * MAX_ATTEMPTS
    with hooks():
        _ticket(admin)
    delivery = WebhookDelivery.objects.get()
    gaps = []
    while delivery.status == "pending":
        before = delivery.next_attempt_at
        retry_due(before)
        delivery.refresh_from_db()
        if delivery.next_attempt_at:
            gaps.append((delivery.next_attempt_at - before).total_seconds())
    assert delivery.status == "failed" and delivery.attempts == MAX_ATTEMPTS
    assert gaps == sorted(gaps) and gaps[1] == 2 * gaps[0]  # exponential backoff


def test_trigger_action_calls_a_webhook(
    api_for, desk_setup, hooks, immediate_tasks, allow_loopback, receiver
):
    admin = api_for(desk_setup["admin"])
    hook = admin.post(
        "/webhooks", {"desk": "it", "name": "pager", "url": receiver.url, "events": ["sla_breach"]}
    ).json()
    response = admin.post(
        "/triggers",
        {
            "desk": "it",
            "name": "page on disk",
            "events": ["ticket_created"],
            "conditions": {"all": [{"field": "text", "op": "contains", "value": "disk"}]},
            "actions": [{"type": "webhook", "webhook": hook["id"]}],
        },
    )
    assert response.status_code == 201, response.content
    with hooks():
        _ticket(admin)
    assert [json.loads(r["body"])["event"] for r in receiver.received] == ["trigger"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x",
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "http://localhost/x",
        "ftp://example.com/x",
        "http://user:pw@example.com/x",
        # Shared address space (RFC 6598): not "private" to Python, yet inside a provider
        # (one cloud's metadata service answers at 100.100.100.200).
        "http://100.100.100.200/latest/meta-data",
        # IPv6 forms that carry an inside IPv4 address: NAT64 and 6to4 gateways reach it.
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data",
        "http://[2002:a9fe:a9fe::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://0.0.0.0/x",
    ],
)
def test_private_addresses_are_refused_by_default(api_for, desk_setup, url):
    response = api_for(desk_setup["admin"]).post(
        "/webhooks", {"desk": "it", "name": "x", "url": url, "events": ["ticket_created"]}
    )
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == "url"


def test_allow_list_admits_one_network(api_for, desk_setup, settings):
    settings.DESKLINE_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.0/8"]
    response = api_for(desk_setup["admin"]).post(
        "/webhooks",
        {"desk": "it", "name": "x", "url": "http://127.0.0.1:9/x", "events": ["ticket_created"]},
    )
    assert response.status_code == 201, response.content


def test_a_url_refused_at_delivery_time_is_logged_not_sent(
    api_for, desk_setup, hooks, immediate_tasks, allow_loopback, receiver, settings
):
    admin = api_for(desk_setup["admin"])
    admin.post(
        "/webhooks",
        {"desk": "it", "name": "ops", "url": receiver.url, "events": ["ticket_created"]},
    )
    settings.DESKLINE_WEBHOOK_ALLOW_PRIVATE = False  # the install was locked down since
    with hooks():
        _ticket(admin)
    delivery = WebhookDelivery.objects.get()
    assert "RefusedURL" in delivery.last_error and receiver.received == []
