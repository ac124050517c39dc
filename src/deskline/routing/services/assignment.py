"""Automatic assignment: a ticket finds its team (category route, else the desk's default
team) and then an agent of that team by the team's or the desk's mode.

Fair under concurrency: waiting tickets are claimed with SKIP LOCKED (no ticket twice),
and choosing an agent holds the team's routing row, so round-robin turns and load
counts are read and moved one assignment at a time (no agent skipped forever).
"""

from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from deskline.accounts.models import User
from deskline.desks.models import Category, DeskMembership, Role, Team, TeamMembership
from deskline.routing.models import (
    AgentProfile,
    Availability,
    CategoryRoute,
    DeskRouting,
    Mode,
    TeamRouting,
    WaitingTicket,
)
from deskline.routing.services.availability import is_working, open_loads, profiles_for
from deskline.tickets.choices import Status
from deskline.tickets.models import Ticket
from deskline.tickets.services import update_ticket
from deskline.tickets.services.events import event, save_events

ASSIGNABLE = (Status.NEW, Status.OPEN)


def _never() -> datetime:
    return datetime.fromtimestamp(0, tz=UTC)


def route_team(ticket: Ticket, routing: DeskRouting) -> Team | None:
    if ticket.team_id is not None:
        return ticket.team
    if ticket.category_id is not None:
        paths = ticket.category.path.split("/")
        ancestors = ["/".join(paths[: i + 1]) for i in range(len(paths))]
        ids = Category.objects.filter(desk_id=ticket.desk_id, path__in=ancestors).values("pk")
        routes = CategoryRoute.objects.filter(desk_id=ticket.desk_id, category_id__in=ids)
        # The most specific category wins.
        route = routes.select_related("team", "category").order_by("-category__path").first()
        if route is not None:
            return route.team
    return routing.default_team


def ticket_needs(ticket: Ticket) -> set[str]:
    """Skills a ticket asks for: its category (and parents), the requester's language,
    and the product custom field when the desk has one."""
    needs = set()
    if ticket.category_id is not None:
        parts = ticket.category.path.split("/")
        needs |= {"category:" + "/".join(parts[: i + 1]) for i in range(len(parts))}
    needs.add(f"language:{ticket.requester.language}")
    product = (ticket.custom_fields or {}).get("product")
    if isinstance(product, str) and product.strip():
        needs.add(f"product:{product.strip().lower()}")
    return needs


def candidates(team: Team, now: datetime, exclude: set[int]) -> tuple[list[User], dict]:
    """The team's agents who may take a ticket now, and their profiles."""
    member_ids = TeamMembership.objects.filter(team=team).values("user_id")
    agent_ids = (
        set(
            DeskMembership.objects.filter(
                desk_id=team.desk_id, user_id__in=member_ids, role__in=[Role.SUPERVISOR, Role.AGENT]
            ).values_list("user_id", flat=True)
        )
        - exclude
    )
    users = list(
        User.objects.filter(pk__in=agent_ids, is_active=True).only("pk", "time_zone").order_by("pk")
    )
    profiles = profiles_for([u.pk for u in users])
    working = [u for u in users if is_working(profiles.get(u.pk), u.time_zone, now)]
    return working, profiles


def choose_agent(
    mode: str, ticket: Ticket, agents: list[User], profiles: dict[int, AgentProfile]
) -> User | None:
    counts, weighted = open_loads([u.pk for u in agents])
    free = [
        u
        for u in agents
        if profiles.get(u.pk) is None
        or profiles[u.pk].capacity is None
        or counts[u.pk] < profiles[u.pk].capacity
    ]
    if not free:
        return None

    def last(user: User) -> datetime:
        profile = profiles.get(user.pk)
        return (profile.last_assigned_at if profile else None) or _never()

    if mode == Mode.ROUND_ROBIN:
        return min(free, key=lambda u: (last(u), u.pk))
    if mode == Mode.SKILLS:
        needs = ticket_needs(ticket)

        def score(user: User) -> int:
            profile = profiles.get(user.pk)
            return len(needs & set(profile.skills if profile else []))

        best = max(score(u) for u in free)
        free = [u for u in free if score(u) == best]
    return min(free, key=lambda u: (weighted[u.pk], last(u), u.pk))


