"""Two workers assign the same queue at once on PostgreSQL: no ticket twice, fair turns."""

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from deskline.desks.models import TeamMembership
from deskline.desks.services import create_desk, create_team, set_desk_role
from deskline.routing.models import DeskRouting, Mode, WaitingTicket
from deskline.routing.services.assignment import assign_waiting
from deskline.tickets.models import Ticket, TicketEvent
from deskline.tickets.services import open_ticket

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks with SKIP LOCKED need PostgreSQL (set DATABASE_URL)",
)

TICKETS = 24
AGENTS = 4


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_assign_the_same_ticket_and_skip_nobody(make_user):
    desk = create_desk(name="Race", slug="race", prefix="RACE")
    team = create_team(desk, name="L1", slug="l1", tier=1)
    agents = []
    for _ in range(AGENTS):
        agent = make_user()
        set_desk_role(desk, agent, "agent", actor=None)
        TeamMembership.objects.create(team=team, user=agent)
        agents.append(agent)
    requester = make_user()
    for i in range(TICKETS):
        ticket = open_ticket(desk=desk, subject=f"t{i}", requester=requester, body_text="x")
        WaitingTicket.objects.create(ticket=ticket)
    # Routing set up after the tickets came in, so they all wait in the queue.
    DeskRouting.objects.create(desk=desk, mode=Mode.ROUND_ROBIN, default_team=team)

    results: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            barrier.wait()
            results.append(assign_waiting(limit=TICKETS))
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sum(results) == TICKETS
    assert not WaitingTicket.objects.exists()
    # Each ticket got exactly one assignee change: nobody assigned it twice.
    changes = Counter(
        TicketEvent.objects.filter(ticket__desk=desk, field="assignee").values_list(
            "ticket_id", flat=True
        )
    )
    assert len(changes) == TICKETS and set(changes.values()) == {1}
    # Round-robin under contention still gives everyone an equal share.
    per_agent = Counter(Ticket.objects.filter(desk=desk).values_list("assignee_id", flat=True))
    assert per_agent == {a.pk: TICKETS // AGENTS for a in agents}
