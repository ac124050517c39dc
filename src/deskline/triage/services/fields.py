"""How each predicted target reads from and writes to a ticket."""

from deskline.desks.models import Category, Desk, Team
from deskline.tickets.choices import Priority, TicketType
from deskline.tickets.models import Ticket, TicketEvent
from deskline.triage.models import Target

# update_ticket's name for each target.
CHANGE_KEY = {
    Target.CATEGORY: "category",
    Target.TEAM: "team",
    Target.PRIORITY: "priority",
    Target.TYPE: "type",
}
# The ticket fields whose change (in a TICKET_UPDATED hook) concerns each target.
TICKET_FIELD = {
    Target.CATEGORY: "category",
    Target.TEAM: "team",
    Target.PRIORITY: "priority",
    Target.TYPE: "ticket_type",
}


def current_value(ticket: Ticket, target: str) -> str:
    """The ticket's value for a target, as a training label ("" when unset)."""
    if target == Target.CATEGORY:
        return ticket.category.path if ticket.category_id else ""
    if target == Target.TEAM:
        return ticket.team.slug if ticket.team_id else ""
    if target == Target.PRIORITY:
        return ticket.priority
    return ticket.ticket_type


# The ticket event fields that set each always-filled target.
SETTING_FIELDS = {
    Target.PRIORITY: ("priority", "impact", "urgency"),
    Target.TYPE: ("type",),
}


def is_unset(ticket: Ticket, target: str) -> bool:
    """Whether nobody chose this field yet, so triage may fill it in.

    Priority and type always have a value. Their defaults count as not chosen unless
    the ticket's history says someone gave them: at opening (a requester's "normal",
    or an impact and urgency the matrix turned into "normal") or since.
    """
    if target == Target.CATEGORY:
        return ticket.category_id is None
    if target == Target.TEAM:
        return ticket.team_id is None
    if target == Target.PRIORITY:
        default = ticket.priority == Priority.NORMAL
    else:
        default = ticket.ticket_type == TicketType.QUESTION
    return default and not _chosen(ticket, target)


def _chosen(ticket: Ticket, target: str) -> bool:
    events = TicketEvent.objects.filter(ticket=ticket)
    if events.filter(kind="field_changed", field__in=SETTING_FIELDS[target]).exists():
        return True
    created = events.filter(kind="created").values_list("after", flat=True).first()
    chosen = created.get("chosen", []) if isinstance(created, dict) else []
    return CHANGE_KEY[target] in chosen


def desk_labels(desk: Desk, target: str) -> set[str]:
    """The labels a desk can take for a target (what `current_value` gives)."""
    if target == Target.CATEGORY:
        return set(Category.objects.filter(desk=desk).values_list("path", flat=True))
    if target == Target.TEAM:
        return set(Team.objects.filter(desk=desk).values_list("slug", flat=True))
    if target == Target.PRIORITY:
        return set(Priority.values)
    return set(TicketType.values)
