"""The agent's queues (home page counts) and the ticket list's filters and sort.

Filters are the API's (`GET /api/v1/tickets`), applied by the same function, so a list
page and an API call with the same query string return the same tickets.
"""

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from pydantic import ValidationError as SchemaError

from deskline.accounts.models import User
from deskline.api.routers.tickets import TicketFilters, _apply_filters
from deskline.desks.models import Desk, TeamMembership
from deskline.sla.services import display as sla_display
from deskline.tickets.access import agent_desk_ids, visible_tickets_for_user
from deskline.tickets.choices import ACTIVE_STATUSES, Status
from deskline.tickets.models import Ticket

QUEUES = ("mine", "unassigned", "open", "waiting", "at_risk", "recent")
# Warned or already late: the timers an agent should act on before (or after) it is too late.
AT_RISK = "at_risk,breached"
FILTER_KEYS = (
    "desk",
    "status",
    "assignee",
    "team",
    "requester",
    "organization",
    "priority",
    "tag",
    "category",
    "type",
)
SORTS = {
    "-updated": ("updated_at", True),
    "updated": ("updated_at", False),
    "-created": ("created_at", True),
    "created": ("created_at", False),
    # Not columns: web/ordering.py pages these its own way.
    "priority": ("priority", True),
    "sla": ("sla_due", False),
}
RECENT = timedelta(days=1)


def working_desk_ids(user: User) -> list[int]:
    if user.is_superuser:
        return list(Desk.objects.values_list("pk", flat=True))
    return agent_desk_ids(user)


def queue_condition(user: User, queue: str) -> Q:
    active = Q(status__in=ACTIVE_STATUSES)
    desks = Q(desk_id__in=working_desk_ids(user))
    if queue == "mine":
        return active & Q(assignee_id=user.pk)
    if queue == "unassigned":
        teams = list(TeamMembership.objects.filter(user=user).values_list("team_id", flat=True))
        return active & desks & Q(assignee__isnull=True, team_id__in=teams)
    if queue == "open":
        return active & desks
    if queue == "waiting":
        return desks & Q(status=Status.PENDING)
    if queue == "at_risk":
        return active & desks  # and a troubled SLA timer: see in_queue
    if queue == "recent":
        return desks & Q(updated_at__gte=timezone.now() - RECENT)
    raise ValidationError({"queue": f"no queue {queue!r}"})


def in_queue(tickets: QuerySet[Ticket], user: User, queue: str) -> QuerySet[Ticket]:
    tickets = tickets.filter(queue_condition(user, queue))
    if queue == "at_risk":
        tickets = sla_display.filter_tickets(tickets, AT_RISK)
    return tickets


# A queue's count stops here and shows as "1000+": an exact count of a big desk's open
# tickets read every one of them on each home page (85-115 ms at 1M, docs/benchmarks.md);
# a capped count stops after this many index entries.
COUNT_CAP = 1000


def queue_counts(user: User) -> dict[str, int]:
    """Tickets per queue, up to COUNT_CAP + 1 (more than the cap: show "COUNT_CAP+")."""
    tickets = visible_tickets_for_user(user)
    return {
        queue: in_queue(tickets, user, queue).order_by()[: COUNT_CAP + 1].count()
        for queue in QUEUES
    }


def filtered_tickets(user: User, params: QueryDict) -> QuerySet[Ticket]:
    """Visible tickets narrowed by a queue and the API's filters; raises ValidationError."""
    tickets = visible_tickets_for_user(user)
    queue = params.get("queue", "")
    if queue:
        tickets = in_queue(tickets, user, queue)
    given: dict[str, Any] = {k: params[k] for k in FILTER_KEYS if params.get(k, "").strip()}
    try:
        filters = TicketFilters(**given)
    except SchemaError as exc:
        field = str(exc.errors()[0]["loc"][0]) if exc.errors() else "filters"
        raise ValidationError({field: "not a valid value"}) from None
    return _apply_filters(tickets, user, filters)


def sort_of(params: QueryDict) -> tuple[str, str, bool]:
    key = params.get("sort", "-updated")
    if key not in SORTS:
        key = "-updated"
    field, descending = SORTS[key]
    return key, field, descending
