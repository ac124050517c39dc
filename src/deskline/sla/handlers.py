"""The SLA app hears ticket changes through the ticket hooks, and only through them."""

from deskline.sla.services import slips, timers
from deskline.tickets.services import hooks


def on_ticket_change(change: hooks.TicketChange) -> None:
    message_id = change.message_id if change.kind == hooks.MESSAGE_ADDED else None
    timers.sync_ticket(change.ticket_id, message_id=message_id)
    slips.refresh_watches(change.ticket_id)


def register_all() -> None:
    for kind in hooks.KINDS:
        hooks.register(kind, on_ticket_change)
