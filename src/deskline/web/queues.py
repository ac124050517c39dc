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
from django.utils.translation import gettext_lazy as _
from pydantic import ValidationError as SchemaError

from deskline.accounts.models import User
from deskline.api.routers.tickets import TicketFilters, _apply_filters
from deskline.core.errors import lazy_message
from deskline.desks.models import Desk, TeamMembership
from deskline.tickets.access import agent_desk_ids, agent_desk_tickets, visible_tickets_for_user
from deskline.tickets.choices import Status
from deskline.tickets.models import Ticket
from deskline.tickets.models.ticket import ACTIVE_LITERAL

QUEUES = ("mine", "unassigned", "open", "waiting", "at_risk", "recent")
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
    "sla": ("sla_due_at", False),
}
RECENT = timedelta(days=1)


def working_desk_ids(user: User) -> list[int]:
    if user.is_superuser:
        return list(Desk.objects.values_list("pk", flat=True))
    return agent_desk_ids(user)


def queue_condition(user: User, queue: str) -> Q:
    """What a queue asks of a ticket of the agent's desks (queue_tickets adds those)."""
    if queue == "mine":
        return ACTIVE_LITERAL & Q(assignee_id=user.pk)
    if queue == "unassigned":
        teams = list(TeamMembership.objects.filter(user=user).values_list("team_id", flat=True))
        return ACTIVE_LITERAL & Q(assignee__isnull=True, team_id__in=teams)
    if queue == "open":
        return ACTIVE_LITERAL
    if queue == "waiting":
        return Q(status=Status.PENDING)
    if queue == "at_risk":
        # The API's sla=at_risk,breached, read from the moment the ticket carries.
        return ACTIVE_LITERAL & Q(sla_attention_at__lte=timezone.now())
    if queue == "recent":
        return Q(updated_at__gte=timezone.now() - RECENT)
    raise ValidationError({"queue": lazy_message(_("no queue %(queue)r"), queue=queue)})


def queue_tickets(user: User, queue: str) -> QuerySet[Ticket]:
    """A queue's tickets. Queues are the agent's work, so they draw from the tickets of
    the desks where the user is an agent, not from all they may see (counting the open
    ones at 1M took 15 ms with visibility's requester alternatives, 2 without)."""
    return agent_desk_tickets(user).filter(queue_condition(user, queue))


# A queue's count stops here and shows as "1000+": an exact count of a big desk's open
# tickets read every one of them on each home page (85-115 ms at 1M, docs/benchmarks.md);
# a capped count stops after this many index entries.
COUNT_CAP = 1000


def queue_counts(user: User) -> dict[str, int]:
    """Tickets per queue, up to COUNT_CAP + 1 (more than the cap: show "COUNT_CAP+")."""
    return {
        queue: queue_tickets(user, queue).order_by()[: COUNT_CAP + 1].count() for queue in QUEUES
    }


def filtered_tickets(user: User, params: QueryDict) -> QuerySet[Ticket]:
    """Visible tickets narrowed by a queue and the API's filters; raises ValidationError."""
    queue = params.get("queue", "")
    tickets = queue_tickets(user, queue) if queue else visible_tickets_for_user(user)
    given: dict[str, Any] = {k: params[k] for k in FILTER_KEYS if params.get(k, "").strip()}
    try:
        filters = TicketFilters(**given)
    except SchemaError as exc:
        field = str(exc.errors()[0]["loc"][0]) if exc.errors() else "filters"
        raise ValidationError({field: _("not a valid value")}) from None
    return _apply_filters(tickets, user, filters)


def sort_of(params: QueryDict) -> tuple[str, str, bool]:
    key = params.get("sort", "-updated")
    if key not in SORTS:
        key = "-updated"
    field, descending = SORTS[key]
    return key, field, descending
