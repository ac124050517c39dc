"""Desks, desk members, teams, users and organizations through /api/v1."""

import pytest

from deskline.accounts.models import Organization, User
from deskline.desks.models import Desk, DeskMembership, Role, Team
from deskline.desks.services import create_team


def field_errors(response) -> list[str]:
    assert response.status_code == 422, response.content
    return [e["field"] for e in response.json()["errors"]]


@pytest.fixture
def people(admin_user, it_desk, support_desk, agent_on, make_user, organization):
    return {
        "admin": admin_user,
        "supervisor": agent_on(it_desk, Role.SUPERVISOR, email="sup@corp.test"),
        "agent": agent_on(it_desk, Role.AGENT, email="agent@corp.test"),
        "light_agent": agent_on(it_desk, Role.LIGHT_AGENT, email="light@corp.test"),
        "support_agent": agent_on(support_desk, Role.AGENT, email="sa@example.com"),
        "employee": make_user("emma@corp.test", is_employee=True),
        "customer": make_user("carl@acme.test", organization=organization, name="Carl"),
    }


# ---------------------------------------------------------------------------------------
# Desks


def test_admin_creates_desk(people, api_for):
    response = api_for(people["admin"]).post(
        "/desks",
        {
            "name": "Human Resources",
            "slug": "hr",
            "prefix": "HR",
            "visibility": "internal",
            "description": "Payroll, leave",
            "default_language": "fr",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert isinstance(body["id"], int)
    assert body["slug"] == "hr"
    assert {k: body[k] for k in ("name", "prefix", "visibility", "default_language")} == {
        "name": "Human Resources",
        "prefix": "HR",
        "visibility": "internal",
        "default_language": "fr",
    }
    assert body["created_at"]
    assert Desk.objects.get(pk=body["id"]).next_sequence == 1
    # The new desk numbers its tickets from 1.
    ticket = api_for(people["admin"]).post(
        "/tickets",
        {"desk": "hr", "subject": "Payslip", "message": {"body_text": "Where is it?"}},
    )
    assert ticket.json()["number"] == "HR-1"


@pytest.mark.parametrize("persona", ["supervisor", "agent", "light_agent", "customer"])
def test_only_admins_create_desks(people, api_for, persona):
    payload = {"name": "Sales", "slug": "sales", "prefix": "SAL"}
    assert api_for(people[persona]).post("/desks", payload).status_code == 403
    assert not Desk.objects.filter(slug="sales").exists()


def test_anonymous_cannot_list_or_create_desks(people, api_for):
    assert api_for(None).get("/desks").status_code == 401
    assert (
        api_for(None).post("/desks", {"name": "X", "slug": "x", "prefix": "X"}).status_code == 401
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"slug": "it"}, "slug", id="duplicate-slug"),
        pytest.param({"prefix": "SUP"}, "prefix", id="duplicate-prefix"),
        pytest.param({"prefix": "hr"}, "prefix", id="lower-case-prefix"),
        pytest.param({"prefix": "1HR"}, "prefix", id="prefix-starts-with-digit"),
        pytest.param({"prefix": "H-R"}, "prefix", id="prefix-with-dash"),
        pytest.param({"prefix": "ABCDEFGHIJK"}, "prefix", id="prefix-too-long"),
        pytest.param({"prefix": ""}, "prefix", id="empty-prefix"),
        pytest.param({"slug": "Human Resources"}, "slug", id="bad-slug"),
        pytest.param({"slug": ""}, "slug", id="empty-slug"),
        pytest.param({"visibility": "secret"}, "visibility", id="bad-visibility"),
        pytest.param({"name": ""}, "name", id="empty-name"),
        pytest.param({"colour": "red"}, "colour", id="unknown-key"),
    ],
)
def test_desk_validation(people, api_for, change, field):
    payload = {"name": "Human Resources", "slug": "hr", "prefix": "HR"} | change
    response = api_for(people["admin"]).post("/desks", payload)
    assert field_errors(response) == [field]
    assert Desk.objects.count() == 2


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin", ["IT", "Support"]),
        ("supervisor", ["IT", "Support"]),
        ("light_agent", ["IT", "Support"]),
        ("support_agent", ["Support"]),
        ("employee", ["IT", "Support"]),
        ("customer", ["Support"]),
    ],
)
def test_desk_list_hides_internal_desks_from_outsiders(people, api_for, persona, expected):
    Desk.objects.create(name="Archive", slug="archive", prefix="ARC", is_active=False)
    api = api_for(people[persona])
    response = api.get("/desks")
    assert response.status_code == 200
    assert [d["name"] for d in response.json()] == expected
    internal = api.get("/desks/it")
    if "IT" in expected:
        assert internal.status_code == 200
        assert internal.json()["slug"] == "it"
    else:
        missing = api.get("/desks/nope")
        assert internal.status_code == missing.status_code == 404
    assert api.get("/desks/archive").status_code == 404


