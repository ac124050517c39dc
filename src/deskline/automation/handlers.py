from deskline.tickets.services import hooks


def on_ticket_change(change: hooks.TicketChange) -> None:
    # Imported at the first change, not when the app is ready: the trigger machinery
    # (conditions, actions, the ticket services) is only needed where hooks run, the
    # worker, and every process (a mail server's pipe delivery included) would import
    # it at start for nothing.
    from deskline.automation.services.firing import on_ticket_change as fire

    fire(change)


def register_all() -> None:
    for kind in hooks.KINDS:
        hooks.register(kind, on_ticket_change)
