"""Tickets through /api/v1: create, list, change, merge, link, follow, history."""

import datetime
import math
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deskline.accounts.models import Organization, User
from deskline.api.tests.conftest import shared_data
from deskline.desks.models import Category, CustomField, Desk, Role, Team
from deskline.desks.services import create_category, create_desk, create_team, set_desk_role
from deskline.tickets.models import Message, Ticket, TicketEvent, TicketFollower, TicketLink
from deskline.tickets.services import add_message, merge_tickets, open_ticket, update_ticket

# ---------------------------------------------------------------------------------------
# Setup


@dataclass
class ItSetup:
    desk: Desk
    agent: User
    other_agent: User
    hardware: Category
    laptop: Category
    network: Category
    team: Team
    other_team: Team


def build_it() -> ItSetup:
    """The IT desk with two agents, a category tree, teams and custom fields."""
    desk = create_desk(name="IT", slug="it", prefix="IT", visibility="internal")
    hardware = create_category(desk, name="Hardware", slug="hardware")
    laptop = create_category(desk, name="Laptops", slug="laptop", parent=hardware)
    network = create_category(desk, name="Network", slug="network")
    CustomField.objects.create(desk=desk, key="asset", label="Asset tag")
    CustomField.objects.create(desk=desk, key="count", label="Count", field_type="integer")
    CustomField.objects.create(
        desk=desk, key="env", label="Environment", field_type="choice", choices=["prod", "test"]
    )
    agents = []
    for email, name in (("agent@corp.test", "Agent Smith"), ("other@corp.test", "")):
        agent = User.objects.create_user(email, name=name)
        set_desk_role(desk, agent, Role.AGENT, actor=None)
        agents.append(agent)
    return ItSetup(
        desk=desk,
        agent=agents[0],
        other_agent=agents[1],
        hardware=hardware,
        laptop=laptop,
        network=network,
        team=create_team(desk, name="Service desk", slug="service-desk"),
        other_team=create_team(desk, name="Network ops", slug="netops"),
    )


@pytest.fixture
def it(db) -> ItSetup:
    return build_it()


def new_ticket_payload(**overrides):
    payload = {
        "desk": "it",
        "subject": "VPN down",
        "requester": {"email": "ahmed@example.com", "name": "Ahmed"},
        "message": {"body_text": "I cannot connect."},
    }
    payload.update(overrides)
    return payload


def errors_of(response) -> list[str]:
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["detail"]
    return [e["field"] for e in body["errors"]]


# ---------------------------------------------------------------------------------------
# Create


def test_agent_creates_ticket_with_every_contract_field(it, api_for):
    api = api_for(it.agent)
    response = api.post(
        "/tickets",
        new_ticket_payload(
            requester={"email": "  Ahmed.Ali@Example.COM ", "name": "Ahmed Ali"},
            message={"body_text": "VPN drops every hour.", "body_html": "<p>VPN <b>drops</b></p>"},
            priority="high",
            category="hardware/laptop",
            tags=["VPN", "Remote Access", "vpn"],
            custom_fields={"asset": "LT-0042", "count": "3", "env": "prod"},
        ),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert isinstance(body["id"], int)
    assert body["number"] == "IT-1"
    assert body["url"] == f"/api/v1/tickets/{body['id']}"
    assert body["desk"] == {"id": it.desk.pk, "slug": "it", "name": "IT", "prefix": "IT"}
    assert body["subject"] == "VPN down"
    assert body["status"] == "new"
    assert body["priority"] == "high"
    assert body["channel"] == "api"
    assert body["category"] == {"id": it.laptop.pk, "path": "hardware/laptop", "name": "Laptops"}
    assert body["tags"] == ["remote-access", "vpn"]
    assert body["custom_fields"] == {"asset": "LT-0042", "count": 3, "env": "prod"}
    assert body["requester"]["email"] == "ahmed.ali@example.com"
    assert body["requester"]["name"] == "Ahmed Ali"
    assert body["assignee"] is None
    assert body["first_response_at"] is None

    requester = User.objects.get(email="ahmed.ali@example.com")
    assert not requester.has_usable_password()
    ticket = Ticket.objects.get(pk=body["id"])
    assert ticket.requester == requester
    message = Message.objects.get(ticket=ticket)
    assert message.body_text == "VPN drops every hour."
    assert message.body_html == "<p>VPN <b>drops</b></p>"
    assert message.author == requester
    assert message.internal is False
    created = TicketEvent.objects.get(ticket=ticket)
    assert created.kind == "created"
    assert created.actor == it.agent


def test_desk_may_be_named_by_id_and_numbers_grow_per_desk(it, support_desk, api_for):
    api = api_for(User.objects.create_superuser("root@example.com", "pw"))
    numbers = []
    for desk in (it.desk.pk, "it", support_desk.pk, "IT", "support", "it"):
        response = api.post("/tickets", new_ticket_payload(desk=desk))
        assert response.status_code == 201, response.content
        numbers.append(response.json()["number"])
    assert numbers == ["IT-1", "IT-2", "SUP-1", "IT-3", "SUP-2", "IT-4"]


def test_requesters_are_created_once_per_folded_address_and_join_their_organization(
    it, organization, api_for
):
    api = api_for(it.agent)
    first = api.post("/tickets", new_ticket_payload(requester={"email": "Jo@Acme.TEST"}))
    second = api.post(
        "/tickets", new_ticket_payload(requester={"email": "jo@acme.test", "name": "Jo"})
    )
    assert first.status_code == second.status_code == 201
    assert first.json()["requester"]["id"] == second.json()["requester"]["id"]
    assert User.objects.filter(email__iexact="jo@acme.test").count() == 1
    jo = User.objects.get(email="jo@acme.test")
    assert jo.organization == organization
    # A name given later fills an empty one.
    assert jo.name == "Jo"
    assert second.json()["organization"] == {"id": organization.pk, "name": "Acme"}


def test_agent_without_requester_is_the_requester(it, api_for):
    payload = new_ticket_payload()
    del payload["requester"]
    response = api_for(it.agent).post("/tickets", payload)
    assert response.status_code == 201, response.content
    assert response.json()["requester"]["email"] == "agent@corp.test"


def test_requester_opens_ticket_for_themselves(support_desk, make_user, api_for):
    customer = make_user("carla@example.com", name="Carla")
    api = api_for(customer)
    payload = new_ticket_payload(desk="support", impact="high", urgency="high")
    del payload["requester"]
    response = api.post("/tickets", payload)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == "SUP-1"
    assert body["requester"]["email"] == "carla@example.com"
    assert body["priority"] == "urgent"
    # Naming oneself, in any case, is the same.
    response = api.post(
        "/tickets", new_ticket_payload(desk="support", requester={"email": "CARLA@example.com"})
    )
    assert response.status_code == 201, response.content
    assert response.json()["requester"]["email"] == "carla@example.com"
    # The requester then sees both.
    listed = api.get("/tickets").json()["items"]
    assert [t["number"] for t in listed] == ["SUP-2", "SUP-1"]


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"requester": {"email": "someone.else@example.com"}}, id="someone-else"),
        pytest.param({"assignee": "agent@corp.test"}, id="assignee"),
        pytest.param({"priority": "urgent"}, id="priority"),
        pytest.param({"team": "service-desk"}, id="team"),
        pytest.param({"tags": ["vip"]}, id="tags"),
        pytest.param({"tier": 3}, id="tier"),
    ],
)
def test_requester_may_not_set_agent_fields_or_open_for_others(
    it, support_desk, make_user, api_for, overrides
):
    customer = make_user("carla@example.com")
    payload = new_ticket_payload(desk="support", requester={"email": "carla@example.com"})
    payload.update(overrides)
    response = api_for(customer).post("/tickets", payload)
    assert response.status_code == 403, response.content
    assert not Ticket.objects.exists()
    assert not User.objects.filter(email="someone.else@example.com").exists()


