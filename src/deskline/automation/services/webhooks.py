"""Outbound webhooks: a delivery row per event and webhook, tried until it succeeds.

The first try is a task enqueued after commit; failed tries are retried by the
scheduler's sweep with exponential backoff (RETRY_BASE doubled per try, up to
MAX_ATTEMPTS), every try logged with its response code.
"""

import json
import secrets
import time
from datetime import datetime, timedelta
from http.client import HTTPException
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from deskline.automation.models import DeliveryStatus, Webhook, WebhookAttempt, WebhookDelivery
from deskline.automation.signing import HEADER, sign
from deskline.automation.transport import post
from deskline.automation.urlcheck import RefusedURL
from deskline.core.errors import english
from deskline.tickets.models import Message, Ticket
from deskline.tickets.services.tags import ticket_tag_names

MAX_ATTEMPTS = 8
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=6)
# While one worker tries a delivery, others leave it alone this long.
LEASE = timedelta(minutes=2)
SWEEP_BATCH = 100


def new_secret() -> str:
    return secrets.token_hex(32)


def backoff(attempts: int) -> timedelta:
    return min(RETRY_BASE * (2 ** max(attempts - 1, 0)), RETRY_CAP)


def ticket_payload(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "tier": ticket.tier,
        "channel": ticket.channel,
        "desk": ticket.desk.slug,
        "requester": ticket.requester.email,
        "organization": ticket.organization.name if ticket.organization_id else None,
        "team": ticket.team.slug if ticket.team_id else None,
        "assignee": ticket.assignee.email if ticket.assignee_id else None,
        "tags": ticket_tag_names(ticket),
        "custom_fields": ticket.custom_fields,
        "url": f"{settings.BASE_URL}/tickets/{ticket.number}",
        "updated_at": ticket.updated_at.isoformat(),
    }


def _payload(
    event: str,
    ticket: Ticket,
    changed: tuple[str, ...] = (),
    message_id: int | None = None,
    data: dict | None = None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "event": event,
        "occurred_at": timezone.now().isoformat(),
        "ticket": ticket_payload(ticket),
        "changed": list(changed),
    }
    message = Message.objects.filter(pk=message_id).first() if message_id else None
    if message is not None:
        payload["message"] = {
            "id": message.pk,
            "internal": message.internal,
            "sender_email": message.sender_email,
            "body_text": message.body_text[:10000],
        }
    if data:
        payload["data"] = data
    return payload


def _queue(webhooks: list[Webhook], event: str, ticket: Ticket, payload: dict) -> list:
    from deskline.automation.tasks import deliver_webhook

    now = timezone.now()
    deliveries = [
        WebhookDelivery.objects.create(
            webhook=hook, event=event, ticket=ticket, payload=payload, next_attempt_at=now
        )
        for hook in webhooks
    ]
    for delivery in deliveries:
        transaction.on_commit(lambda pk=delivery.pk: deliver_webhook.enqueue(pk))
    return deliveries


def queue_for_event(
    event: str,
    ticket_id: int,
    changed: tuple[str, ...],
    message_id: int | None,
    data: dict | None = None,
) -> list[WebhookDelivery]:
    ticket = Ticket.objects.select_related(
        "desk", "requester", "team", "assignee", "organization"
    ).filter(pk=ticket_id)
    ticket = ticket.first()
    if ticket is None:
        return []
    hooks = [
        h
        for h in Webhook.objects.filter(desk_id=ticket.desk_id, is_active=True)
        if event in h.events
    ]
    if not hooks:
        return []
    return _queue(hooks, event, ticket, _payload(event, ticket, changed, message_id, data))


def queue_for_action(webhook_id: int, ticket: Ticket) -> WebhookDelivery | None:
    hook = Webhook.objects.filter(pk=webhook_id, desk_id=ticket.desk_id, is_active=True).first()
    if hook is None:
        return None
    return _queue([hook], "trigger", ticket, _payload("trigger", ticket))[0]


def _claim(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    with transaction.atomic():
        rows = WebhookDelivery.objects.select_related("webhook").filter(
            pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        )
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        delivery = rows.first()
        if delivery is not None:
            delivery.next_attempt_at = now + LEASE
            delivery.save(update_fields=["next_attempt_at"])
        return delivery


def attempt(delivery_id: int, now: datetime | None = None) -> WebhookDelivery | None:
    """Try a due delivery once; record the try; schedule the next or settle it."""
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Deskline-Webhook/1",
        "X-Deskline-Event": delivery.event,
        "X-Deskline-Delivery": str(delivery.pk),
        HEADER: sign(delivery.webhook.secret, timestamp, body),
    }
    started = time.monotonic()
    status_code: int | None = None
    excerpt = error = ""
    try:
        if not delivery.webhook.is_active:
            raise RefusedURL("the webhook was turned off")
        response = post(delivery.webhook.url, body, headers)
        status_code, excerpt = response.status, response.excerpt
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except (RefusedURL, OSError, HTTPException) as exc:
        error = f"{type(exc).__name__}: {english(exc)}"
    duration = int((time.monotonic() - started) * 1000)
    delivery.attempts += 1
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        status_code=status_code,
        error=error[:2000],
        response_excerpt=excerpt,
        duration_ms=duration,
        created_at=now,
    )
    delivery.last_status_code = status_code
    delivery.last_error = error[:2000]
    if not error:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.finished_at = now
        delivery.next_attempt_at = None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
        delivery.finished_at = now
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    delivery.save()
    return delivery


def retry_due(now: datetime | None = None) -> int:
    """Try every pending delivery whose time has come; return how many were tried."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(
        status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).order_by("next_attempt_at")
    tried = 0
    for delivery_id in list(due.values_list("pk", flat=True)[:SWEEP_BATCH]):
        if attempt(delivery_id, now) is not None:
            tried += 1
    return tried
