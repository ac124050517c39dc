from typing import Any

from django.utils import timezone

from deskline.accounts.models import User
from deskline.core import rows
from deskline.tickets.models import Message, Ticket, TicketEvent


def event(
    ticket: Ticket,
    actor: User | None,
    kind: str,
    *,
    field: str = "",
    before: Any = None,
    after: Any = None,
    message: Message | None = None,
) -> TicketEvent:
    """An unsaved event; callers bulk-create them with the change they describe."""
    return TicketEvent(
        ticket=ticket,
        actor=actor if actor is not None and actor.is_authenticated else None,
        kind=kind,
        field=field,
        before=before,
        after=after,
        message=message,
        created_at=timezone.now(),
    )


def save_events(events: list[TicketEvent]) -> list[TicketEvent]:
    if events:
        # bulk_create() in plain SQL: every ticket change writes its events under
        # SQLite's write lock, where building the ORM's INSERT cost more than running it.
        rows.insert_many(TicketEvent, events)
    return events