def test_internal_desk_is_invisible_to_non_employees(it, make_user, api_for):
    customer = make_user("carla@example.com")
    payload = new_ticket_payload(desk="it", requester={"email": "carla@example.com"})
    internal = api_for(customer).post("/tickets", payload)
    missing = api_for(customer).post("/tickets", {**payload, "desk": "nope"})
    # The same answer as for a desk that does not exist.
    assert errors_of(internal) == errors_of(missing) == ["desk"]
    assert internal.json()["detail"] == "desk: no desk 'it'"
    assert missing.json()["detail"] == "desk: no desk 'nope'"
    by_id = api_for(customer).post("/tickets", {**payload, "desk": it.desk.pk})
    missing_id = api_for(customer).post("/tickets", {**payload, "desk": 999999})
    assert errors_of(by_id) == errors_of(missing_id) == ["desk"]
    assert by_id.json()["detail"] == f"desk: no desk {it.desk.pk}"
    assert not Ticket.objects.exists()
    # Filtering by it answers the same too.
    listed = api_for(customer).get("/tickets", {"desk": "it"})
    assert errors_of(listed) == errors_of(api_for(customer).get("/tickets", {"desk": "no"}))
    assert listed.json()["detail"] == "desk: no desk 'it'"

    employee = make_user("emma@corp.test", is_employee=True)
    payload = new_ticket_payload(desk="it", requester={"email": "emma@corp.test"})
    response = api_for(employee).post("/tickets", payload)
    assert response.status_code == 201, response.content


def test_light_agent_opens_tickets_as_a_requester(it, agent_on, api_for):
    light = agent_on(it.desk, Role.LIGHT_AGENT, is_employee=True)
    assert api_for(light).post("/tickets", new_ticket_payload()).status_code == 403
    payload = new_ticket_payload(requester={"email": light.email})
    assert api_for(light).post("/tickets", payload).status_code == 201


@pytest.fixture(scope="class")
def shared_it(django_db_setup, django_db_blocker):
    """The IT desk set up once for a class whose tests only read it (changes roll back)."""
    with shared_data(django_db_blocker, build_it) as built:
        yield built


class TestCreateAndListValidation:
    @pytest.fixture
    def it(self, shared_it, db):
        return shared_it

    @pytest.mark.parametrize(
        ("impact", "urgency", "priority"),
        [
            ("high", "high", "urgent"),
            ("high", "medium", "high"),
            ("medium", "high", "high"),
            ("high", "low", "normal"),
            ("low", "high", "normal"),
            ("medium", "medium", "normal"),
            ("medium", "low", "low"),
            ("low", "medium", "low"),
            ("low", "low", "low"),
            (None, None, "normal"),
            ("HIGH", None, "high"),
        ],
    )
    def test_priority_follows_impact_and_urgency(self, it, api_for, impact, urgency, priority):
        payload = new_ticket_payload()
        if impact:
            payload["impact"] = impact
        if urgency:
            payload["urgency"] = urgency
        response = api_for(it.agent).post("/tickets", payload)
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["priority"] == priority
        assert body["impact"] == (impact or "medium").lower()
        assert body["urgency"] == (urgency or "medium")

    def test_explicit_priority_wins_over_impact_and_urgency(self, it, api_for):
        payload = new_ticket_payload(impact="low", urgency="low", priority="urgent")
        response = api_for(it.agent).post("/tickets", payload)
        assert response.json()["priority"] == "urgent"

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            pytest.param({"subject": None}, "subject", id="missing-subject"),
            pytest.param({"subject": "   "}, "subject", id="blank-subject"),
            pytest.param({"subject": "x" * 501}, "subject", id="long-subject"),
            pytest.param({"message": None}, "message", id="missing-message"),
            pytest.param({"desk": "nope"}, "desk", id="unknown-desk"),
            pytest.param({"priority": "asap"}, "priority", id="bad-priority"),
            pytest.param({"impact": "huge"}, "impact", id="bad-impact"),
            pytest.param({"urgency": "now"}, "urgency", id="bad-urgency"),
            pytest.param({"type": "rant"}, "type", id="bad-type"),
            pytest.param({"tier": "L9"}, "tier", id="bad-tier"),
            pytest.param({"category": "software"}, "category", id="unknown-category"),
            pytest.param({"category": 999999}, "category", id="unknown-category-id"),
            pytest.param({"team": "nobody"}, "team", id="unknown-team"),
            pytest.param({"assignee": "plain@example.com"}, "assignee", id="assignee-not-agent"),
            pytest.param({"assignee": "ghost@example.com"}, "assignee", id="unknown-assignee"),
            pytest.param(
                {"custom_fields": {"colour": "red"}}, "custom_fields.colour", id="cf-unknown"
            ),
            pytest.param({"custom_fields": {"count": "many"}}, "custom_fields.count", id="cf-int"),
            pytest.param(
                {"custom_fields": {"count": True}}, "custom_fields.count", id="cf-bool-int"
            ),
            # int() would keep 1 of 1.5, str() would store a list as "['a']".
            pytest.param({"custom_fields": {"count": 1.5}}, "custom_fields.count", id="cf-int-1.5"),
            pytest.param(
                {"custom_fields": {"asset": ["a"]}}, "custom_fields.asset", id="cf-text-list"
            ),
            pytest.param(
                {"custom_fields": {"asset": {"a": 1}}}, "custom_fields.asset", id="cf-text-object"
            ),
            pytest.param(
                {"custom_fields": {"env": "staging"}}, "custom_fields.env", id="cf-choice"
            ),
            pytest.param({"tags": ["a,b"]}, "tags", id="tag-with-comma"),
            pytest.param({"tags": ["x" * 101]}, "tags", id="tag-too-long"),
            pytest.param(
                {"requester": {"email": "not-an-address"}},
                "requester.email",
                id="bad-requester-email",
            ),
            pytest.param({"followers": ["not-an-address"]}, "followers", id="bad-follower-email"),
            pytest.param({"channel": "pigeon"}, "channel", id="bad-channel"),
        ],
    )
    def test_create_validation_errors_name_the_field(self, it, make_user, api_for, change, field):
        make_user("plain@example.com")
        payload = new_ticket_payload(requester={"email": "new.person@example.com"})
        for key, value in change.items():
            if value is None:
                del payload[key]
            else:
                payload[key] = value
        response = api_for(it.agent).post("/tickets", payload)
        assert errors_of(response) == [field]
        assert not Ticket.objects.exists()
        # A rejected request leaves nothing behind, not even the requester it named.
        assert not User.objects.filter(email="new.person@example.com").exists()

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            pytest.param({"limit": 0}, "limit", id="limit-0"),
            pytest.param({"limit": 101}, "limit", id="limit-101"),
            pytest.param({"limit": -5}, "limit", id="limit-negative"),
            pytest.param({"limit": "ten"}, "limit", id="limit-not-a-number"),
            pytest.param({"cursor": "not-a-cursor"}, "cursor", id="garbage-cursor"),
            pytest.param({"cursor": "MjAyNC0wMS0wMQ"}, "cursor", id="cursor-without-id"),
            pytest.param({"cursor": "!!!"}, "cursor", id="cursor-not-base64"),
            pytest.param({"status": "nonsense"}, "status", id="bad-status"),
            pytest.param({"status": "open,nonsense"}, "status", id="bad-status-in-list"),
            pytest.param({"priority": "asap"}, "priority", id="bad-priority"),
            pytest.param({"type": "rant"}, "type", id="bad-type"),
            pytest.param({"desk": "nope"}, "desk", id="unknown-desk"),
            pytest.param({"tag": "a,b"}, "tag", id="bad-tag"),
            pytest.param({"updated_since": "yesterday"}, "updated_since", id="bad-date"),
            pytest.param({"organization": "acme"}, "organization", id="bad-organization"),
        ],
    )
    def test_list_validation_errors_name_the_field(self, it, api_for, query, field):
        assert errors_of(api_for(it.agent).get("/tickets", query)) == [field]


