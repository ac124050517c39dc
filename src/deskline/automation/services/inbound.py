"""Inbound webhooks: a JSON alert becomes a ticket, or a message on the alert's open ticket.

Repeats of an alert (same key) go to its ticket while that is not solved or closed;
after that the next one opens a new ticket. Rows of one key are serialized by the
unique (hook, key) row, locked while the alert is handled.
"""

import hashlib
import json
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from deskline.automation.models import InboundAlert, InboundHook
from deskline.core.ratelimit import seconds_to_wait
from deskline.tickets.choices import Channel, Status
from deskline.tickets.models import Ticket
from deskline.tickets.services.inbound import InboundMessage, receive_inbound

TOKEN_PREFIX = "dlh_"
MAX_KEY = 255


def seconds_before_next_alert(
    *, client_address: str | None = None, hook: InboundHook | None = None
) -> int:
    """Count one alert from this client address, or for this hook; 0 when within the
    per-minute budget, else the seconds to wait.

    The endpoint counts the address before it even looks the token up, so guessing
    tokens is throttled too; the hook's own budget stops one noisy monitor (or a
    leaked token used from many addresses) from flooding its desk with tickets.
    """
    limit = settings.INBOUND_HOOK_RATE_LIMIT
    if client_address is not None:
        return seconds_to_wait(f"inbound-ip:{client_address}", limit)
    if hook is not None:
        # The digest, not the id: ids repeat across databases sharing one Redis.
        return seconds_to_wait(f"inbound-hook:{hook.token_digest[:32]}", limit)
    return 0


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hook_for_token(token: str) -> InboundHook | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    return (
        InboundHook.objects.select_related("desk")
        .filter(token_digest=digest_of(token), is_active=True, desk__is_active=True)
        .first()
    )


def pick(data: Any, path: str) -> Any:
    """The value at a dotted path ("alert.labels.host"), or None."""
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdecimal() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def receive_alert(hook: InboundHook, alert: Any) -> tuple[Ticket, bool]:
    """Handle one alert; return its ticket and whether the ticket is new."""
    if not isinstance(alert, dict):
        raise ValidationError({"body": "an alert is a JSON object"})
    subject = _text(pick(alert, hook.subject_path)).strip()
    if not subject:
        raise ValidationError({hook.subject_path: "the alert has no subject at this path"})
    body = _text(pick(alert, hook.body_path)).strip() or json.dumps(
        alert, ensure_ascii=False, indent=2, sort_keys=True
    )
    key = (_text(pick(alert, hook.key_path)).strip() or subject)[:MAX_KEY]
    now = timezone.now()
    for _ in range(2):  # a concurrent first alert of the same key wins the insert
        try:
            with transaction.atomic():
                return _receive(hook, key, subject, body, now)
        except IntegrityError:
            continue
    raise ValidationError({hook.key_path: "the alert could not be stored; send it again"})


def _receive(hook: InboundHook, key: str, subject: str, body: str, now: Any) -> tuple[Ticket, bool]:
    InboundHook.objects.filter(pk=hook.pk).update(last_used_at=now)
    existing = (
        InboundAlert.objects.select_for_update()
        .select_related("ticket")
        .filter(hook=hook, key=key)
        .first()
    )
    inbound = InboundMessage(
        desk=hook.desk,
        channel=Channel.WEBHOOK,
        sender_email=hook.sender_email,
        sender_name=hook.sender_name or hook.name,
        subject=subject,
        body_text=body,
        source_headers={"inbound_hook": hook.pk, "alert_key": key},
    )
    if existing is not None and existing.ticket.status not in (Status.SOLVED, Status.CLOSED):
        inbound.ticket = existing.ticket
        ticket, _ = receive_inbound(inbound)
        existing.count += 1
        existing.last_received_at = now
        existing.save(update_fields=["count", "last_received_at"])
        return ticket, False
    ticket, _ = receive_inbound(inbound)
    if existing is not None:
        existing.ticket = ticket
        existing.count += 1
        existing.last_received_at = now
        existing.save(update_fields=["ticket", "count", "last_received_at"])
    else:
        InboundAlert.objects.create(hook=hook, key=key, ticket=ticket, last_received_at=now)
    return ticket, True
