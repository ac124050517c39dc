"""Automatic assignment: a ticket finds its team (category route, else the desk's default
team) and then an agent of that team by the team's or the desk's mode.

Fair under concurrency: waiting tickets are claimed with SKIP LOCKED (no ticket twice),
and choosing an agent holds the team's routing row, so round-robin turns and load
counts are read and moved one assignment at a time (no agent skipped forever).
"""

from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from deskline.accounts.models import User
from deskline.desks.models import Category, Team
from deskline.routing.models import (
    AgentProfile,
    Availability,
    CategoryRoute,
    DeskRouting,
    Mode,
    TeamRouting,
    WaitingTicket,
)
from deskline.routing.services.roster import (
    RosterAgent,
    add_open_loads,
    load_roster,
    load_states,
    working_now,
)
from deskline.tickets.choices import Status
from deskline.tickets.models import Ticket
from deskline.tickets.services import update_ticket
from deskline.tickets.services.events import event, save_events
from deskline.triage.services.language import written_language

ASSIGNABLE = (Status.NEW, Status.OPEN)


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
    """Skills a ticket asks for: its category (and parents), the language it is written
    in (the requester's preferred language when the text does not tell), and the product
    custom field when the desk has one."""
    needs = set()
    if ticket.category_id is not None:
        parts = ticket.category.path.split("/")
        needs |= {"category:" + "/".join(parts[: i + 1]) for i in range(len(parts))}
    # The agent has to read what was written: a requester whose profile says English
    # but who writes in Arabic needs an Arabic reader.
    # Skills name a language by its primary code ("zh"), as detection does, where a
    # profile may say "zh-hans".
    language = written_language(ticket) or ticket.requester.language.split("-")[0].lower()
    needs.add(f"language:{language}")
    product = (ticket.custom_fields or {}).get("product")
    if isinstance(product, str) and product.strip():
        needs.add(f"product:{product.strip().lower()}")
    return needs


# team id → its roster, read once per pass of `assign_waiting` (see roster.py).
Rosters = dict[int, list[RosterAgent]]


def choose_agent(
    mode: str, ticket: Ticket, roster: list[RosterAgent], now: datetime, exclude: set[int]
) -> int | None:
    """The id of the team's agent who should take the ticket now, or None. Reads the
    agents' changing state fresh: the caller holds the team's lock."""
    pool = [a for a in roster if a.pk not in exclude]
    states = load_states([a.pk for a in pool])
    working = [a for a in pool if working_now(a, states[a.pk], now)]
    if not working:
        return None
    # Round-robin without caps never looks at loads: one query less per ticket.
    if mode != Mode.ROUND_ROBIN or any(states[a.pk].capacity is not None for a in working):
        add_open_loads({a.pk: states[a.pk] for a in working})
    free = [
        a
        for a in working
        if states[a.pk].capacity is None or states[a.pk].open_count < states[a.pk].capacity
    ]
    if not free:
        return None
    if mode == Mode.ROUND_ROBIN:
        return min(free, key=lambda a: (states[a.pk].last_assigned_at, a.pk)).pk
    if mode == Mode.SKILLS:
        needs = ticket_needs(ticket)
        best = max(len(needs & a.skills) for a in free)
        free = [a for a in free if len(needs & a.skills) == best]
    return min(
        free, key=lambda a: (states[a.pk].open_weight, states[a.pk].last_assigned_at, a.pk)
    ).pk


def _record_turn(agent_id: int) -> None:
    stamp = timezone.now()
    if AgentProfile.objects.filter(user_id=agent_id).update(last_assigned_at=stamp):
        return
    profile, created = AgentProfile.objects.get_or_create(
        user_id=agent_id, defaults={"last_assigned_at": stamp}
    )
    if not created:  # made meanwhile by the agent setting their availability
        AgentProfile.objects.filter(pk=profile.pk).update(last_assigned_at=stamp)


def assign_ticket(
    ticket_id: int,
    *,
    now: datetime | None = None,
    exclude: set[int] | None = None,
    rosters: Rosters | None = None,
) -> User | None:
    """Give the ticket a team and, unless the mode is manual, an agent. None when no agent
    can take it now: the ticket then waits in the queue for the next pass.

    `rosters` lets a pass share each team's roster across its tickets."""
    now = now or timezone.now()
    rosters = {} if rosters is None else rosters
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("desk", "category", "requester", "team")
            .get(pk=ticket_id)
        )
        routing = (
            DeskRouting.objects.filter(desk_id=ticket.desk_id)
            .select_related("default_team")
            .first()
        )
        if ticket.assignee_id is not None or ticket.status not in ASSIGNABLE or routing is None:
            WaitingTicket.objects.filter(ticket_id=ticket_id).delete()
            return None
        team = route_team(ticket, routing)
        if team is None:
            WaitingTicket.objects.filter(ticket_id=ticket_id).delete()
            return None
        # Held until commit: choices for one team happen one at a time.
        team_routing = TeamRouting.objects.select_for_update().filter(team=team).first()
        if team_routing is None:
            TeamRouting.objects.get_or_create(team=team)
            team_routing = TeamRouting.objects.select_for_update().get(team=team)
        mode = team_routing.mode or routing.mode
        agent_id = None
        if mode != Mode.MANUAL:
            if team.pk not in rosters:
                rosters[team.pk] = load_roster(team.pk, team.desk_id)
            agent_id = choose_agent(mode, ticket, rosters[team.pk], now, exclude or set())
        changes: dict = {"team": team.pk} if ticket.team_id != team.pk else {}
        if agent_id is not None:
            changes["assignee"] = agent_id
        if changes:
            update_ticket(ticket, actor=None, changes=changes)
        if agent_id is None and mode != Mode.MANUAL:
            waiting, created = WaitingTicket.objects.get_or_create(ticket_id=ticket_id)
            if not created:
                WaitingTicket.objects.filter(pk=waiting.pk).update(
                    attempts=F("attempts") + 1, enqueued_at=now
                )
            return None
        WaitingTicket.objects.filter(ticket_id=ticket_id).delete()
        if agent_id is None:
            return None
        _record_turn(agent_id)
        return User.objects.get(pk=agent_id)


def enqueue(ticket_id: int) -> None:
    WaitingTicket.objects.get_or_create(ticket_id=ticket_id)


def assign_waiting(limit: int = 500, now: datetime | None = None) -> int:
    """Assign waiting tickets, oldest first, one small transaction each; returns how many
    got an agent. Safe with several workers at once."""
    started = now or timezone.now()
    assigned = 0
    # Rosters are read once per pass; a roster edited meanwhile counts from the next pass.
    rosters: Rosters = {}
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
            if assign_ticket(row.ticket_id, now=now, rosters=rosters) is not None:
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
