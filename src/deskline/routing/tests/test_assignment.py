"""Assignment by the desk's rule: team routes, modes, availability, capacity, reassignment."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from deskline.desks.models import TeamMembership
from deskline.desks.services import create_category, create_team
from deskline.routing.models import (
    AgentProfile,
    CategoryRoute,
    DeskRouting,
    Mode,
    TeamRouting,
    WaitingTicket,
)
from deskline.routing.services.assignment import (
    assign_ticket,
    assign_waiting,
    reassign_from_absent,
)
from deskline.routing.services.availability import set_availability
from deskline.tickets.models import Ticket, TicketEvent


@pytest.fixture
def desk_setup(it_desk, agent_on):
    l1 = create_team(it_desk, name="Service desk", slug="service-desk", tier=1)
    network = create_team(it_desk, name="Network", slug="network", tier=2)
    agents = [agent_on(it_desk) for _ in range(3)]
    for agent in agents:
        TeamMembership.objects.create(team=l1, user=agent)
    routing = DeskRouting.objects.create(desk=it_desk, mode=Mode.ROUND_ROBIN, default_team=l1)
    return {"desk": it_desk, "l1": l1, "network": network, "agents": agents, "routing": routing}


def _open(desk, make_ticket, make_user, n=1, **extra):
    requester = make_user()
    return [make_ticket(desk, requester, f"ticket {i}", **extra) for i in range(n)]


def test_round_robin_takes_turns_and_sets_the_default_team(desk_setup, make_ticket, make_user):
    tickets = _open(desk_setup["desk"], make_ticket, make_user, 6)
    chosen = [assign_ticket(t.pk) for t in tickets]
    assert Counter(u.pk for u in chosen) == {a.pk: 2 for a in desk_setup["agents"]}
    # Turns repeat in the same order: nobody is skipped.
    assert chosen[:3] == chosen[3:]
    ticket = Ticket.objects.get(pk=tickets[0].pk)
    assert ticket.team == desk_setup["l1"] and ticket.status == "open"
    assert TicketEvent.objects.filter(ticket=ticket, field="assignee").count() == 1
    # An assigned ticket is not assigned again.
    assert assign_ticket(ticket.pk) is None
    assert TicketEvent.objects.filter(ticket=ticket, field="assignee").count() == 1


def test_unavailable_agents_are_passed_over_and_the_ticket_waits(
    desk_setup, make_ticket, make_user
):
    a, b, c = desk_setup["agents"]
    set_availability(a, status="away")
    set_availability(b, capacity=1)
    # c works only on Sundays 00:00-00:01 in Tokyo: practically never now.
    c.time_zone = "Asia/Tokyo"
    c.save()
    set_availability(c, working_hours={"sun": [["00:00", "00:01"]]})
    first, second = _open(desk_setup["desk"], make_ticket, make_user, 2)
    assert assign_ticket(first.pk) == b
    # b is at their cap of one open ticket; nobody else can take the second one.
    assert assign_ticket(second.pk) is None
    assert WaitingTicket.objects.filter(ticket=second).exists()
    set_availability(a, status="online")
    assert assign_waiting() == 1
    assert Ticket.objects.get(pk=second.pk).assignee == a
    assert not WaitingTicket.objects.exists()


def test_load_balanced_weighs_priority(desk_setup, make_ticket, make_user):
    a, b, c = desk_setup["agents"]
    desk_setup["routing"].mode = Mode.LOAD_BALANCED
    desk_setup["routing"].save()
    requester = make_user()
    # a carries one urgent ticket (weight 4), b two low ones (2), c one normal (2).
    from deskline.tickets.services import open_ticket

    for agent, priority in ((a, "urgent"), (b, "low"), (b, "low"), (c, "normal")):
        open_ticket(
            desk=desk_setup["desk"],
            subject="busy",
            requester=requester,
            body_text="x",
            assignee=agent,
            priority=priority,
        )
    new = _open(desk_setup["desk"], make_ticket, make_user)[0]
    # b and c tie on weight 2; b has never been given one by the router, nor has c: lower id.
    assert assign_ticket(new.pk) in (b, c)
    assert assign_ticket(_open(desk_setup["desk"], make_ticket, make_user)[0].pk) != a


def test_skills_and_category_routes_pick_team_and_agent(
    desk_setup, make_ticket, make_user, agent_on
):
    desk = desk_setup["desk"]
    network = desk_setup["network"]
    vpn = create_category(desk, name="VPN", slug="vpn")
    CategoryRoute.objects.create(desk=desk, category=vpn, team=network)
    generalist, specialist = agent_on(desk), agent_on(desk)
    for agent in (generalist, specialist):
        TeamMembership.objects.create(team=network, user=agent)
    TeamRouting.objects.create(team=network, mode=Mode.SKILLS)
    set_availability(specialist, skills=["category:vpn", "language:ar"])
    requester = make_user(language="ar")
    tickets = [make_ticket(desk, requester, f"vpn {i}", category=vpn) for i in range(3)]
    for ticket in tickets:
        assert assign_ticket(ticket.pk) == specialist
    assert Ticket.objects.get(pk=tickets[0].pk).team == network


def test_manual_mode_sets_the_team_only(desk_setup, make_ticket, make_user):
    desk_setup["routing"].mode = Mode.MANUAL
    desk_setup["routing"].save()
    ticket = _open(desk_setup["desk"], make_ticket, make_user)[0]
    assert assign_ticket(ticket.pk) is None
    ticket.refresh_from_db()
    assert ticket.team == desk_setup["l1"] and ticket.assignee is None
    assert not WaitingTicket.objects.exists()


def test_tickets_of_an_agent_away_too_long_go_to_colleagues(desk_setup, make_ticket, make_user):
    a, b, c = desk_setup["agents"]
    tickets = _open(desk_setup["desk"], make_ticket, make_user, 3)
    for ticket in tickets:
        assign_ticket(ticket.pk)
    owned_by_a = [t.pk for t in Ticket.objects.filter(assignee=a)]
    assert owned_by_a
    set_availability(a, status="off_shift")
    assert reassign_from_absent() == 0  # not away long enough yet
    AgentProfile.objects.filter(user=a).update(status_since=timezone.now() - timedelta(minutes=61))
    assert reassign_from_absent() == len(owned_by_a)
    assert not Ticket.objects.filter(assignee=a).exists()
    moved = TicketEvent.objects.get(ticket_id=owned_by_a[0], kind="reassigned")
    assert "off shift" in moved.after["reason"]
    assert reassign_from_absent() == 0  # nothing left to move: idempotent


def test_bad_availability_is_refused(desk_setup):
    from django.core.exceptions import ValidationError

    agent = desk_setup["agents"][0]
    with pytest.raises(ValidationError, match="status"):
        set_availability(agent, status="sleeping")
    with pytest.raises(ValidationError, match="working_hours"):
        set_availability(agent, working_hours={"mon": [["18:00", "09:00"]]})
    with pytest.raises(ValidationError, match="capacity"):
        set_availability(agent, capacity=0)
    assert not AgentProfile.objects.filter(user=agent, status="sleeping").exists()


def test_skills_routing_follows_the_language_a_ticket_is_written_in(
    desk_setup, make_ticket, make_user, agent_on
):
    desk = desk_setup["desk"]
    network = desk_setup["network"]
    english, arabic, chinese = agent_on(desk), agent_on(desk), agent_on(desk)
    for agent in (english, arabic, chinese):
        TeamMembership.objects.create(team=network, user=agent)
    desk_setup["routing"].default_team = network
    desk_setup["routing"].save()
    TeamRouting.objects.create(team=network, mode=Mode.SKILLS)
    set_availability(english, skills=["language:en"])
    set_availability(arabic, skills=["language:ar"])
    set_availability(chinese, skills=["language:zh"])
    # Every profile says English: the text decides.
    requester = make_user(language="en")
    written = {
        arabic: ("لا أستطيع الدخول إلى الشبكة", "كلمة المرور لا تعمل منذ الصباح"),
        chinese: ("无法连接VPN", "从今天早上开始密码一直不能用"),
        english: ("Cannot reach the VPN", "The password has not worked since this morning"),
    }
    for agent, (subject, body) in written.items():
        ticket = make_ticket(desk, requester, subject, body_text=body)
        assert assign_ticket(ticket.pk) == agent, subject
    # A text too short to tell falls back to the requester's preferred language.
    ticket = make_ticket(desk, make_user(language="ar"), "VPN", body_text="123")
    assert assign_ticket(ticket.pk) == arabic
