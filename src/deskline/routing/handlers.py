"""Routing hears new tickets through the ticket hooks and assigns them by the desk's rule."""

import logging

from deskline.routing.models import DeskRouting
from deskline.tickets.models import Ticket
from deskline.tickets.services import hooks

log = logging.getLogger(__name__)


def _triage_first(ticket_id: int, desk_id: int) -> None:
    """Let triage fill in category, team and priority before routing reads them.

    Routing picks the team from the category (or the team itself) and the agent from
    the category and language; assigning first would send every ticket of a desk with
    trained models to the default team, and triage could then only suggest its team.
    Triage predicts once per ticket, so its own queued task finds nothing left to do.
    """
    from deskline.triage.models import TriageModel

    if not TriageModel.objects.filter(desk_id=desk_id, active=True).exists():
        return
    from deskline.triage.services import triage_ticket

    try:
        triage_ticket(ticket_id)
    except Exception:  # routing goes on without predictions rather than not at all
        log.exception("triage before routing failed for ticket %s", ticket_id)


def on_ticket_opened(change: hooks.TicketChange) -> None:
    from deskline.routing.services.assignment import assign_ticket

    desk_id = Ticket.objects.filter(pk=change.ticket_id).values_list("desk_id", flat=True).first()
    if desk_id is not None and DeskRouting.objects.filter(desk_id=desk_id).exists():
        _triage_first(change.ticket_id, desk_id)
        assign_ticket(change.ticket_id)


def register_all() -> None:
    hooks.register(hooks.TICKET_OPENED, on_ticket_opened)