# ---------------------------------------------------------------------------------------
# List: filters and pagination


def build_listing() -> dict:
    """Nine tickets on two desks, with distinct, known update times (newest first = t0)."""
    it = build_it()
    support = create_desk(name="Support", slug="support", prefix="SUP", visibility="external")
    organization = Organization.objects.create(name="Acme", domains=["acme.test"])
    admin = User.objects.create_superuser("root@example.com", "pw")
    support_agent = User.objects.create_user("sa@example.com")
    set_desk_role(support, support_agent, Role.AGENT, actor=None)
    ana = User.objects.create_user("ana@acme.test", organization=organization)
    ben = User.objects.create_user("ben@example.com")

    def ticket(desk, requester, subject, **extra):
        return open_ticket(desk=desk, subject=subject, requester=requester, body_text="x", **extra)

    t = {}
    t["t0"] = ticket(it.desk, ana, "laptop broken", category=it.laptop, tags=["hw"])
    t["t1"] = ticket(it.desk, ben, "network slow", category=it.network, priority="high")
    t["t2"] = ticket(it.desk, ana, "new laptop", category=it.hardware, assignee=it.agent)
    t["t3"] = ticket(it.desk, ben, "vpn", team=it.team, assignee=it.other_agent)
    t["t4"] = ticket(it.desk, ben, "printer", team=it.other_team, tags=["hw", "printer"])
    t["t5"] = ticket(support, ana, "invoice", priority="urgent")
    t["t6"] = ticket(support, ben, "refund", assignee=support_agent)
    t["t7"] = ticket(it.desk, ana, "password", priority="low")
    t["t8"] = ticket(it.desk, ben, "monitor", category=it.laptop)
    update_ticket(t["t3"], actor=admin, changes={"status": "pending"})
    update_ticket(t["t7"], actor=admin, changes={"status": "solved"})
    base = timezone.now() - datetime.timedelta(days=1)
    for index, key in enumerate(sorted(t)):
        Ticket.objects.filter(pk=t[key].pk).update(
            updated_at=base - datetime.timedelta(hours=index)
        )
    return {
        "it": it,
        "organization": organization,
        "tickets": t,
        "admin": admin,
        "agent": it.agent,
        "ana": ana,
        "ben": ben,
        "base": base,
    }


def _subjects(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["subject"] for item in response.json()["items"]]


