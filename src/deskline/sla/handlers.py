"""The SLA app hears ticket changes through the ticket hooks, and only through them."""

from deskline.tickets.services import hooks


def on_ticket_change(change: hooks.TicketChange) -> None:
    # Imported at the first change, not when the app is ready: the timers bring the
    # business calendars (icalendar, holidays), ~50 ms that every process would pay at
    # start, a mail server's pipe delivery included, where this handler runs only in
    # the worker.
    from deskline.sla.services import slips, timers

    message_id = change.message_id if change.kind == hooks.MESSAGE_ADDED else None
    timers.sync_ticket(change.ticket_id, message_id=message_id)
    slips.refresh_watches(change.ticket_id)


def register_all() -> None:
    for kind in hooks.KINDS:
        hooks.register(kind, on_ticket_change)
