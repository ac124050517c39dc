"""Routing hears new tickets through the ticket hooks and assigns them by the desk's rule."""

from deskline.routing.models import DeskRouting
from deskline.tickets.models import Ticket
from deskline.tickets.services import hooks


def on_ticket_opened(change: hooks.TicketChange) -> None:
    from deskline.routing.services.assignment import assign_ticket

    desk_id = Ticket.objects.filter(pk=change.ticket_id).values_list("desk_id", flat=True).first()
    if desk_id is not None and DeskRouting.objects.filter(desk_id=desk_id).exists():
        assign_ticket(change.ticket_id)


def register_all() -> None:
    hooks.register(hooks.TICKET_OPENED, on_ticket_opened)