def assign_ticket(
    ticket_id: int, *, now: datetime | None = None, exclude: set[int] | None = None
) -> User | None:
    """Give the ticket a team and, unless the mode is manual, an agent. None when no agent
    can take it now: the ticket then waits in the queue for the next pass."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("desk", "category", "requester", "team")
            .get(pk=ticket_id)
        )
        routing = DeskRouting.objects.filter(desk_id=ticket.desk_id).first()
        if ticket.assignee_id is not None or ticket.status not in ASSIGNABLE or routing is None:
            WaitingTicket.objects.filter(ticket_id=ticket_id).delete()
            return None
        team = route_team(ticket, routing)
        if team is None:
            WaitingTicket.objects.filter(ticket_id=ticket_id).delete()
            return None
        team_routing, _ = TeamRouting.objects.get_or_create(team=team)
        team_routing = TeamRouting.objects.select_for_update().get(pk=team_routing.pk)
        mode = team_routing.mode or routing.mode
        agent = None
        if mode != Mode.MANUAL:
            agents, profiles = candidates(team, now, exclude or set())
            agent = choose_agent(mode, ticket, agents, profiles)
        changes: dict = {"team": team.pk} if ticket.team_id != team.pk else {}
        if agent is not None:
            changes["assignee"] = agent.pk
        if changes:
            update_ticket(ticket, actor=None, changes=changes)
        if agent is None and mode != Mode.MANUAL:
            waiting, created = WaitingTicket.objects.get_or_create(ticket_id=ticket_id)
            if not created:
                WaitingTicket.objects.filter(pk=waiting.pk).update(
                    attempts=F("attempts") + 1, enqueued_at=now
                )
            return None
        WaitingTicket.objects.filter(ticket_id=ticket_id).delete()
        if agent is not None:
            profile, _ = AgentProfile.objects.get_or_create(user=agent)
            AgentProfile.objects.filter(pk=profile.pk).update(last_assigned_at=timezone.now())
        return agent


def enqueue(ticket_id: int) -> None:
    WaitingTicket.objects.get_or_create(ticket_id=ticket_id)


def assign_waiting(limit: int = 500, now: datetime | None = None) -> int:
    """Assign waiting tickets, oldest first, one small transaction each; returns how many
    got an agent. Safe with several workers at once."""
    started = now or timezone.now()
    assigned = 0
    for _ in range(limit):
        with transaction.atomic():
            queue = WaitingTicket.objects.filter(enqueued_at__lte=started).order_by(
                "enqueued_at", "id"
            )
            if connection.features.has_select_for_update_skip_locked:
                queue = queue.select_for_update(skip_locked=True)
            row = queue.first()
            if row is None:
                break
            if assign_ticket(row.ticket_id, now=now) is not None:
                assigned += 1
            else:
                # Still waiting: moved behind this pass so the loop goes on to others.
                WaitingTicket.objects.filter(pk=row.pk).update(
                    enqueued_at=max(timezone.now(), started + timedelta(microseconds=1))
                )
    return assigned


def reassign(ticket_id: int, *, reason: str, actor: User | None = None) -> User | None:
    """Take the ticket from its agent and give it to another one who can take it now."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
        previous = ticket.assignee_id
        if ticket.status not in ASSIGNABLE:
            return None
        if previous is not None:
            update_ticket(ticket, actor=actor, changes={"assignee": None})
        save_events([event(ticket, actor, "reassigned", before=previous, after={"reason": reason})])
        agent = assign_ticket(ticket_id, exclude={previous} if previous else set())
        if agent is None:
            enqueue(ticket_id)
        return agent


def reassign_from_absent(now: datetime | None = None) -> int:
    """Tickets of agents away or off shift longer than their desk allows go to others."""
    now = now or timezone.now()
    moved = 0
    for routing in DeskRouting.objects.filter(reassign_after_minutes__isnull=False).exclude(
        mode=Mode.MANUAL
    ):
        cutoff = now - timedelta(minutes=routing.reassign_after_minutes)
        absent = dict(
            AgentProfile.objects.filter(
                status__in=[Availability.AWAY, Availability.OFF_SHIFT], status_since__lte=cutoff
            ).values_list("user_id", "status")
        )
        if not absent:
            continue
        tickets = Ticket.objects.filter(
            desk_id=routing.desk_id, assignee_id__in=list(absent), status__in=ASSIGNABLE
        ).values_list("pk", "assignee_id")
        for ticket_id, agent_id in tickets:
            reason = f"agent {absent[agent_id].replace('_', ' ')} longer than "
            reason += f"{routing.reassign_after_minutes} minutes"
            reassign(ticket_id, reason=reason)
            moved += 1
    return moved
