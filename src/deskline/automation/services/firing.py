"""Turning ticket changes and other apps' events into trigger runs and webhook deliveries."""

import logging

from django.db import transaction

from deskline.automation.chain import Chain, claim
from deskline.automation.events import FIRED_EVENTS, events_for_change
from deskline.automation.services.triggers import run_triggers
from deskline.automation.services.webhooks import queue_for_event
from deskline.tickets.access import AGENT_ROLES, ticket_role
from deskline.tickets.models import Message
from deskline.tickets.services.hooks import MESSAGE_ADDED, TicketChange

log = logging.getLogger(__name__)


def _author_is_agent(change: TicketChange) -> bool:
    if change.kind != MESSAGE_ADDED or change.message_id is None:
        return False
    message = Message.objects.select_related("author", "ticket").filter(pk=change.message_id)
    message = message.first()
    if message is None:
        return False
    if message.author is None:
        # Automation's own notes have no author: they count as the desk's side.
        return message.internal
    return ticket_role(message.author, message.ticket) in AGENT_ROLES


def on_ticket_change(change: TicketChange) -> None:
    """The ticket hook: run triggers for each event the change stands for."""
    chain = claim(change.ticket_id) or Chain()
    kinds = events_for_change(change, _author_is_agent(change))
    for kind in kinds:
        queue_for_event(kind, change.ticket_id, change.fields, change.message_id)
        run_triggers(
            kind,
            change.ticket_id,
            chain=chain,
            message_id=change.message_id,
            changed=change.fields,
        )


def fire(event_kind: str, ticket_id: int, *, data: dict | None = None) -> None:
    """Raise an event other apps detect (SLA warning/breach) on a ticket.

    Safe to call inside a transaction: triggers and webhooks run after it commits.
    """
    if event_kind not in FIRED_EVENTS:
        raise ValueError(f"unknown event {event_kind!r}; one of {[e.value for e in FIRED_EVENTS]}")

    def run() -> None:
        try:
            queue_for_event(event_kind, ticket_id, (), None, data=data)
            run_triggers(event_kind, ticket_id, chain=Chain())
        except Exception:  # the caller's own work must not fail because of a trigger
            log.exception("automation event %s failed on ticket %s", event_kind, ticket_id)

    transaction.on_commit(run)