def test_admin_and_supervisor_set_desk_members(people, it_desk, api_for):
    admin, supervisor = api_for(people["admin"]), api_for(people["supervisor"])
    response = admin.put("/desks/it/members", {"email": "New.Agent@Corp.test", "role": "agent"})
    assert response.status_code == 204, response.content
    newcomer = User.objects.get(email="new.agent@corp.test")
    assert api_for(newcomer).get("/users/me").json()["desk_roles"] == {"it": "agent"}
    assert api_for(newcomer).get("/tickets").status_code == 200

    response = supervisor.put("/desks/it/members", {"email": newcomer.email, "role": "light_agent"})
    assert response.status_code == 204
    assert DeskMembership.objects.get(desk=it_desk, user=newcomer).role == "light_agent"
    response = supervisor.put("/desks/it/members", {"email": newcomer.email, "role": None})
    assert response.status_code == 204
    assert not DeskMembership.objects.filter(desk=it_desk, user=newcomer).exists()
    assert api_for(newcomer).get("/users/me").json()["desk_roles"] == {}

    response = admin.put("/desks/it/members", {"email": newcomer.email, "role": "supervisor"})
    assert response.status_code == 204
    assert DeskMembership.objects.get(desk=it_desk, user=newcomer).role == "supervisor"


def test_who_may_set_desk_members(people, it_desk, api_for):
    member = {"email": "x@corp.test", "role": "agent"}
    assert api_for(people["agent"]).put("/desks/it/members", member).status_code == 403
    assert api_for(people["light_agent"]).put("/desks/it/members", member).status_code == 403
    # The support desk's agent and the customer may not know the internal desk exists.
    assert api_for(people["support_agent"]).put("/desks/it/members", member).status_code == 404
    assert api_for(people["customer"]).put("/desks/it/members", member).status_code == 404
    assert api_for(people["customer"]).put("/desks/support/members", member).status_code == 403
    # Supervisors do not make supervisors.
    response = api_for(people["supervisor"]).put(
        "/desks/it/members", {"email": "x@corp.test", "role": "supervisor"}
    )
    assert response.status_code == 403
    assert not DeskMembership.objects.filter(user__email="x@corp.test").exists()
    response = api_for(people["admin"]).put(
        "/desks/it/members", {"email": "x@corp.test", "role": "boss"}
    )
    assert field_errors(response) == ["role"]
    response = api_for(people["admin"]).put("/desks/it/members", {"email": "x", "role": "agent"})
    assert field_errors(response) == ["email"]


def test_supervisors_do_not_demote_or_remove_supervisors(people, it_desk, agent_on, api_for):
    """Only admins make supervisors, so only admins unmake them."""
    peer = agent_on(it_desk, Role.SUPERVISOR, email="peer@corp.test")
    supervisor = api_for(people["supervisor"])
    for role in ("agent", "light_agent", None):
        response = supervisor.put("/desks/it/members", {"email": peer.email, "role": role})
        assert response.status_code == 403, (role, response.content)
        assert DeskMembership.objects.get(desk=it_desk, user=peer).role == "supervisor"
    response = api_for(people["admin"]).put(
        "/desks/it/members", {"email": peer.email, "role": None}
    )
    assert response.status_code == 204
    assert not DeskMembership.objects.filter(desk=it_desk, user=peer).exists()


# ---------------------------------------------------------------------------------------
# Teams


