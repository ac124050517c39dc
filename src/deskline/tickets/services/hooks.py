"""Who else acts when a ticket changes: mail sends a reply, triage predicts, search
indexes, automation runs its triggers.

Apps register a handler in their AppConfig.ready(); the ticket services call `emit`
inside their transaction and the handlers run after it commits, so a change that rolls
back tells no one, and a failing handler (logged, not raised) cannot undo the change.
Handlers get ids, not objects: they read fresh rows or hand the ids to a task.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

log = logging.getLogger(__name__)

TICKET_OPENED = "ticket_opened"
MESSAGE_ADDED = "message_added"
TICKET_UPDATED = "ticket_updated"
KINDS = (TICKET_OPENED, MESSAGE_ADDED, TICKET_UPDATED)


@dataclass(frozen=True)
class TicketChange:
    kind: str
    ticket_id: int
    actor_id: int | None
    # The message a ticket was opened with or the message added.
    message_id: int | None = None
    # For ticket_updated: the fields that changed.
    fields: tuple[str, ...] = field(default=())


Handler = Callable[[TicketChange], None]
_handlers: dict[str, list[Handler]] = {kind: [] for kind in KINDS}


def register(kind: str, handler: Handler) -> None:
    """Call handler after every committed change of this kind (once per handler)."""
    if kind not in _handlers:
        raise ValueError(f"unknown ticket change {kind!r}; one of {KINDS}")
    if handler not in _handlers[kind]:
        _handlers[kind].append(handler)


def unregister(kind: str, handler: Handler) -> None:
    if handler in _handlers.get(kind, []):
        _handlers[kind].remove(handler)


def emit(change: TicketChange) -> None:
    for handler in list(_handlers[change.kind]):
        transaction.on_commit(lambda h=handler: _run(h, change))


def _run(handler: Handler, change: TicketChange) -> None:
    try:
        handler(change)
    except Exception:  # one broken handler must not stop the others or the caller
        log.exception("ticket hook %s failed for %s", getattr(handler, "__name__", handler), change)
