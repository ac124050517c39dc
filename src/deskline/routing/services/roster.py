"""A team's agents as assignment sees them, split by how often each part changes.

The roster (who is in the team, their time zone, working hours and skills) changes when an
admin edits it, so one pass of `assign_waiting` reads it once per team. What moves with
every assignment or with an agent's click (availability, capacity, last turn, open load)
is read again for each ticket under the team's row lock, so two workers still see each
other's choices.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Count

from deskline.accounts.models import User
from deskline.desks.models import DeskMembership, Role, TeamMembership
from deskline.routing.models import AgentProfile, Availability
from deskline.routing.services.availability import PRIORITY_WEIGHT
from deskline.sla.calendar import BusinessCalendar, is_business_time, parse_hours
from deskline.tickets.choices import ACTIVE_STATUSES
from deskline.tickets.models import Ticket

NEVER = datetime.fromtimestamp(0, tz=UTC)


@dataclass(frozen=True)
class RosterAgent:
    pk: int
    # None: works any hour.
    hours: BusinessCalendar | None
    skills: frozenset[str]


@dataclass
class AgentState:
    """The parts of an agent that other workers and the agent change while a pass runs."""

    available: bool = True
    capacity: int | None = None
    last_assigned_at: datetime = NEVER
    open_count: int = 0
    open_weight: int = 0


def load_roster(team_id: int, desk_id: int) -> list[RosterAgent]:
    """The team's active agents and supervisors on its desk, in id order."""
    member_ids = TeamMembership.objects.filter(team_id=team_id).values("user_id")
    agent_ids = DeskMembership.objects.filter(
        desk_id=desk_id, user_id__in=member_ids, role__in=[Role.SUPERVISOR, Role.AGENT]
    ).values("user_id")
    users = dict(
        User.objects.filter(pk__in=agent_ids, is_active=True).values_list("pk", "time_zone")
    )
    profiles = {
        user_id: (hours, skills)
        for user_id, hours, skills in AgentProfile.objects.filter(user_id__in=users).values_list(
            "user_id", "working_hours", "skills"
        )
    }
    roster = []
    for pk in sorted(users):
        hours, skills = profiles.get(pk, ({}, []))
        calendar = BusinessCalendar(users[pk], parse_hours(hours)) if hours else None
        roster.append(RosterAgent(pk, calendar, frozenset(skills or ())))
    return roster


def load_states(agent_ids: list[int]) -> dict[int, AgentState]:
    """Fresh availability, cap and last turn of these agents; agents without a profile
    are online without a cap."""
    states = {pk: AgentState() for pk in agent_ids}
    rows = AgentProfile.objects.filter(user_id__in=agent_ids).values_list(
        "user_id", "status", "capacity", "last_assigned_at"
    )
    for user_id, status, capacity, last in rows:
        state = states[user_id]
        state.available = status == Availability.ONLINE
        state.capacity = capacity
        state.last_assigned_at = last or NEVER
    return states


def add_open_loads(states: dict[int, AgentState]) -> None:
    """Open tickets per agent, plain and weighted by priority."""
    loads = (
        Ticket.objects.filter(assignee_id__in=list(states), status__in=ACTIVE_STATUSES)
        .values_list("assignee_id", "priority")
        .annotate(n=Count("id"))
    )
    for assignee_id, priority, n in loads:
        states[assignee_id].open_count += n
        states[assignee_id].open_weight += n * PRIORITY_WEIGHT.get(priority, 2)


def working_now(agent: RosterAgent, state: AgentState, now: datetime) -> bool:
    if not state.available:
        return False
    return agent.hours is None or is_business_time(now, agent.hours)