def _walk(api, query: dict, limit: int = 2) -> tuple[list[int], int]:
    ids: list[int] = []
    cursor = None
    pages = 0
    while True:
        params = {**query, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        response = api.get("/tickets", params)
        assert response.status_code == 200, response.content
        body = response.json()
        pages += 1
        assert len(body["items"]) <= limit
        ids += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return ids, pages
        assert len(body["items"]) == limit
        assert pages < 50


@pytest.fixture(scope="class")
def listing(django_db_setup, django_db_blocker):
    """Built once for the class that uses it, rolled back when the class is done."""
    with shared_data(django_db_blocker, build_listing) as built:
        yield built


class TestListing:
    """Read-mostly tests sharing one set of tickets."""

    @pytest.mark.parametrize("who", ["admin", "agent", "ana"])
    def test_list_items_are_exactly_the_validated_single_ticket(self, listing, api_for, who):
        # The list is sent without ninja's response validation (api/trusted.py); the
        # single-ticket route still validates against TicketOut, so the two must agree
        # key for key, for every viewer (hidden fields, organizations, relations).
        api = api_for(listing[who])
        items = api.get("/tickets", {"limit": 100}).json()["items"]
        assert items
        for item in items:
            single = api.get(f"/tickets/{item['id']}")
            assert single.status_code == 200
            assert item == single.json()

    def test_created_ticket_is_exactly_the_validated_single_ticket(self, listing, api_for):
        api = api_for(listing["admin"])
        created = api.post(
            "/tickets",
            {
                "desk": "it",
                "subject": "Dock not charging",
                "requester": {"email": "ana@acme.test"},
                "message": {"body_text": "The USB-C dock stopped charging my laptop."},
                "tags": ["hw"],
                "priority": "high",
            },
        )
        assert created.status_code == 201, created.content
        assert created.json() == api.get(f"/tickets/{created.json()['id']}").json()

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            pytest.param({}, ["t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8"], id="all"),
            pytest.param({"desk": "support"}, ["t5", "t6"], id="desk-slug"),
            pytest.param({"status": "new"}, ["t0", "t1", "t4", "t5", "t8"], id="status"),
            pytest.param({"status": "pending,solved"}, ["t3", "t7"], id="status-list"),
            pytest.param({"status": "open, PENDING"}, ["t2", "t3", "t6"], id="status-list-spaces"),
            pytest.param({"assignee": "me"}, ["t2"], id="assignee-me"),
            pytest.param(
                {"assignee": "none", "desk": "it"}, ["t0", "t1", "t4", "t7", "t8"], id="none"
            ),
            pytest.param({"assignee": "other@corp.test"}, ["t3"], id="assignee-email"),
            pytest.param({"assignee": "OTHER@corp.test"}, ["t3"], id="assignee-email-case"),
            pytest.param({"assignee": "ghost@corp.test"}, [], id="assignee-unknown"),
            pytest.param({"team": "service-desk"}, ["t3"], id="team"),
            pytest.param(
                {"team": "none", "desk": "it"}, ["t0", "t1", "t2", "t7", "t8"], id="no-team"
            ),
            pytest.param({"requester": "ana@acme.test"}, ["t0", "t2", "t5", "t7"], id="requester"),
            pytest.param({"priority": "high,urgent"}, ["t1", "t5"], id="priority"),
            pytest.param({"priority": "low"}, ["t7"], id="priority-one"),
            pytest.param({"tag": "hw"}, ["t0", "t4"], id="tag"),
            pytest.param({"tag": "PRINTER"}, ["t4"], id="tag-case"),
            pytest.param({"category": "hardware"}, ["t0", "t2", "t8"], id="category-and-children"),
            pytest.param({"category": "hardware/laptop"}, ["t0", "t8"], id="subcategory"),
            pytest.param({"category": "network", "desk": "it"}, ["t1"], id="category-on-desk"),
            pytest.param({"category": "software"}, [], id="unknown-category"),
            pytest.param({"desk": "it", "status": "new", "tag": "hw"}, ["t0", "t4"], id="combined"),
        ],
    )
    def test_list_filters(self, listing, api_for, query, expected):
        response = api_for(listing["admin"] if "assignee" not in query else listing["agent"]).get(
            "/tickets", {**query, "limit": 100}
        )
        if query.get("assignee") == "me":
            # "me" is the caller: the IT agent, who sees only the IT desk.
            expected = [k for k in expected if listing["tickets"][k].desk.slug == "it"]
        wanted = [listing["tickets"][key].subject for key in expected]
        assert _subjects(response) == wanted

    def test_list_filter_by_requester_me_and_organization(self, listing, api_for):
        organization = listing["organization"]
        ana = api_for(listing["ana"])
        assert _subjects(ana.get("/tickets", {"requester": "me"})) == [
            "laptop broken",
            "new laptop",
            "invoice",
            "password",
        ]
        admin = api_for(listing["admin"])
        response = admin.get("/tickets", {"organization": organization.pk})
        assert len(_subjects(response)) == 4

    def test_list_filter_category_by_id_includes_subcategories(self, listing, api_for):
        it = listing["it"]
        response = api_for(listing["admin"]).get("/tickets", {"category": it.hardware.pk})
        assert _subjects(response) == ["laptop broken", "new laptop", "monitor"]

    def test_list_filter_updated_since(self, listing, api_for):
        since = listing["base"] - datetime.timedelta(hours=2, minutes=30)
        response = api_for(listing["admin"]).get("/tickets", {"updated_since": since.isoformat()})
        assert _subjects(response) == ["laptop broken", "network slow", "new laptop"]
        exact = listing["base"] - datetime.timedelta(hours=1)
        response = api_for(listing["admin"]).get("/tickets", {"updated_since": exact.isoformat()})
        assert _subjects(response) == ["laptop broken", "network slow"]

    def test_cursor_pagination_walks_every_ticket_once_in_order(self, listing, api_for):
        tickets = listing["tickets"]
        # Ties on updated_at are broken by id, descending.
        tie = listing["base"] - datetime.timedelta(minutes=30)
        Ticket.objects.filter(pk__in=[tickets[k].pk for k in ("t2", "t4", "t6", "t8")]).update(
            updated_at=tie
        )
        expected = list(Ticket.objects.order_by("-updated_at", "-id").values_list("id", flat=True))
        assert len(expected) == 9
        ids, pages = _walk(api_for(listing["admin"]), {})
        assert ids == expected
        assert len(set(ids)) == len(ids)
        assert pages == math.ceil(9 / 2)

    def test_cursor_pagination_with_filters_and_exact_page_size(self, listing, api_for):
        api = api_for(listing["admin"])
        ids, pages = _walk(api, {"desk": "it"})
        expected = list(
            Ticket.objects.filter(desk__slug="it")
            .order_by("-updated_at", "-id")
            .values_list("id", flat=True)
        )
        assert ids == expected and len(ids) == 7
        assert pages == 4
        # A last page that is exactly full says so with next_cursor null, not an empty page.
        ids, pages = _walk(api, {"desk": "support"})
        assert len(ids) == 2
        assert pages == 1

    def test_cursor_pagination_does_not_repeat_a_ticket_updated_between_pages(
        self, listing, api_for
    ):
        api = api_for(listing["admin"])
        first = api.get("/tickets", {"limit": 3}).json()
        assert [item["subject"] for item in first["items"]] == [
            "laptop broken",
            "network slow",
            "new laptop",
        ]
        # A ticket of the first page changes: it moves to the top, behind the cursor.
        update_ticket(listing["tickets"]["t1"], actor=listing["admin"], changes={"priority": "low"})
        response = api.get("/tickets", {"limit": 100, "cursor": first["next_cursor"]})
        assert _subjects(response) == ["vpn", "printer", "invoice", "refund", "password", "monitor"]
        assert response.json()["next_cursor"] is None

    def test_list_items_have_the_ticket_shape(self, listing, api_for):
        item = api_for(listing["admin"]).get("/tickets", {"limit": 1}).json()["items"][0]
        assert set(item) == {
            "id",
            "number",
            "desk",
            "subject",
            "status",
            "custom_status",
            "priority",
            "impact",
            "urgency",
            "type",
            "tier",
            "channel",
            "category",
            "tags",
            "custom_fields",
            "requester",
            "organization",
            "team",
            "assignee",
            "merged_into",
            "created_at",
            "updated_at",
            "first_response_at",
            "solved_at",
            "closed_at",
            "sla",
            "url",
        }
        assert item["subject"] == "laptop broken"
        assert item["tags"] == ["hw"]
        assert item["category"]["path"] == "hardware/laptop"
        assert item["organization"]["name"] == "Acme"