def test_teams(people, it_desk, support_desk, api_for):
    supervisor = api_for(people["supervisor"])
    response = supervisor.post("/teams", {"desk": "it", "name": "Field service", "slug": "field"})
    assert response.status_code == 201, response.content
    team = response.json()
    assert team == {
        "id": team["id"],
        "desk": "it",
        "slug": "field",
        "name": "Field service",
        "tier": 1,
        "members": [],
    }
    response = supervisor.post(
        "/teams", {"desk": "it", "name": "Field again", "slug": "field", "tier": 2}
    )
    assert field_errors(response) == ["slug"]
    create_team(support_desk, name="Field (support)", slug="field")

    response = supervisor.post(f"/teams/{team['id']}/members", {"email": "AGENT@corp.test"})
    assert response.status_code == 201
    assert [m["email"] for m in response.json()["members"]] == ["agent@corp.test"]
    response = supervisor.post(f"/teams/{team['id']}/members", {"email": "carl@acme.test"})
    assert field_errors(response) == ["email"]

    names = lambda persona: [t["slug"] for t in api_for(people[persona]).get("/teams").json()]  # noqa: E731
    assert names("admin") == ["field", "field"]
    assert names("agent") == ["field"]
    assert names("support_agent") == ["field"]
    assert names("customer") == []
    agent_view = api_for(people["agent"]).get("/teams").json()
    assert agent_view[0]["desk"] == "it"
    assert [m["email"] for m in agent_view[0]["members"]] == ["agent@corp.test"]

    response = supervisor.delete(f"/teams/{team['id']}/members/{people['agent'].pk}")
    assert response.status_code == 204
    assert not Team.objects.get(pk=team["id"]).members.exists()


def test_who_may_manage_teams(people, api_for):
    payload = {"desk": "it", "name": "Ops", "slug": "ops"}
    assert api_for(people["agent"]).post("/teams", payload).status_code == 403
    # The body names a desk they may not see: bad input, as a desk that does not exist.
    assert api_for(people["customer"]).post("/teams", payload).status_code == 422
    assert api_for(people["support_agent"]).post("/teams", payload).status_code == 422
    assert api_for(people["admin"]).post("/teams", payload).status_code == 201
    team = Team.objects.get(slug="ops")
    member = {"email": "agent@corp.test"}
    assert api_for(people["agent"]).post(f"/teams/{team.pk}/members", member).status_code == 403
    assert api_for(people["customer"]).post(f"/teams/{team.pk}/members", member).status_code == 404
    assert api_for(people["admin"]).post("/teams/999999/members", member).status_code == 404


# ---------------------------------------------------------------------------------------
# Users


def test_users_me(people, organization, api_for):
    me = api_for(people["customer"]).get("/users/me")
    assert me.status_code == 200
    body = me.json()
    assert body["email"] == "carl@acme.test"
    assert body["name"] == "Carl"
    assert body["organization"] == {"id": organization.pk, "name": "Acme"}
    assert body["is_admin"] is False
    assert body["is_employee"] is False
    assert body["desk_roles"] == {}
    assert set(body) == {
        "id",
        "email",
        "name",
        "organization",
        "is_employee",
        "is_admin",
        "language",
        "time_zone",
        "phone",
        "desk_roles",
        "created_at",
    }
    assert api_for(people["supervisor"]).get("/users/me").json()["desk_roles"] == {
        "it": "supervisor"
    }
    admin = api_for(people["admin"]).get("/users/me").json()
    assert admin["is_admin"] is True


@pytest.mark.parametrize("persona", ["admin", "agent", "light_agent", "support_agent"])
def test_agents_list_users(people, api_for, persona):
    api = api_for(people[persona])
    response = api.get("/users")
    assert response.status_code == 200
    emails = [u["email"] for u in response.json()]
    assert emails == sorted(emails)
    assert "carl@acme.test" in emails and "admin@example.com" in emails
    assert [u["email"] for u in api.get("/users", {"q": "CARL"}).json()] == ["carl@acme.test"]
    assert len(api.get("/users", {"limit": 2}).json()) == 2


@pytest.mark.parametrize("persona", ["customer", "employee"])
def test_requesters_may_not_list_or_create_users(people, api_for, persona):
    api = api_for(people[persona])
    assert api.get("/users").status_code == 403
    assert api.post("/users", {"email": "new@example.com"}).status_code == 403
    assert not User.objects.filter(email="new@example.com").exists()
    # Their own record, yes; anyone else's is not there for them.
    own = people[persona]
    assert api.get(f"/users/{own.pk}").status_code == 200
    assert api.get(f"/users/{people['agent'].pk}").status_code == 404
    assert api.get("/users/999999").status_code == 404


