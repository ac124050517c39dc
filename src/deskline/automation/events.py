"""The events automation reacts to, and how ticket changes map onto them."""

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from deskline.tickets.services import hooks


class Event(TextChoices):
    TICKET_CREATED = "ticket_created", _("Ticket created")
    TICKET_UPDATED = "ticket_updated", _("Ticket updated")
    STATUS_CHANGED = "status_changed", _("Status changed")
    ASSIGNED = "assigned", _("Assigned (agent or team changed)")
    MESSAGE_BY_REQUESTER = "message_added_by_requester", _("Reply added by the requester")
    MESSAGE_BY_AGENT = "message_added_by_agent", _("Reply or internal note added by an agent")
    SLA_WARNING = "sla_warning", _("SLA about to be breached")
    SLA_BREACH = "sla_breach", _("SLA breached")


# Events other apps raise through automation.services.fire().
FIRED_EVENTS = (Event.SLA_WARNING, Event.SLA_BREACH)


def events_for_update(fields: tuple[str, ...]) -> list[str]:
    """A ticket_updated change is also status_changed / assigned when those fields moved."""
    kinds = [Event.TICKET_UPDATED.value]
    if "status" in fields:
        kinds.append(Event.STATUS_CHANGED.value)
    if "assignee" in fields or "team" in fields:
        kinds.append(Event.ASSIGNED.value)
    return kinds


def events_for_change(change: hooks.TicketChange, author_is_agent: bool) -> list[str]:
    if change.kind == hooks.TICKET_OPENED:
        return [Event.TICKET_CREATED.value]
    if change.kind == hooks.MESSAGE_ADDED:
        return [Event.MESSAGE_BY_AGENT.value if author_is_agent else Event.MESSAGE_BY_REQUESTER]
    return events_for_update(change.fields)