def test_list_query_count_does_not_grow_with_tickets(
    it, organization, make_user, make_ticket, api_for, django_assert_max_num_queries
):
    """Every relation of every item is fetched in a fixed, small number of queries."""
    organization.shared_tickets = True
    organization.save()
    requester = make_user(organization=organization)
    colleague = make_user(organization=organization)
    admin = User.objects.create_superuser("root@example.com", "pw")
    viewers = {"admin": admin, "agent": it.agent, "org requester": colleague}
    apis = {name: api_for(user) for name, user in viewers.items()}

    def add_tickets(count: int) -> None:
        for index in range(count):
            ticket = make_ticket(
                it.desk,
                requester,
                f"ticket {index}",
                category=it.laptop,
                team=it.team,
                assignee=it.agent,
                tags=["a", f"t{index}"],
                custom_fields={"asset": f"A-{index}"},
            )
            add_message(ticket, actor=it.agent, body_text="answer")
            if index % 4 == 1:
                update_ticket(ticket, actor=admin, changes={"status": "solved"})

    def count_queries(expected_items: int) -> dict[str, int]:
        counts = {}
        for name, api in apis.items():
            with CaptureQueriesContext(connection) as queries:
                response = api.get("/tickets", {"limit": 100})
            assert response.status_code == 200
            assert len(response.json()["items"]) == expected_items, name
            counts[name] = len(queries)
        return counts

    add_tickets(5)
    merge_tickets(
        Ticket.objects.get(subject="ticket 2"), Ticket.objects.get(subject="ticket 0"), actor=admin
    )
    for api in apis.values():
        api.get("/tickets")  # a token's first use is recorded once, then not for minutes
    with_5 = count_queries(5)
    add_tickets(20)
    with_25 = count_queries(25)
    assert with_25 == with_5
    # Token, desk roles, (organization), the page, one query per related model on it
    # (desk, team, category, organization, merged_into, users; no joins, which cost
    # PostgreSQL more planning than these lookups cost), the tags, the SLA timers,
    # (the custom fields hidden from requesters), (which merge targets the viewer sees,
    # when the page has merged tickets).
    for api in apis.values():
        with django_assert_max_num_queries(14):
            api.get("/tickets", {"limit": 100})


# ---------------------------------------------------------------------------------------
# Change


def _field_events(ticket) -> list[TicketEvent]:
    return list(TicketEvent.objects.filter(ticket=ticket, kind="field_changed").order_by("id"))


def build_change_world() -> dict:
    it = build_it()
    requester = User.objects.create_user("req@example.com")
    ticket = open_ticket(
        desk=it.desk, subject="Laptop will not boot", requester=requester, body_text="x"
    )
    update_ticket(ticket, actor=it.agent, changes={"status": "open"})
    return {"it": it, "ticket_id": ticket.pk}


@pytest.fixture(scope="class")
def change_world(django_db_setup, django_db_blocker):
    with shared_data(django_db_blocker, build_change_world) as built:
        yield built


