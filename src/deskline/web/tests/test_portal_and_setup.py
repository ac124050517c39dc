"""Requester portal and setup pages: who may use them, and what a request must say."""

from django.test import Client

from deskline.accounts.models import Organization
from deskline.desks.models import Role, Team
from deskline.tickets.models import Ticket, TicketFollower
from deskline.tickets.services import update_ticket


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


def test_only_the_requester_marks_a_request_solved_in_the_portal(
    support_desk, make_user, make_ticket
):
    """A colleague (the organization shares tickets) and a follower read the request
    and reply to it, but only its requester may mark it solved, as in the API."""
    shared = Organization.objects.create(name="Shared Co", shared_tickets=True)
    alice = make_user(organization=shared)
    colleague, follower = make_user(organization=shared), make_user()
    ticket = make_ticket(support_desk, alice)
    TicketFollower.objects.create(ticket=ticket, user=follower)
    page = f"/portal/requests/{ticket.number}/"
    for other in (colleague, follower):
        client = client_for(other)
        shown = client.get(page)
        assert shown.status_code == 200
        assert b"/solve/" not in shown.content
        assert client.post(f"{page}solve/").status_code == 403
        assert client.post(page, {"body": f"Same here, says {other.email}."}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status != "solved"
    assert ticket.messages.count() == 3
    own = client_for(alice)
    assert b"/solve/" in own.get(page).content
    assert own.post(f"{page}solve/").status_code == 302
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


def test_only_admins_make_or_unmake_supervisors_on_the_setup_pages(
    it_desk, agent_on, make_user, admin_user
):
    """As in the API (PUT /desks/{id}/members): a supervisor manages agents, but making,
    demoting or removing a supervisor is an admin's decision."""
    boss = agent_on(it_desk, Role.SUPERVISOR)
    peer = agent_on(it_desk, Role.SUPERVISOR)
    agent = agent_on(it_desk, Role.AGENT)
    helper = make_user("helper@example.com")
    supervisor = client_for(boss)

    def role_of(user):
        return it_desk.memberships.filter(user=user).values_list("role", flat=True).first()

    refused = supervisor.post(
        "/setup/desks/it/agents/", {"email": agent.email, "role": "supervisor"}
    )
    assert refused.status_code in (403, 422)
    demote = supervisor.post("/setup/desks/it/agents/", {"email": peer.email, "role": "agent"})
    assert demote.status_code in (403, 422)
    membership = it_desk.memberships.get(user=peer)
    remove = supervisor.post(f"/setup/desks/it/agents/{membership.pk}/", {"delete": "1"})
    assert remove.status_code in (403, 422)
    assert (role_of(agent), role_of(peer)) == (Role.AGENT, Role.SUPERVISOR)

    # What supervisors do manage still works, and admins may do the rest.
    added = supervisor.post("/setup/desks/it/agents/", {"email": helper.email, "role": "agent"})
    assert added.status_code == 302
    assert role_of(helper) == Role.AGENT
    admin = client_for(admin_user)
    promoted = admin.post("/setup/desks/it/agents/", {"email": agent.email, "role": "supervisor"})
    assert promoted.status_code == 302
    assert role_of(agent) == Role.SUPERVISOR


def _desk_form(desk, **changes):
    values = {
        "name": desk.name,
        "slug": desk.slug,
        "prefix": desk.prefix,
        "visibility": desk.visibility,
        "description": desk.description,
    }
    if desk.is_active:
        values["is_active"] = "on"
    return {**values, **changes}


def test_only_admins_change_who_may_see_a_desk_on_the_setup_pages(it_desk, agent_on, admin_user):
    """Visibility (and slug, prefix, active) decide who sees a desk's tickets and where:
    an admin's decision. The desk's supervisors rename it and describe it."""
    supervisor = client_for(agent_on(it_desk, Role.SUPERVISOR))
    edit = "/setup/desks/it/edit/"
    before = ("internal", "it", "IT", True)
    for change in ({"visibility": "external"}, {"slug": "it2"}, {"prefix": "ITX"}):
        supervisor.post(edit, _desk_form(it_desk, **change))
        it_desk.refresh_from_db()
        assert (it_desk.visibility, it_desk.slug, it_desk.prefix, it_desk.is_active) == before
    supervisor.post(edit, {**_desk_form(it_desk), "is_active": ""})
    it_desk.refresh_from_db()
    assert it_desk.is_active
    form = supervisor.get(edit).context["form"]  # shown, not offered
    assert form.fields["visibility"].disabled and not form.fields["name"].disabled
    renamed = supervisor.post(edit, _desk_form(it_desk, name="IT help", description="Laptops"))
    assert renamed.status_code == 302
    it_desk.refresh_from_db()
    assert (it_desk.name, it_desk.description) == ("IT help", "Laptops")
    admin = client_for(admin_user)
    assert admin.post(edit, _desk_form(it_desk, visibility="external")).status_code == 302
    it_desk.refresh_from_db()
    assert it_desk.visibility == "external"


def test_a_refused_portal_reply_is_a_403_not_a_server_error(
    support_desk, agent_on, make_user, make_ticket
):
    """Light agents add internal notes only: a public reply through the portal's form is
    refused with a 403 and writes nothing."""
    ticket = make_ticket(support_desk, make_user())
    light = Client(raise_request_exception=False)
    light.force_login(agent_on(support_desk, Role.LIGHT_AGENT))
    response = light.post(f"/portal/requests/{ticket.number}/", {"body": "a public word"})
    assert response.status_code == 403
    assert ticket.messages.count() == 1


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


def test_a_reply_to_a_closed_request_is_refused_in_the_requesters_language(
    it_desk, agent_on, make_user, make_ticket
):
    requester = make_user(is_employee=True, language="zh-hans")
    ticket = make_ticket(it_desk, requester)
    update_ticket(ticket, actor=agent_on(it_desk, Role.AGENT), changes={"status": "closed"})
    response = client_for(requester).post(
        f"/portal/requests/{ticket.number}/", {"body": "Still broken."}
    )
    assert response.status_code == 422
    assert response.context["error"] == f"工单 {ticket.number} 已关闭；请改为新建一个后续工单"
    assert ticket.messages.count() == 1


def test_a_supervisor_learns_in_arabic_that_only_admins_make_supervisors(it_desk, agent_on):
    boss = agent_on(it_desk, Role.SUPERVISOR, language="ar")
    agent = agent_on(it_desk, Role.AGENT)
    response = client_for(boss).post(
        "/setup/desks/it/agents/", {"email": agent.email, "role": "supervisor"}
    )
    assert response.context["form"].errors["role"] == ["لا يحق إلا لمديري النظام تعيين مشرفين"]
    assert "only admins may make supervisors" not in response.content.decode()
