"""The demo's SLA policies, business calendar and routing, set up once its tickets exist.

Set up after the stories are written, so the scripted history keeps its own agents and
teams; from then on a new ticket is routed by the desk's rule and timed by its policy.
Open tickets get their clocks as if the policies had always been there: counted from
when each was opened, paused from its last change when it waits on the requester.
"""

from datetime import date, datetime
from typing import Any

from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from deskline.accounts.models import User
from deskline.routing.models import CategoryRoute, DeskRouting, Mode
from deskline.routing.services.availability import set_availability
from deskline.sla.models import Calendar, SlaPolicy, SlaTimer, TimerState
from deskline.sla.services.calendars import add_holidays, save_calendar
from deskline.sla.services.timers import sync_ticket
from deskline.tickets.choices import ACTIVE_STATUSES
from deskline.tickets.models import Ticket, TicketEvent

CALENDAR = "Demo office hours (London)"
OFFICE_HOURS = {day: [["09:00", "17:30"]] for day in ("mon", "tue", "wed", "thu", "fri")}
# desk slug → (mode, default team, {category path: team})
ROUTING = {
    "it": (Mode.SKILLS, "service-desk", {"network": "network"}),
    "support": (Mode.LOAD_BALANCED, "front-line", {"billing": "billing"}),
    "hr": (Mode.ROUND_ROBIN, "people-ops", {"payroll": "payroll"}),
}
POLICIES = (
    # name, priorities, first response, next response, resolution (business minutes), actions
    ("Urgent and high", ["urgent", "high"], 60, 120, 8 * 60, ["notify"]),
    ("Standard", [], 4 * 60, 8 * 60, 3 * 8 * 60, ["notify", "raise_priority"]),
)


def demo_calendar() -> Calendar:
    """London office hours with the UK's public holidays and one company closing day."""
    calendar = Calendar.objects.filter(name=CALENDAR).first()
    calendar = save_calendar(
        calendar, name=CALENDAR, time_zone="Europe/London", hours=OFFICE_HOURS, country="GB"
    )
    add_holidays(calendar, [(date(timezone.now().year, 12, 24), "Company day")])
    return calendar


def set_up_service_levels(setups: dict[str, Any], agent_language: dict[int, str]) -> None:
    """Policies and routing for the demo desks (`setups`: slug → the demo's DeskSetup),
    then clocks for their open tickets."""
    calendar = demo_calendar()
    for slug, setup in setups.items():
        desk = setup.desk
        for position, (name, priorities, first, following, resolution, actions) in enumerate(
            POLICIES
        ):
            SlaPolicy.objects.create(
                desk=desk,
                name=name,
                position=position * 10,
                calendar=calendar,
                priorities=priorities,
                first_response_minutes=first,
                next_response_minutes=following,
                resolution_minutes=resolution,
                breach_actions=actions,
            )
        mode, default_team, routes = ROUTING[slug]
        DeskRouting.objects.create(desk=desk, mode=mode, default_team=setup.teams[default_team])
        CategoryRoute.objects.bulk_create(
            CategoryRoute(desk=desk, category=setup.categories[path], team=setup.teams[team])
            for path, team in routes.items()
            if path in setup.categories and team in setup.teams
        )
    # Skills-based routing matches the requester's language.
    for agent in User.objects.filter(pk__in=list(agent_language)):
        set_availability(agent, skills=[f"language:{agent_language[agent.pk]}"])
    _start_clocks([s.desk.pk for s in setups.values()])


def _start_clocks(desk_ids: list[int]) -> None:
    started = timezone.now()
    tickets = Ticket.objects.filter(desk_id__in=desk_ids, status__in=ACTIVE_STATUSES)
    for ticket_id, updated_at in tickets.values_list("pk", "updated_at"):
        sync_ticket(ticket_id, now=updated_at)
    _settle_the_past(desk_ids, started)
    # The clock events join the end of each ticket's backdated story (the clocks
    # themselves count from its opening), so time order stays write order.
    new_events = TicketEvent.objects.filter(ticket__desk_id__in=desk_ids, created_at__gte=started)
    last_before = (
        TicketEvent.objects.filter(ticket_id=OuterRef("ticket_id"), created_at__lt=started)
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    new_events.update(created_at=Subquery(last_before))


def _settle_the_past(desk_ids: list[int], now: datetime) -> None:
    """Clocks of old tickets that ran out in the demo's simulated past are recorded as
    warned and breached when that happened, without their actions: otherwise the first
    scheduler tick would raise the priority of, and notify about, dozens of old tickets
    at once. New tickets then show the breach actions as they happen."""
    rows = SlaTimer.objects.filter(
        ticket__desk_id__in=desk_ids, state=TimerState.RUNNING, check_at__lte=now
    ).values_list("pk", "ticket_id", "metric", "due_at", "policy__name")
    events, breached, warned = [], [], []
    for pk, ticket_id, metric, due_at, policy in rows:
        kind = "sla_breached" if due_at <= now else "sla_warning"
        (breached if kind == "sla_breached" else warned).append(pk)
        after = {"due_at": due_at.isoformat(), "policy": policy}
        events.append(TicketEvent(ticket_id=ticket_id, kind=kind, field=metric, after=after))
    SlaTimer.objects.filter(pk__in=breached).update(
        warned_at=Coalesce("warned_at", "warn_at"), breached_at=F("due_at"), check_at=None
    )
    SlaTimer.objects.filter(pk__in=warned).update(warned_at=F("warn_at"), check_at=F("due_at"))
    TicketEvent.objects.bulk_create(events)
