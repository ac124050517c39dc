"""Requester portal and setup pages: who may use them, and what a request must say."""

from django.test import Client

from deskline.desks.models import Role, Team
from deskline.tickets.models import Ticket


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_internal_desks_exist_only_for_employees(it_desk, support_desk, make_user):
    customer = client_for(make_user())
    assert customer.get("/portal/it/").status_code == 404
    assert customer.get("/portal/support/").status_code == 200
    assert client_for(make_user(is_employee=True)).get("/portal/it/").status_code == 200
    assert Client().get("/portal/support/").status_code == 302  # sign in first


def test_a_vague_request_is_refused_and_nothing_is_lost(support_desk, make_user):
    client = client_for(make_user())
    response = client.post("/portal/support/", {"subject": "Help", "description": "broken"})
    assert response.status_code == 422
    assert "at least" in response.context["errors"]["description"]
    assert response.context["values"]["subject"] == "Help"
    assert not Ticket.objects.exists()
    good = "The invoice PDF for March shows the wrong VAT number for our company."
    response = client.post("/portal/support/", {"subject": "Wrong VAT", "description": good})
    ticket = Ticket.objects.get()
    assert response["Location"] == f"/portal/requests/{ticket.number}/"
    assert ticket.channel == "web"


def test_requesters_see_only_their_own_requests(support_desk, make_user, make_ticket):
    alice, bob = make_user(), make_user()
    ticket = make_ticket(support_desk, alice)
    assert client_for(bob).get(f"/portal/requests/{ticket.number}/").status_code == 404
    assert client_for(bob).post(f"/portal/requests/{ticket.number}/solve/").status_code == 404
    assert client_for(alice).post(f"/portal/requests/{ticket.number}/solve/").status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "solved"


def test_setup_pages_are_for_admins_and_the_desks_supervisors(it_desk, support_desk, agent_on):
    supervisor = client_for(agent_on(it_desk, Role.SUPERVISOR))
    agent = client_for(agent_on(it_desk, Role.AGENT))
    assert agent.get("/setup/").status_code == 404
    assert supervisor.get("/setup/desks/support/").status_code == 404
    assert supervisor.get("/setup/desks/new/").status_code == 404
    response = supervisor.post(
        "/setup/desks/it/teams/", {"name": "Network", "slug": "network", "tier": 2}
    )
    assert response.status_code == 302
    assert Team.objects.get(desk=it_desk).name == "Network"
    bad = supervisor.post("/setup/desks/it/teams/", {"name": "X", "slug": "Not A Slug", "tier": 1})
    assert bad.status_code == 422


def test_an_admin_creates_the_first_desk_from_setup_on_a_fresh_install(admin_user):
    admin = client_for(admin_user)
    setup = admin.get("/setup/")
    assert setup.status_code == 200
    assert 'href="/setup/desks/new/"' in setup.content.decode()
    response = admin.post(
        "/setup/desks/new/",
        {"name": "IT", "slug": "it", "prefix": "IT", "visibility": "internal", "is_active": "on"},
    )
    assert response.status_code == 302
    assert "/portal/it/" in admin.get("/setup/").content.decode()