class TestChanges:
    """PATCH and its events, on an open IT ticket built once for the class."""

    @pytest.fixture
    def it(self, change_world, db):
        return change_world["it"]

    @pytest.fixture
    def open_ticket_it(self, change_world, db):
        return Ticket.objects.get(pk=change_world["ticket_id"])

    @pytest.mark.parametrize(
        ("change", "field", "before", "after"),
        [
            pytest.param(
                {"subject": "Laptop dead"},
                "subject",
                "Laptop will not boot",
                "Laptop dead",
                id="subject",
            ),
            pytest.param({"status": "pending"}, "status", "open", "pending", id="status"),
            pytest.param({"priority": "urgent"}, "priority", "normal", "urgent", id="priority"),
            pytest.param({"type": "incident"}, "type", "question", "incident", id="type"),
            pytest.param({"tier": "L3"}, "tier", 1, 3, id="tier"),
            pytest.param({"tags": ["b", "a"]}, "tags", [], ["a", "b"], id="tags"),
            pytest.param({"add_tags": ["New Tag"]}, "tags", [], ["new-tag"], id="add-tags"),
            pytest.param(
                {"custom_fields": {"asset": "LT-1"}},
                "custom_fields",
                {},
                {"asset": "LT-1"},
                id="cf",
            ),
            pytest.param(
                {"category": "hardware/laptop"}, "category", None, "LAPTOP", id="category"
            ),
            pytest.param({"team": "service-desk"}, "team", None, "TEAM", id="team"),
            pytest.param(
                {"assignee": "other@corp.test"}, "assignee", None, "ASSIGNEE", id="assignee"
            ),
        ],
    )
    def test_patch_writes_one_event_per_changed_field(
        self, it, open_ticket_it, api_for, change, field, before, after
    ):
        ticket = open_ticket_it
        after = (
            {
                "LAPTOP": {"id": it.laptop.pk, "path": "hardware/laptop"},
                "TEAM": {"id": it.team.pk, "slug": "service-desk"},
                "ASSIGNEE": {"id": it.other_agent.pk, "email": "other@corp.test"},
            }.get(after, after)
            if isinstance(after, str)
            else after
        )
        events_before = len(_field_events(ticket))
        response = api_for(it.agent).patch(f"/tickets/{ticket.pk}", change)
        assert response.status_code == 200, response.content
        events = _field_events(ticket)[events_before:]
        assert [(e.field, e.before, e.after) for e in events] == [(field, before, after)]
        assert events[0].actor == it.agent
        ticket_after = Ticket.objects.get(pk=ticket.pk)
        assert ticket_after.updated_at > ticket.updated_at

        # The same change again changes nothing and writes nothing.
        response = api_for(it.agent).patch(f"/tickets/{ticket.pk}", change)
        assert response.status_code == 200, response.content
        assert len(_field_events(ticket)) == events_before + 1
        assert Ticket.objects.get(pk=ticket.pk).updated_at == ticket_after.updated_at

    def test_patch_several_fields_at_once_and_derived_priority(self, it, open_ticket_it, api_for):
        ticket = open_ticket_it
        api = api_for(it.agent)
        # impact high × urgency low is still "normal": no priority event.
        response = api.patch(f"/tickets/{ticket.pk}", {"impact": "high", "urgency": "low"})
        assert response.status_code == 200
        events = _field_events(ticket)[1:]
        assert [(e.field, e.before, e.after) for e in events] == [
            ("impact", "medium", "high"),
            ("urgency", "medium", "low"),
        ]
        # urgency high makes it urgent: one event for urgency, one for the derived priority.
        response = api.patch(f"/tickets/{ticket.pk}", {"urgency": "high"})
        assert response.json()["priority"] == "urgent"
        events = _field_events(ticket)[3:]
        assert [(e.field, e.before, e.after) for e in events] == [
            ("urgency", "low", "high"),
            ("priority", "normal", "urgent"),
        ]

    def test_patch_with_nothing_to_change_writes_no_event(self, it, open_ticket_it, api_for):
        ticket = open_ticket_it
        count = TicketEvent.objects.filter(ticket=ticket).count()
        response = api_for(it.agent).patch(
            f"/tickets/{ticket.pk}",
            {
                "subject": "  Laptop   will not boot ",
                "status": "OPEN",
                "priority": "normal",
                "impact": "medium",
                "tier": 1,
                "tags": [],
                "remove_tags": ["never-there"],
                "custom_fields": {},
                "category": None,
                "assignee": None,
            },
        )
        assert response.status_code == 200, response.content
        assert TicketEvent.objects.filter(ticket=ticket).count() == count
        assert Ticket.objects.get(pk=ticket.pk).updated_at == ticket.updated_at

    def test_assigning_a_new_ticket_opens_it(self, it, make_user, make_ticket, api_for):
        ticket = make_ticket(it.desk, make_user(), "New one")
        response = api_for(it.agent).patch(f"/tickets/{ticket.pk}", {"assignee": "me@nowhere"})
        assert errors_of(response) == ["assignee"]
        response = api_for(it.agent).patch(f"/tickets/{ticket.pk}", {"assignee": it.agent.pk})
        assert response.status_code == 200
        assert response.json()["status"] == "open"
        assert [(e.field, e.before, e.after) for e in _field_events(ticket)] == [
            ("assignee", None, {"id": it.agent.pk, "email": "agent@corp.test"}),
            ("status", "new", "open"),
        ]

    def test_removing_values_is_logged_too(self, it, open_ticket_it, api_for):
        ticket = open_ticket_it
        api = api_for(it.agent)
        api.patch(
            f"/tickets/{ticket.pk}",
            {
                "category": "network",
                "tags": ["x", "y"],
                "custom_fields": {"asset": "A", "count": 2},
            },
        )
        start = len(_field_events(ticket))
        response = api.patch(
            f"/tickets/{ticket.pk}",
            {"category": None, "remove_tags": ["x"], "custom_fields": {"asset": None}},
        )
        assert response.status_code == 200
        body = response.json()
        assert body["category"] is None
        assert body["tags"] == ["y"]
        assert body["custom_fields"] == {"count": 2}
        assert [(e.field, e.before, e.after) for e in _field_events(ticket)[start:]] == [
            ("category", {"id": it.network.pk, "path": "network"}, None),
            ("tags", ["x", "y"], ["y"]),
            ("custom_fields", {"asset": "A", "count": 2}, {"count": 2}),
        ]

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            pytest.param({"subject": ""}, "subject", id="empty-subject"),
            pytest.param({"status": "limbo"}, "status", id="bad-status"),
            pytest.param({"priority": "asap"}, "priority", id="bad-priority"),
            pytest.param({"impact": None}, "impact", id="null-impact"),
            pytest.param({"tier": 7}, "tier", id="bad-tier"),
            pytest.param({"category": "nope"}, "category", id="bad-category"),
            pytest.param({"team": "nope"}, "team", id="bad-team"),
            pytest.param({"assignee": "req@example.com"}, "assignee", id="requester-as-assignee"),
            pytest.param({"tags": ["a,b"]}, "tags", id="bad-tag"),
            pytest.param({"custom_fields": {"count": "x"}}, "custom_fields.count", id="cf-type"),
            pytest.param({"custom_fields": {"nope": 1}}, "custom_fields.nope", id="cf-unknown"),
        ],
    )
    def test_patch_validation_errors_change_nothing(
        self, it, open_ticket_it, api_for, change, field
    ):
        ticket = open_ticket_it
        count = TicketEvent.objects.filter(ticket=ticket).count()
        # A valid change alongside the bad one is not applied either.
        response = api_for(it.agent).patch(f"/tickets/{ticket.pk}", {**change, "type": "incident"})
        assert errors_of(response) == [field]
        assert TicketEvent.objects.filter(ticket=ticket).count() == count
        assert Ticket.objects.get(pk=ticket.pk).ticket_type == "question"

    def test_status_timestamps(self, it, open_ticket_it, api_for):
        ticket = open_ticket_it
        api = api_for(it.agent)
        body = api.patch(f"/tickets/{ticket.pk}", {"status": "solved"}).json()
        assert body["status"] == "solved"
        assert body["solved_at"] is not None
        assert body["closed_at"] is None
        body = api.patch(f"/tickets/{ticket.pk}", {"status": "open"}).json()
        assert body["solved_at"] is None
        body = api.patch(f"/tickets/{ticket.pk}", {"status": "closed"}).json()
        assert body["status"] == "closed"
        assert body["closed_at"] is not None
        assert body["solved_at"] is not None

    def test_closed_ticket_cannot_change_or_get_messages(self, it, open_ticket_it, api_for):
        ticket = open_ticket_it
        api = api_for(it.agent)
        assert api.patch(f"/tickets/{ticket.pk}", {"status": "closed"}).status_code == 200
        count = TicketEvent.objects.filter(ticket=ticket).count()
        for change in ({"status": "open"}, {"subject": "Again"}, {"tags": ["x"]}):
            response = api.patch(f"/tickets/{ticket.pk}", change)
            assert response.status_code == 409, response.content
        for internal in (False, True):
            response = api.post(
                f"/tickets/{ticket.pk}/messages", {"body_text": "hello?", "internal": internal}
            )
            assert response.status_code == 409, response.content
        requester = api_for(ticket.requester)
        response = requester.post(f"/tickets/{ticket.pk}/messages", {"body_text": "hello?"})
        assert response.status_code == 409
        assert TicketEvent.objects.filter(ticket=ticket).count() == count
        assert Message.objects.filter(ticket=ticket).count() == 1

    def test_ticket_lookup_by_number(self, it, open_ticket_it, api_for):
        api = api_for(it.agent)
        for key in ("IT-1", "it-1", " IT-1", str(open_ticket_it.pk)):
            response = api.get(f"/tickets/{key}")
            assert response.status_code == 200, key
            assert response.json()["id"] == open_ticket_it.pk
        assert api.patch("/tickets/IT-1", {"priority": "high"}).json()["priority"] == "high"
        assert api.get("/tickets/IT-1/messages").status_code == 200
        assert api.get("/tickets/IT-2").status_code == 404
        assert api.get("/tickets/SUP-1").status_code == 404