def test_agent_creates_user(people, organization, api_for):
    api = api_for(people["agent"])
    response = api.post(
        "/users",
        {"email": "Dora@Acme.test", "name": "Dora", "organization": organization.pk},
    )
    assert response.status_code == 201, response.content
    assert response.json()["email"] == "dora@acme.test"
    assert response.json()["organization"]["name"] == "Acme"
    dora = User.objects.get(email="dora@acme.test")
    assert not dora.has_usable_password()
    assert field_errors(api.post("/users", {"email": "DORA@acme.test"})) == ["email"]
    assert field_errors(api.post("/users", {"email": "not an email"})) == ["email"]
    assert field_errors(api.post("/users", {"email": "e@x.test", "organization": 999999})) == [
        "organization"
    ]


def test_who_may_change_users(people, organization, api_for):
    customer = people["customer"]
    own = api_for(customer)
    response = own.patch(f"/users/{customer.pk}", {"name": "Carl C.", "phone": "+33 1 23"})
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Carl C."
    assert own.patch(f"/users/{customer.pk}", {"is_employee": True}).status_code == 403
    other = Organization.objects.create(name="Other")
    assert own.patch(f"/users/{customer.pk}", {"organization": other.pk}).status_code == 403
    assert own.patch(f"/users/{people['employee'].pk}", {"name": "x"}).status_code == 404
    customer.refresh_from_db()
    assert customer.is_employee is False
    assert customer.organization == organization

    agent = api_for(people["agent"])
    assert agent.patch(f"/users/{customer.pk}", {"phone": "+1 555"}).status_code == 200
    # Organization and employee status widen what a person sees: admins only.
    assert agent.patch(f"/users/{customer.pk}", {"organization": other.pk}).status_code == 403
    assert agent.patch(f"/users/{customer.pk}", {"is_employee": True}).status_code == 403
    me = people["agent"].pk
    assert (
        agent.patch(f"/users/{me}", {"is_employee": not people["agent"].is_employee}).status_code
        == 403
    )
    customer.refresh_from_db()
    assert customer.organization == organization and customer.is_employee is False
    assert agent.patch(f"/users/{people['support_agent'].pk}", {"name": "x"}).status_code == 403
    assert agent.patch(f"/users/{people['admin'].pk}", {"name": "x"}).status_code == 403
    admin = api_for(people["admin"])
    response = admin.patch(f"/users/{people['agent'].pk}", {"name": "Agent Renamed"})
    assert response.status_code == 200
    response = admin.patch(f"/users/{customer.pk}", {"organization": other.pk, "is_employee": True})
    assert response.status_code == 200, response.content
    customer.refresh_from_db()
    assert customer.organization == other and customer.is_employee is True
    assert User.objects.get(pk=people["agent"].pk).name == "Agent Renamed"


# ---------------------------------------------------------------------------------------
# Organizations


def test_organizations(people, organization, make_user, make_ticket, support_desk, api_for):
    agent = api_for(people["support_agent"])
    response = agent.post(
        "/organizations",
        {"name": "Globex", "domains": ["@Globex.test", " globex.TEST", "gx.test", ""]},
    )
    assert response.status_code == 201, response.content
    globex = response.json()
    assert globex["domains"] == ["globex.test", "gx.test"]
    assert globex["shared_tickets"] is False
    assert field_errors(agent.post("/organizations", {"name": "Globex"})) == ["name"]
    assert [o["name"] for o in agent.get("/organizations").json()] == ["Acme", "Globex"]

    customer = api_for(people["customer"])
    assert [o["name"] for o in customer.get("/organizations").json()] == ["Acme"]
    assert customer.get(f"/organizations/{organization.pk}").status_code == 200
    assert customer.get(f"/organizations/{globex['id']}").status_code == 404
    assert customer.post("/organizations", {"name": "Mine"}).status_code == 403
    response = customer.patch(f"/organizations/{organization.pk}", {"shared_tickets": True})
    assert response.status_code == 403
    assert customer.patch(f"/organizations/{globex['id']}", {"name": "x"}).status_code == 404
    assert api_for(people["employee"]).get("/organizations").json() == []

    # Sharing, switched on by an admin, lets colleagues see each other's requests.
    colleague = make_user("cora@acme.test", organization=organization)
    ticket = make_ticket(support_desk, colleague, "Shared trouble")
    assert customer.get(f"/tickets/{ticket.pk}").status_code == 404
    response = api_for(people["admin"]).patch(
        f"/organizations/{organization.pk}", {"shared_tickets": True}
    )
    assert response.status_code == 200
    assert response.json()["shared_tickets"] is True
    assert customer.get(f"/tickets/{ticket.pk}").status_code == 200
    assert [t["id"] for t in customer.get("/tickets").json()["items"]] == [ticket.pk]


