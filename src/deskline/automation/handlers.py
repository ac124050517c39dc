from deskline.automation.services.firing import on_ticket_change
from deskline.tickets.services import hooks


def register_all() -> None:
    for kind in hooks.KINDS:
        hooks.register(kind, on_ticket_change)