# ---------------------------------------------------------------------------------------
# Lookup by number, merge, links, followers, events


def test_merge_moves_conversation_and_closes_source(it, make_user, make_ticket, api_for):
    alice, bob = make_user("alice@example.com"), make_user("bob@example.com")
    source = make_ticket(it.desk, alice, "Printer jammed", body_text="jammed")
    target = make_ticket(it.desk, bob, "Printer broken", body_text="broken")
    add_message(source, actor=it.agent, body_text="note on source", internal=True)
    api = api_for(it.agent)
    response = api.post(f"/tickets/{source.number}/merge", {"target": target.number})
    assert response.status_code == 200, response.content
    assert response.json()["number"] == target.number

    source.refresh_from_db()
    assert source.status == "closed"
    assert source.merged_into == target
    assert source.closed_at is not None
    assert api.get(f"/tickets/{source.pk}").json()["merged_into"] == target.number
    assert not Message.objects.filter(ticket=source).exists()
    assert Message.objects.filter(ticket=target).count() == 3

    # The source's requester follows the conversation on the target, without the note.
    alice_api = api_for(alice)
    assert alice_api.get(f"/tickets/{target.pk}").status_code == 200
    texts = [
        m["body_text"] for m in alice_api.get(f"/tickets/{target.pk}/messages").json()["items"]
    ]
    assert sorted(texts) == ["broken", "jammed"]
    assert TicketFollower.objects.filter(ticket=target, user=alice).exists()
    kinds = [e["kind"] for e in api.get(f"/tickets/{target.pk}/events").json()]
    assert "merged_from" in kinds
    kinds = [e["kind"] for e in api.get(f"/tickets/{source.pk}/events").json()]
    assert kinds[-1] == "merged_into"

    # A merged (closed) ticket cannot be merged again, nor into itself.
    again = api.post(f"/tickets/{source.pk}/merge", {"target": target.pk})
    assert again.status_code == 409
    assert errors_of(api.post(f"/tickets/{target.pk}/merge", {"target": target.pk})) == ["target"]


def test_links(it, make_user, make_ticket, api_for):
    requester = make_user()
    a = make_ticket(it.desk, requester, "Outage")
    b = make_ticket(it.desk, requester, "Cannot log in")
    api = api_for(it.agent)
    response = api.post(f"/tickets/{b.pk}/links", {"target": a.number, "kind": "duplicate"})
    assert response.status_code == 201, response.content
    assert response.json()["source"] == b.number
    assert response.json()["target"] == a.number
    assert response.json()["kind"] == "duplicate"
    # Linking twice keeps one link and one pair of events.
    assert (
        api.post(f"/tickets/{b.pk}/links", {"target": a.pk, "kind": "duplicate"}).status_code == 201
    )
    assert TicketLink.objects.count() == 1
    assert TicketEvent.objects.filter(kind="linked").count() == 2

    for ticket in (a, b):
        links = api.get(f"/tickets/{ticket.pk}/links").json()
        assert [(link["source"], link["target"], link["kind"]) for link in links] == [
            (b.number, a.number, "duplicate")
        ]
    # The requester sees the links too.
    assert len(api_for(requester).get(f"/tickets/{a.pk}/links").json()) == 1

    assert errors_of(api.post(f"/tickets/{b.pk}/links", {"target": a.pk, "kind": "twin"})) == [
        "kind"
    ]
    assert errors_of(api.post(f"/tickets/{b.pk}/links", {"target": b.pk, "kind": "related"})) == [
        "target"
    ]
    assert errors_of(api.post(f"/tickets/{b.pk}/links", {"target": 99999, "kind": "related"})) == [
        "target"
    ]

    response = api.delete(f"/tickets/{b.pk}/links/duplicate/{a.number}")
    assert response.status_code == 204
    assert not TicketLink.objects.exists()
    assert TicketEvent.objects.filter(kind="unlinked").count() == 2


def test_followers(it, make_user, make_ticket, api_for):
    ticket = make_ticket(it.desk, make_user(), "Shared problem")
    api = api_for(it.agent)
    response = api.post(f"/tickets/{ticket.pk}/followers", {"email": " Carol@Example.com "})
    assert response.status_code == 204, response.content
    carol = User.objects.get(email="carol@example.com")
    assert TicketFollower.objects.filter(ticket=ticket, user=carol).exists()
    # Following twice is harmless.
    assert (
        api.post(f"/tickets/{ticket.pk}/followers", {"email": "carol@example.com"}).status_code
        == 204
    )
    assert TicketEvent.objects.filter(ticket=ticket, kind="follower_added").count() == 1

    carol_api = api_for(carol)
    assert carol_api.get(f"/tickets/{ticket.pk}").status_code == 200
    assert (
        carol_api.post(f"/tickets/{ticket.pk}/messages", {"body_text": "me too"}).status_code == 201
    )
    assert [t["id"] for t in carol_api.get("/tickets").json()["items"]] == [ticket.pk]

    response = api.delete(f"/tickets/{ticket.pk}/followers/CAROL@example.com")
    assert response.status_code == 204
    assert carol_api.get(f"/tickets/{ticket.pk}").status_code == 404
    assert carol_api.get("/tickets").json()["items"] == []
    assert TicketEvent.objects.filter(ticket=ticket, kind="follower_removed").count() == 1
    # Removing someone who does not follow is a no-op.
    assert api.delete(f"/tickets/{ticket.pk}/followers/nobody@example.com").status_code == 204
    assert errors_of(api.post(f"/tickets/{ticket.pk}/followers", {"email": "nope"})) == ["email"]