def test_people_and_organizations_are_not_widened_by_agents_or_viewers(
    people, organization, api_for
):
    """Employee status opens the internal desks, an organization's sharing its members'
    requests: an agent may not give them to an account it creates (it may not change
    them on an existing one either), and a light agent, who only reads, changes no one."""
    agent = api_for(people["agent"])
    response = agent.post("/users", {"email": "mole@elsewhere.test", "is_employee": True})
    assert response.status_code == 403, response.content
    assert not User.objects.filter(email="mole@elsewhere.test").exists()

    light = api_for(people["light_agent"])
    assert light.get("/users").status_code == 200  # reading stays
    assert light.post("/users", {"email": "new@acme.test"}).status_code == 403
    customer = people["customer"]
    assert light.patch(f"/users/{customer.pk}", {"phone": "+1 555"}).status_code == 403
    assert light.post("/organizations", {"name": "Shell Co"}).status_code == 403
    response = light.patch(f"/organizations/{organization.pk}", {"shared_tickets": True})
    assert response.status_code == 403
    organization.refresh_from_db()
    customer.refresh_from_db()
    assert organization.shared_tickets is False and customer.phone == ""
    assert not User.objects.filter(email="new@acme.test").exists()
    # Their own profile is theirs.
    own = light.patch(f"/users/{people['light_agent'].pk}", {"name": "Lea"})
    assert own.status_code == 200, own.content

    admin = api_for(people["admin"])
    response = admin.post("/users", {"email": "new.hire@corp.test", "is_employee": True})
    assert response.status_code == 201, response.content
    assert response.json()["is_employee"] is True


def test_agents_cannot_open_an_organizations_shared_requests_to_themselves(
    people, organization, make_user, make_ticket, support_desk, api_for
):
    """Organizations span every desk: an agent of IT must not be able to point a sharing
    organization at an address it controls (domains, sharing, or a new member) and then
    read, as that requester, the organization's requests on the support desk."""
    organization.shared_tickets, organization.domains = True, ["acme.test"]
    organization.save()
    ticket = make_ticket(support_desk, make_user("cora@acme.test", organization=organization))
    agent = api_for(people["agent"])
    for change in ({"domains": ["acme.test", "mole.test"]}, {"shared_tickets": False}):
        response = agent.patch(f"/organizations/{organization.pk}", change)
        assert response.status_code == 403, (change, response.content)
        assert "only admins" in response.json()["detail"]
    organization.refresh_from_db()
    assert organization.domains == ["acme.test"] and organization.shared_tickets
    response = agent.post("/users", {"email": "mole@mole.test", "organization": organization.pk})
    assert response.status_code == 403, response.content
    assert not User.objects.filter(email="mole@mole.test").exists()
    # An address of the organization's own domains, or an organization that does not
    # share, is an agent's everyday work; name and notes stay theirs to change.
    assert (
        agent.post(
            "/users", {"email": "dan@acme.test", "organization": organization.pk}
        ).status_code
        == 201
    )
    mole = make_user("mole@mole.test")
    assert api_for(mole).get(f"/tickets/{ticket.pk}").status_code == 404
    response = agent.patch(f"/organizations/{organization.pk}", {"notes": "Key account"})
    assert response.status_code == 200
    admin = api_for(people["admin"])
    response = admin.patch(
        f"/organizations/{organization.pk}", {"domains": ["acme.test", "x.test"]}
    )
    assert response.status_code == 200


def test_members_of_an_organization_do_not_read_the_agents_notes_on_it(
    people, organization, api_for
):
    agent = api_for(people["support_agent"])
    note = "VIP, threatens to leave; never promise dates"
    assert agent.patch(f"/organizations/{organization.pk}", {"notes": note}).status_code == 200
    assert agent.get(f"/organizations/{organization.pk}").json()["notes"] == note
    customer = api_for(people["customer"])
    assert customer.get(f"/organizations/{organization.pk}").json()["notes"] == ""
    assert [o["notes"] for o in customer.get("/organizations").json()] == [""]
