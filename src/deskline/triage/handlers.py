"""Triage hears ticket changes through the ticket hooks, and only through them."""

import logging

from deskline.tickets.services import hooks

log = logging.getLogger(__name__)


def on_ticket_opened(change: hooks.TicketChange) -> None:
    # Prediction loads a model and compares texts: a task, not the request's time.
    from deskline.triage.tasks import triage_ticket

    triage_ticket.enqueue(change.ticket_id)


def on_ticket_updated(change: hooks.TicketChange) -> None:
    from deskline.triage.services import record_corrections

    record_corrections(change)


def register_all() -> None:
    hooks.register(hooks.TICKET_OPENED, on_ticket_opened)
    # In the change's transaction: a few reads and at most one write per field, and the
    # page the agent sees next (or a worker that is down) must not show triage's label
    # as still applied after they changed it.
    hooks.register(hooks.TICKET_UPDATED, on_ticket_updated, transactional=True)
