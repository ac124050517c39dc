"""The "SLA at risk" queue and the ticket list's priority and SLA-due orders."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deskline.desks.models import Role
from deskline.sla.models import SlaPolicy
from deskline.sla.services.timers import sync_ticket
from deskline.tickets.models import Ticket
from deskline.web.ordering import by_priority, by_sla_due


@pytest.fixture
def agent(it_desk, agent_on):
    return agent_on(it_desk, Role.AGENT)


@pytest.fixture
def requester(make_user):
    return make_user(is_employee=True)


@pytest.fixture
def timed(it_desk, requester, make_ticket):
    """Tickets whose SLA timers started some minutes ago (first response due in 60)."""
    SlaPolicy.objects.create(
        desk=it_desk, name="Hour", first_response_minutes=60, resolution_minutes=600
    )

    def make(subject: str, minutes_ago: int | None) -> Ticket:
        ticket = make_ticket(it_desk, requester, subject=subject)
        if minutes_ago is not None:
            asked = timezone.now() - timedelta(minutes=minutes_ago)
            Ticket.objects.filter(pk=ticket.pk).update(created_at=asked)
            sync_ticket(ticket.pk)
        return ticket

    return make


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_at_risk_queue_holds_warned_and_late_tickets(agent, timed):
    late = timed("Late", 120)
    risky = timed("Risky", 50)  # warned at 75% of the hour
    fine = timed("Fine", 5)
    timed("No SLA", None)
    client = client_for(agent)
    assert client.get("/").context["counts"]["at_risk"] == 2
    listed = client.get("/tickets/", {"queue": "at_risk"}).context["tickets"]
    assert {t.pk for t in listed} == {late.pk, risky.pk}
    Ticket.objects.filter(pk=late.pk).update(status="solved")
    assert client.get("/").context["counts"]["at_risk"] == 1
    assert fine.pk not in {
        t.pk for t in client.get("/tickets/", {"queue": "at_risk"}).context["tickets"]
    }


def test_sla_order_puts_the_soonest_due_first_and_shows_it(agent, timed):
    fine = timed("Fine", 5)
    late = timed("Late", 120)
    risky = timed("Risky", 50)
    timed("No SLA", None)
    response = client_for(agent).get("/tickets/", {"sort": "sla"})
    assert [t.subject for t in response.context["tickets"]] == ["Late", "Risky", "Fine"]
    html = response.content.decode()
    assert html.count('class="sla sla-breached"') == 1
    assert html.count('class="sla sla-warning"') == 1
    # Page by page, each ticket once (a ticket's later timers do not repeat it).
    visible = Ticket.objects.all()
    seen, cursor = [], None
    while True:
        page, cursor = by_sla_due(visible, cursor, 1)
        seen += [t.pk for t in page]
        if cursor is None:
            break
    assert seen == [late.pk, risky.pk, fine.pk]


def test_priority_order_is_urgent_to_low_across_pages(agent, requester, it_desk, make_ticket):
    made = {}
    for n, priority in enumerate(["low", "urgent", "normal", "high", "urgent", "low", "high"]):
        made[n] = make_ticket(it_desk, requester, subject=f"P{n}", priority=priority)
    rows = client_for(agent).get("/tickets/", {"sort": "priority"}).context["tickets"]
    ranks = ["urgent", "high", "normal", "low"]
    assert [ranks.index(t.priority) for t in rows] == sorted(ranks.index(t.priority) for t in rows)
    # Within a priority the most recently updated comes first.
    assert [t.subject for t in rows[:2]] == ["P4", "P1"]
    walked, cursor = [], None
    while True:
        page, cursor = by_priority(Ticket.objects.all(), cursor, 2)
        walked += [t.pk for t in page]
        if cursor is None:
            break
    assert walked == [t.pk for t in rows]
    assert len(walked) == len(made)


def test_a_foreign_cursor_is_refused(agent, timed):
    client = client_for(agent)
    assert client.get("/tickets/", {"sort": "priority", "cursor": "9.xyz"}).status_code == 422
    assert client.get("/tickets/", {"sort": "sla", "cursor": "!!"}).status_code == 422


def test_sorted_pages_take_as_many_queries_with_more_tickets(agent, requester, it_desk, timed):
    client = client_for(agent)
    timed("First", 50)
    for sort in ("priority", "sla"):
        client.get("/tickets/", {"sort": sort})
    with CaptureQueriesContext(connection) as few:
        for sort in ("priority", "sla"):
            client.get("/tickets/", {"sort": sort})
    for n in range(15):
        timed(f"T{n}", n * 7)
    with CaptureQueriesContext(connection) as many:
        for sort in ("priority", "sla"):
            assert len(client.get("/tickets/", {"sort": sort}).context["tickets"]) == 16
    assert len(many) == len(few)


def test_home_queue_counts_take_as_many_queries_with_more_tickets(agent, timed):
    client = client_for(agent)
    timed("First", 50)
    client.get("/")
    with CaptureQueriesContext(connection) as few:
        client.get("/")
    for n in range(15):
        timed(f"T{n}", n * 7)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/")
    assert response.context["counts"]["open"] == 16
    assert len(many) == len(few) <= 25


def test_sla_order_is_the_same_whether_the_soonest_timers_are_the_lists_or_not(agent, timed):
    """The page is first read from the soonest timers of every ticket; when the list's
    tickets are few among them, the list is read from its own tickets instead. Both
    give the due order, page by page."""
    made = [timed(f"T{n}", 200 - n * 5) for n in range(30)]  # T0 due first
    by_due = [t.pk for t in made]
    for wanted in (by_due[::3], by_due[-3:], by_due[:2] + by_due[-2:], by_due):
        listed = Ticket.objects.filter(pk__in=wanted)
        seen, cursor = [], None
        while True:
            page, cursor = by_sla_due(listed, cursor, 2)
            assert len(page) <= 2
            seen += [t.pk for t in page]
            if cursor is None:
                break
        assert seen == wanted


def test_recently_updated_in_creation_order_pages_oldest_first(
    agent, requester, it_desk, make_ticket, monkeypatch
):
    # The recent queue sorted by creation is read by update and sorted (walk_index=False):
    # the order and the paging must be the same as the plain column order's.
    import deskline.web.views.console as console

    monkeypatch.setattr(console, "PAGE", 2)
    now = timezone.now()
    made = []
    for days in (9, 3, 7, 1, 5):
        ticket = make_ticket(it_desk, requester, subject=f"{days} days old")
        Ticket.objects.filter(pk=ticket.pk).update(created_at=now - timedelta(days=days))
        made.append((days, ticket.pk))
    stale = make_ticket(it_desk, requester, subject="Not updated lately")
    Ticket.objects.filter(pk=stale.pk).update(
        created_at=now - timedelta(days=20), updated_at=now - timedelta(days=10)
    )
    client = client_for(agent)
    seen, query = [], "queue=recent&sort=created"
    for _ in range(5):
        page = client.get(f"/tickets/?{query}").context
        seen += [t.pk for t in page["tickets"]]
        if not page["next_query"]:
            break
        query = page["next_query"]
    assert seen == [pk for _, pk in sorted(made, reverse=True)]