def test_events_endpoint_tells_the_story(it, make_user, api_for):
    api = api_for(it.agent)
    created = api.post("/tickets", new_ticket_payload()).json()
    api.patch(f"/tickets/{created['id']}", {"priority": "high", "assignee": "agent@corp.test"})
    api.post(f"/tickets/{created['id']}/messages", {"body_text": "On it."})
    events = api.get(f"/tickets/{created['number']}/events").json()
    assert [(e["kind"], e["field"]) for e in events] == [
        ("created", ""),
        ("field_changed", "priority"),
        ("field_changed", "assignee"),
        ("field_changed", "status"),
        ("reply_added", ""),
    ]
    assert events[0]["after"] == {"number": "IT-1", "channel": "api", "status": "new"}
    assert events[1]["before"] == "normal" and events[1]["after"] == "high"
    assert events[1]["actor"] == {
        "id": it.agent.pk,
        "name": "Agent Smith",
        "email": "agent@corp.test",
    }
    assert events[4]["message_id"] == Message.objects.filter(author=it.agent).get().pk
    times = [e["created_at"] for e in events]
    assert times == sorted(times)
    assert set(events[0]) == {
        "id",
        "kind",
        "field",
        "before",
        "after",
        "actor",
        "message_id",
        "created_at",
    }


# ---------------------------------------------------------------------------------------
# Encoding


def test_json_is_utf8_with_arabic_and_chinese_unescaped(it, api_for):
    arabic = "الطابعة لا تعمل"
    chinese = "打印机坏了"
    api = api_for(it.agent)
    response = api.post(
        "/tickets",
        new_ticket_payload(
            subject=arabic,
            requester={"email": "li@example.com", "name": "李雷"},
            message={"body_text": chinese},
            tags=["طابعة"],
        ),
    )
    assert response.status_code == 201, response.content
    for raw in (response.content, api.get(f"/tickets/{response.json()['id']}").content):
        assert arabic.encode() in raw
        assert "李雷".encode() in raw
        assert b"\\u" not in raw
    response = api.get(f"/tickets/{response.json()['id']}/messages")
    assert response["Content-Type"].split(";")[0].strip() == "application/json"
    assert "charset=utf-8" in response["Content-Type"].lower()
    assert chinese.encode() in response.content
    assert b"\\u" not in response.content
    assert response.json()["items"][0]["subject"] == arabic
    listed = api.get("/tickets")
    assert listed["Content-Type"].startswith("application/json")
    assert arabic.encode() in listed.content
    assert "طابعة".encode() in listed.content


# ---------------------------------------------------------------------------------------
# Custom fields hidden from requesters


def test_hidden_custom_fields_stay_with_the_desk(it, make_user, api_for):
    CustomField.objects.filter(desk=it.desk, key="asset").update(visible_to_requester=False)
    employee = make_user("emp@corp.test", is_employee=True)
    own = api_for(employee)
    # A requester may neither set a hidden field nor see it.
    refused = own.post(
        "/tickets", new_ticket_payload(custom_fields={"asset": "LT-1"}, requester=None)
    )
    assert refused.status_code == 403
    assert "custom_fields.asset" in refused.json()["detail"]
    # Empty agent-only keys set nothing, so they are accepted.
    created = own.post(
        "/tickets", new_ticket_payload(custom_fields={"count": 2}, tags=[], requester=None)
    )
    assert created.status_code == 201, created.content
    number = created.json()["number"]
    agent = api_for(it.agent)
    changed = agent.patch(f"/tickets/{number}", {"custom_fields": {"asset": "LT-9"}})
    assert changed.json()["custom_fields"] == {"asset": "LT-9", "count": 2}
    agent.patch(f"/tickets/{number}", {"custom_fields": {"count": 3}})

    assert own.get(f"/tickets/{number}").json()["custom_fields"] == {"count": 3}
    listed = own.get("/tickets").json()["items"]
    assert [t["custom_fields"] for t in listed] == [{"count": 3}]
    events = [e for e in own.get(f"/tickets/{number}/events").json() if e["field"]]
    assert [(e["before"], e["after"]) for e in events] == [({"count": 2}, {"count": 3})]
    assert "LT-9" not in own.get(f"/tickets/{number}/events").content.decode()
    # The desk's agents see everything.
    assert len([e for e in agent.get(f"/tickets/{number}/events").json() if e["field"]]) == 2


def test_requesters_history_leaves_out_the_desks_reasons(
    support_desk, agent_on, make_user, make_ticket, api_for
):
    """Why the desk escalated a request is written by an agent for agents, like a note:
    its requester follows the messages and the changes, never the reasons."""
    create_team(support_desk, name="Front line", slug="front", tier=1)
    create_team(support_desk, name="Experts", slug="experts", tier=2)
    agent = agent_on(support_desk, Role.AGENT)
    carol = make_user("carol@example.test")
    ticket = make_ticket(support_desk, carol, "Refund please")
    staff = api_for(agent)
    reason = "Carol threatens chargebacks; experts decide"
    response = staff.post(f"/tickets/{ticket.pk}/escalate", {"reason": reason})
    assert response.status_code == 200, response.content
    assert staff.post(f"/tickets/{ticket.pk}/messages", {"body_text": "On it."}).status_code == 201

    assert reason in staff.get(f"/tickets/{ticket.pk}/events").content.decode()
    own = api_for(carol).get(f"/tickets/{ticket.pk}/events")
    assert own.status_code == 200, own.content
    assert reason not in own.content.decode()
    kinds = [e["kind"] for e in own.json()]
    assert "escalated" not in kinds
    assert {"created", "reply_added"} <= set(kinds)
    # What the ticket itself shows the requester stays in its history.
    assert ("status", "new", "open") in [(e["field"], e["before"], e["after"]) for e in own.json()]


def test_requesters_do_not_read_hidden_custom_field_definitions(
    support_desk, agent_on, make_user, api_for
):
    """A field kept from requesters keeps its name and choices from them too."""
    CustomField.objects.create(desk=support_desk, key="order", label="Order number")
    CustomField.objects.create(
        desk=support_desk,
        key="risk",
        label="Fraud risk",
        field_type="choice",
        choices=["watch", "block"],
        visible_to_requester=False,
    )
    path = "/desks/support/custom-fields"
    listed = api_for(make_user("carol@example.test")).get(path)
    assert listed.status_code == 200, listed.content
    assert [f["key"] for f in listed.json()] == ["order"]
    assert "Fraud" not in listed.content.decode()
    staff = api_for(agent_on(support_desk, Role.LIGHT_AGENT)).get(path).json()
    assert sorted(f["key"] for f in staff) == ["order", "risk"]
