"""Agent console pages through Django's test client: access, actions, query counts."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from deskline.desks.models import Role
from deskline.desks.services import create_team
from deskline.tickets.models import Message, Ticket
from deskline.web.models import SavedView


@pytest.fixture
def agent(it_desk, agent_on):
    return agent_on(it_desk, Role.AGENT, name="Agent Smith")


@pytest.fixture
def requester(make_user):
    return make_user(name="Sam", is_employee=True)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_home_counts_the_agents_queues(agent, requester, it_desk, make_ticket):
    team = create_team(it_desk, name="Network", slug="network")
    team.members.add(agent)
    make_ticket(it_desk, requester, subject="Mine", assignee=agent)
    make_ticket(it_desk, requester, subject="Unassigned", team=team)
    make_ticket(it_desk, requester, subject="Other")
    response = client_for(agent).get("/")
    counts = response.context["counts"]
    assert counts["mine"] == 1
    assert counts["unassigned"] == 1
    assert counts["open"] == 3
    assert counts["waiting"] == 0


def test_requesters_go_to_the_portal(requester):
    response = client_for(requester).get("/")
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    assert client_for(requester).get("/tickets/").status_code == 404


def test_list_filters_like_the_api_and_pages_by_keyset(agent, requester, it_desk, make_ticket):
    for n in range(5):
        make_ticket(it_desk, requester, subject=f"VPN {n}", priority="high" if n % 2 else "low")
    client = client_for(agent)
    high = client.get("/tickets/", {"priority": "high"})
    assert {t.subject for t in high.context["tickets"]} == {"VPN 1", "VPN 3"}
    bad = client.get("/tickets/", {"status": "nonsense"})
    assert bad.status_code == 422
    assert "status" in bad.context["error"]
    oldest = client.get("/tickets/", {"sort": "created"}).context["tickets"]
    assert [t.subject for t in oldest] == [f"VPN {n}" for n in range(5)]


def test_list_query_count_does_not_grow_with_the_tickets(agent, requester, it_desk, make_ticket):
    client = client_for(agent)
    make_ticket(it_desk, requester)
    client.get("/tickets/")
    with CaptureQueriesContext(connection) as few:
        client.get("/tickets/")
    for n in range(25):
        make_ticket(it_desk, requester, subject=f"T{n}", tags=[f"tag{n}"])
    with CaptureQueriesContext(connection) as many:
        response = client.get("/tickets/")
    assert len(response.context["tickets"]) == 26
    assert len(many) == len(few) <= 14


def test_ticket_page_query_count_is_bounded(agent, requester, it_desk, make_ticket):
    ticket = make_ticket(it_desk, requester)
    client = client_for(agent)
    client.get(f"/tickets/{ticket.number}/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"/tickets/{ticket.number}/")
    from deskline.tickets.services import add_message, update_ticket

    for n in range(10):
        add_message(ticket, actor=agent, body_text=f"step {n}", internal=n % 2 == 0)
        update_ticket(ticket, actor=agent, changes={"priority": "high" if n % 2 else "low"})
    with CaptureQueriesContext(connection) as many:
        response = client.get(f"/tickets/{ticket.number}/")
    assert response.status_code == 200
    assert len(many) == len(few)


def test_another_desks_ticket_is_404_everywhere(agent, requester, support_desk, make_ticket):
    ticket = make_ticket(support_desk, requester)
    client = client_for(agent)
    for url in ("", "?part=timeline"):
        assert client.get(f"/tickets/{ticket.number}/{url}").status_code == 404
    assert client.post(f"/tickets/{ticket.number}/reply/", {"body": "hi"}).status_code == 404
    assert client.post(f"/tickets/{ticket.number}/update/", {"status": "solved"}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == "new"
    assert Message.objects.filter(ticket=ticket).count() == 1


def test_reply_note_attachment_and_field_changes(agent, requester, it_desk, make_ticket):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ticket = make_ticket(it_desk, requester)
    client = client_for(agent)
    seen = client.get(f"/tickets/{ticket.number}/").context["seen_event"]
    upload = SimpleUploadedFile("log.txt", b"error 42\n", content_type="text/plain")
    response = client.post(
        f"/tickets/{ticket.number}/reply/",
        {"body": "Looking into it", "seen_event": seen, "files": upload},
    )
    assert response.status_code == 302
    reply = Message.objects.filter(ticket=ticket).last()
    assert reply.body_text == "Looking into it" and not reply.internal
    assert reply.attachments.get().filename == "log.txt"
    client.post(
        f"/tickets/{ticket.number}/reply/",
        {"body": "Checked the switch", "internal": "1", "seen_event": 10**9},
    )
    assert Message.objects.filter(ticket=ticket, internal=True).count() == 1
    client.post(
        f"/tickets/{ticket.number}/update/",
        {"status": "solved", "priority": "urgent", "assignee": agent.pk, "tags": "vpn, wifi"},
    )
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee_id) == ("solved", "urgent", agent.pk)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Checked the switch" in page and "log.txt" in page
    requester_page = client_for(requester).get(f"/portal/requests/{ticket.number}/")
    text = requester_page.content.decode()
    assert "Looking into it" in text and "Checked the switch" not in text


def test_outdated_reply_is_held_back_with_the_news(
    agent, make_user, requester, it_desk, make_ticket
):
    from deskline.tickets.services import add_message

    ticket = make_ticket(it_desk, requester)
    client = client_for(agent)
    seen = client.get(f"/tickets/{ticket.number}/").context["seen_event"]
    add_message(ticket, actor=requester, body_text="Never mind, it works now")
    response = client.post(
        f"/tickets/{ticket.number}/reply/", {"body": "Try a restart", "seen_event": seen}
    )
    assert response.status_code == 409
    text = response.content.decode()
    assert "Try a restart" in text  # the draft is kept
    assert "Never mind, it works now" in text
    assert not Message.objects.filter(body_text="Try a restart").exists()
    sent = client.post(
        f"/tickets/{ticket.number}/reply/",
        {"body": "Try a restart", "seen_event": seen, "send_anyway": "1"},
    )
    assert sent.status_code == 302
    assert Message.objects.filter(body_text="Try a restart").exists()


def test_bulk_actions_apply_through_the_services(
    agent, requester, it_desk, support_desk, make_ticket
):
    mine = [make_ticket(it_desk, requester, subject=f"B{n}") for n in range(3)]
    foreign = make_ticket(support_desk, requester)
    client = client_for(agent)
    numbers = [t.number for t in mine] + [foreign.number]
    client.post("/tickets/bulk/", {"action": "assignee", "value": "me", "ticket": numbers})
    client.post("/tickets/bulk/", {"action": "add_tags", "value": "outage", "ticket": numbers})
    client.post("/tickets/bulk/", {"action": "status", "value": "pending", "ticket": numbers})
    for ticket in mine:
        ticket.refresh_from_db()
        assert ticket.assignee_id == agent.pk and ticket.status == "pending"
        assert list(ticket.tags.values_list("name", flat=True)) == ["outage"]
    foreign.refresh_from_db()
    assert foreign.assignee_id is None and foreign.status == "new"


def test_merge_and_link(agent, requester, it_desk, make_ticket):
    source, target, other = (make_ticket(it_desk, requester, subject=s) for s in "STO")
    client = client_for(agent)
    client.post(f"/tickets/{source.number}/link/", {"target": other.number, "kind": "related"})
    assert source.links_out.get().target_id == other.pk
    response = client.post(f"/tickets/{source.number}/merge/", {"target": target.number})
    assert response["Location"] == f"/tickets/{target.number}/"
    source.refresh_from_db()
    assert source.merged_into_id == target.pk
    page = client.get(f"/tickets/{target.number}/").content.decode()
    assert page.count("It is really on fire.") == 2


def test_saved_views_are_shared_with_a_team(agent, it_desk, agent_on):
    team = create_team(it_desk, name="Desk", slug="desk")
    team.members.add(agent)
    colleague = agent_on(it_desk, Role.AGENT)
    team.members.add(colleague)
    client_for(agent).post(
        "/views/", {"name": "Urgent VPN", "query": "priority=urgent&tag=vpn", "team": team.pk}
    )
    view = SavedView.objects.get()
    assert view.owner == agent and view.team == team
    home = client_for(colleague).get("/")
    assert "Urgent VPN" in home.content.decode()
    outsider = agent_on(it_desk, Role.AGENT)
    assert client_for(outsider).post(f"/views/{view.pk}/delete/").status_code == 404


def test_csrf_is_enforced_on_actions(agent, requester, it_desk, make_ticket):
    ticket = make_ticket(it_desk, requester)
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    response = client.post(f"/tickets/{ticket.number}/reply/", {"body": "hi"})
    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).messages.count() == 1


def test_queue_counts_stop_at_the_cap(agent, requester, it_desk, make_ticket, monkeypatch):
    from deskline.web import queues

    monkeypatch.setattr(queues, "COUNT_CAP", 2)
    for n in range(4):
        make_ticket(it_desk, requester, subject=f"Open {n}")
    make_ticket(it_desk, requester, subject="Mine", assignee=agent)
    response = client_for(agent).get("/")
    counts = response.context["counts"]
    assert (counts["open"], counts["mine"]) == (3, 1)  # 5 open, counted up to cap + 1
    html = response.content.decode()
    assert 'data-queue="open">2+</span>' in html and 'data-queue="mine">1</span>' in html


def test_a_bulk_change_names_each_refused_ticket_in_the_agents_language(
    it_desk, agent_on, make_user, make_ticket
):
    from deskline.tickets.services import update_ticket

    agent = agent_on(it_desk, Role.AGENT, language="zh-hans")
    requester = make_user(is_employee=True)
    closed = make_ticket(it_desk, requester, subject="Closed one")
    update_ticket(closed, actor=agent, changes={"status": "closed"})
    page = client_for(agent).post(
        "/tickets/bulk/",
        {"action": "priority", "value": "high", "ticket": [closed.number]},
        follow=True,
    )
    shown = page.content.decode()
    assert f"{closed.number}: 工单 {closed.number} 已关闭；已关闭的工单不能更改" in shown
    assert "closed tickets cannot change" not in shown
