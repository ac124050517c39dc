"""A pass reads each team's roster once, while availability and turns stay fresh per ticket."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from deskline.desks.models import TeamMembership
from deskline.desks.services import create_team
from deskline.routing.models import DeskRouting, Mode, WaitingTicket
from deskline.routing.services.assignment import assign_ticket, assign_waiting
from deskline.routing.services.availability import set_availability
from deskline.tickets.models import Ticket


def _team(desk, agent_on, n):
    team = create_team(desk, name="Front", slug="front", tier=1)
    agents = [agent_on(desk) for _ in range(n)]
    for agent in agents:
        TeamMembership.objects.create(team=team, user=agent)
    DeskRouting.objects.create(desk=desk, mode=Mode.ROUND_ROBIN, default_team=team)
    return team, agents


def _queue(desk, make_ticket, make_user, n):
    requester = make_user()
    tickets = [make_ticket(desk, requester, f"t{i}") for i in range(n)]
    WaitingTicket.objects.bulk_create([WaitingTicket(ticket=t) for t in tickets])
    return tickets


def test_one_pass_reads_the_team_roster_once(it_desk, agent_on, make_ticket, make_user):
    team, agents = _team(it_desk, agent_on, 3)
    _queue(it_desk, make_ticket, make_user, 6)
    membership_table = TeamMembership._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        assert assign_waiting() == 6
    roster_reads = [q for q in queries.captured_queries if membership_table in q["sql"]]
    assert len(roster_reads) == 1
    per_agent = Ticket.objects.filter(desk=it_desk).values_list("assignee_id", flat=True)
    assert sorted(per_agent) == sorted(a.pk for a in agents for _ in range(2))


def test_availability_within_a_pass_is_read_fresh(it_desk, agent_on, make_ticket, make_user):
    team, (a, b, c) = _team(it_desk, agent_on, 3)
    first, second, third = _queue(it_desk, make_ticket, make_user, 3)
    rosters: dict = {}
    assert assign_ticket(first.pk, rosters=rosters) == a
    assert team.pk in rosters
    # b and c step away after the roster was read: the pass must not give them tickets.
    set_availability(b, status="away")
    set_availability(c, status="away")
    assert assign_ticket(second.pk, rosters=rosters) == a
    set_availability(a, status="off_shift")
    set_availability(c, status="online")
    assert assign_ticket(third.pk, rosters=rosters) == c


def test_a_new_team_member_counts_from_the_next_pass(it_desk, agent_on, make_ticket, make_user):
    team, (a,) = _team(it_desk, agent_on, 1)
    first, second = _queue(it_desk, make_ticket, make_user, 2)
    rosters: dict = {}
    assert assign_ticket(first.pk, rosters=rosters) == a
    newcomer = agent_on(it_desk)
    TeamMembership.objects.create(team=team, user=newcomer)
    # Same pass: the roster read at its start still holds.
    assert assign_ticket(second.pk, rosters=rosters) == a
    third = _queue(it_desk, make_ticket, make_user, 1)[0]
    assert assign_waiting() == 1
    assert Ticket.objects.get(pk=third.pk).assignee == newcomer
