"""The access rules of tickets, checked cell by cell through the API.

The world: desk A ("support", external) and desk B ("it", internal), and four tickets

    A/alice  desk A, requested by alice; alice's organization shares tickets; fay follows it
    A/pat    desk A, requested by pat; pat's organization does not share tickets
    B/eve    desk B, requested by eve (an employee)
    B/agent  desk B, requested by the agent of desk A (an agent asking IT for help)

so "own desk / other desk / own request / someone else's request" is, for each persona:

    admin             superuser
    supervisor        supervisor of A
    agent             agent of A, and requester of B/agent
    light_agent       light agent of A
    other_desk_agent  agent of B
    requester_own     alice
    requester_other   bob, a requester with no relation to any of the tickets
    org_shared        sam, alice's colleague (organization shares tickets)
    org_unshared      uma, pat's colleague (organization does not share tickets)
    follower          fay
    anonymous         no token

Each ticket has a public reply and an internal note, each with an attachment.

The world is built once for the module (see `shared_data`); each cell runs in its own
savepoint, so a PATCH or a reply in one cell is gone before the next.
"""

import io
from dataclasses import dataclass

import pytest
from django.utils import timezone

from deskline.accounts.models import ApiToken, Organization, User
from deskline.accounts.services import create_api_token, revoke_api_token
from deskline.api.tests.conftest import shared_data
from deskline.conftest import ApiClient
from deskline.desks.models import Role
from deskline.desks.services import create_desk, set_desk_role
from deskline.tickets.attachments import store_attachment
from deskline.tickets.models import Message, Ticket, TicketEvent, TicketFollower
from deskline.tickets.services import add_message, open_ticket

TICKETS = ("A/alice", "A/pat", "B/eve", "B/agent")
PERSONAS = (
    "admin",
    "supervisor",
    "agent",
    "light_agent",
    "other_desk_agent",
    "requester_own",
    "requester_other",
    "org_shared",
    "org_unshared",
    "follower",
    "anonymous",
)

# fmt: off
# One row a persona, one column a ticket:  A/alice  A/pat  B/eve  B/agent
MATRIX: dict[str, dict[str, tuple]] = {
    # GET /tickets/{id}
    "get": {
        "admin":            (200, 200, 200, 200),
        "supervisor":       (200, 200, 404, 404),
        "agent":            (200, 200, 404, 200),
        "light_agent":      (200, 200, 404, 404),
        "other_desk_agent": (404, 404, 200, 200),
        "requester_own":    (200, 404, 404, 404),
        "requester_other":  (404, 404, 404, 404),
        "org_shared":       (200, 404, 404, 404),
        "org_unshared":     (404, 404, 404, 404),
        "follower":         (200, 404, 404, 404),
        "anonymous":        (401, 401, 401, 401),
    },
    # GET /tickets/{id}/messages: "all" = with internal notes, "public" = without them
    "messages": {
        "admin":            ("all", "all", "all", "all"),
        "supervisor":       ("all", "all", 404, 404),
        "agent":            ("all", "all", 404, "public"),
        "light_agent":      ("all", "all", 404, 404),
        "other_desk_agent": (404, 404, "all", "all"),
        "requester_own":    ("public", 404, 404, 404),
        "requester_other":  (404, 404, 404, 404),
        "org_shared":       ("public", 404, 404, 404),
        "org_unshared":     (404, 404, 404, 404),
        "follower":         ("public", 404, 404, 404),
        "anonymous":        (401, 401, 401, 401),
    },
    # PATCH /tickets/{id} {"priority": "urgent"}: an agent's change
    "patch": {
        "admin":            (200, 200, 200, 200),
        "supervisor":       (200, 200, 404, 404),
        "agent":            (200, 200, 404, 403),
        "light_agent":      (403, 403, 404, 404),
        "other_desk_agent": (404, 404, 200, 200),
        "requester_own":    (403, 404, 404, 404),
        "requester_other":  (404, 404, 404, 404),
        "org_shared":       (403, 404, 404, 404),
        "org_unshared":     (404, 404, 404, 404),
        "follower":         (403, 404, 404, 404),
        "anonymous":        (401, 401, 401, 401),
    },
    # PATCH /tickets/{id} {"status": "solved"}: the one change a requester may make, on
    # their own request; colleagues and followers read and reply but do not close it
    "solve": {
        "admin":            (200, 200, 200, 200),
        "supervisor":       (200, 200, 404, 404),
        "agent":            (200, 200, 404, 200),
        "light_agent":      (403, 403, 404, 404),
        "other_desk_agent": (404, 404, 200, 200),
        "requester_own":    (200, 404, 404, 404),
        "requester_other":  (404, 404, 404, 404),
        "org_shared":       (403, 404, 404, 404),
        "org_unshared":     (404, 404, 404, 404),
        "follower":         (403, 404, 404, 404),
        "anonymous":        (401, 401, 401, 401),
    },
    # POST /tickets/{id}/messages {"internal": false}
    "reply": {
        "admin":            (201, 201, 201, 201),
        "supervisor":       (201, 201, 404, 404),
        "agent":            (201, 201, 404, 201),
        "light_agent":      (403, 403, 404, 404),
        "other_desk_agent": (404, 404, 201, 201),
        "requester_own":    (201, 404, 404, 404),
        "requester_other":  (404, 404, 404, 404),
        "org_shared":       (201, 404, 404, 404),
        "org_unshared":     (404, 404, 404, 404),
        "follower":         (201, 404, 404, 404),
        "anonymous":        (401, 401, 401, 401),
    },
    # POST /tickets/{id}/messages {"internal": true}
    "note": {
        "admin":            (201, 201, 201, 201),
        "supervisor":       (201, 201, 404, 404),
        "agent":            (201, 201, 404, 403),
        "light_agent":      (201, 201, 404, 404),
        "other_desk_agent": (404, 404, 201, 201),
        "requester_own":    (403, 404, 404, 404),
        "requester_other":  (404, 404, 404, 404),
        "org_shared":       (403, 404, 404, 404),
        "org_unshared":     (404, 404, 404, 404),
        "follower":         (403, 404, 404, 404),
        "anonymous":        (401, 401, 401, 401),
    },
    # GET /tickets: is the ticket among the items?
    "listed": {
        "admin":            (True, True, True, True),
        "supervisor":       (True, True, False, False),
        "agent":            (True, True, False, True),
        "light_agent":      (True, True, False, False),
        "other_desk_agent": (False, False, True, True),
        "requester_own":    (True, False, False, False),
        "requester_other":  (False, False, False, False),
        "org_shared":       (True, False, False, False),
        "org_unshared":     (False, False, False, False),
        "follower":         (True, False, False, False),
        "anonymous":        (401, 401, 401, 401),
    },
    # GET /attachments/{id} of the file on the public reply
    "public_file": {
        "admin":            (200, 200, 200, 200),
        "supervisor":       (200, 200, 404, 404),
        "agent":            (200, 200, 404, 200),
        "light_agent":      (200, 200, 404, 404),
        "other_desk_agent": (404, 404, 200, 200),
        "requester_own":    (200, 404, 404, 404),
        "requester_other":  (404, 404, 404, 404),
        "org_shared":       (200, 404, 404, 404),
        "org_unshared":     (404, 404, 404, 404),
        "follower":         (200, 404, 404, 404),
        "anonymous":        (401, 401, 401, 401),
    },
    # GET /attachments/{id} of the file on the internal note: requesters get 404, not 403
    "note_file": {
        "admin":            (200, 200, 200, 200),
        "supervisor":       (200, 200, 404, 404),
        "agent":            (200, 200, 404, 404),
        "light_agent":      (200, 200, 404, 404),
        "other_desk_agent": (404, 404, 200, 200),
        "requester_own":    (404, 404, 404, 404),
        "requester_other":  (404, 404, 404, 404),
        "org_shared":       (404, 404, 404, 404),
        "org_unshared":     (404, 404, 404, 404),
        "follower":         (404, 404, 404, 404),
        "anonymous":        (401, 401, 401, 401),
    },
}
# fmt: on

CELLS = [
    pytest.param(
        action, persona, ticket, row[TICKETS.index(ticket)], id=f"{action}-{persona}-{ticket}"
    )
    for action, table in MATRIX.items()
    for persona, row in table.items()
    for ticket in TICKETS
]


def test_matrix_covers_every_persona_and_ticket():
    for table in MATRIX.values():
        assert tuple(table) == PERSONAS
        assert all(len(row) == len(TICKETS) for row in table.values())


@dataclass
class World:
    people: dict[str, User | None]
    tokens: dict[str, str | None]
    tickets: dict[str, Ticket]
    public_files: dict[str, int]
    note_files: dict[str, int]


def _message_with_file(ticket: Ticket, author: User, *, internal: bool) -> int:
    kind = "note" if internal else "reply"
    attachment = store_attachment(
        ticket,
        filename=f"{ticket.number}-{kind}.txt",
        stream=io.BytesIO(f"{kind} file of {ticket.number}".encode()),
        uploaded_by=author,
    )
    add_message(
        ticket, actor=author, body_text=f"the {kind}", internal=internal, attachments=[attachment]
    )
    return attachment.pk


def _build_world() -> World:
    def user(email: str, **extra) -> User:
        return User.objects.create_user(email, password="pw-12345678", **extra)

    def agent(desk, role: str, email: str) -> User:
        person = user(email)
        set_desk_role(desk, person, role, actor=None)
        return person

    support = create_desk(name="Support", slug="support", prefix="SUP", visibility="external")
    it = create_desk(name="IT", slug="it", prefix="IT", visibility="internal")
    shared = Organization.objects.create(name="Shared Co", shared_tickets=True)
    private = Organization.objects.create(name="Private Co", shared_tickets=False)
    admin = User.objects.create_superuser("admin@example.com", "pw-12345678", name="Admin")
    people: dict[str, User | None] = {
        "admin": admin,
        "supervisor": agent(support, Role.SUPERVISOR, "sup@example.com"),
        "agent": agent(support, Role.AGENT, "agent@example.com"),
        "light_agent": agent(support, Role.LIGHT_AGENT, "light@example.com"),
        "other_desk_agent": agent(it, Role.AGENT, "it-agent@example.com"),
        "requester_own": user("alice@shared.test", organization=shared),
        "requester_other": user("bob@example.com"),
        "org_shared": user("sam@shared.test", organization=shared),
        "org_unshared": user("uma@private.test", organization=private),
        "follower": user("fay@example.com"),
        "anonymous": None,
    }
    pat = user("pat@private.test", organization=private)
    eve = user("eve@example.com", is_employee=True)

    def ticket(desk, requester: User, subject: str) -> Ticket:
        return open_ticket(
            desk=desk, subject=subject, requester=requester, body_text="It is really on fire."
        )

    tickets = {
        "A/alice": ticket(support, people["requester_own"], "Alice's request"),
        "A/pat": ticket(support, pat, "Pat's request"),
        "B/eve": ticket(it, eve, "Eve's request"),
        "B/agent": ticket(it, people["agent"], "The agent's own request"),
    }
    TicketFollower.objects.create(ticket=tickets["A/alice"], user=people["follower"])
    public_files, note_files = {}, {}
    for label, one in tickets.items():
        public_files[label] = _message_with_file(one, admin, internal=False)
        note_files[label] = _message_with_file(one, admin, internal=True)
    tokens = {
        name: create_api_token(person) if person is not None else None
        for name, person in people.items()
    }
    # As if each token had just been used: requests then skip recording its use.
    ApiToken.objects.update(last_used_at=timezone.now())
    return World(people, tokens, tickets, public_files, note_files)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with shared_data(django_db_blocker, _build_world) as built:
        yield built


@pytest.fixture
def api(world, db, api_client_for_token):
    """The API as one of the personas."""

    def make(persona: str) -> ApiClient:
        return api_client_for_token(world.tokens[persona])

    return make


def _act(api, action: str, world: World, ticket: Ticket, label: str):
    if action == "get":
        return api.get(f"/tickets/{ticket.pk}")
    if action == "messages":
        return api.get(f"/tickets/{ticket.pk}/messages")
    if action == "patch":
        return api.patch(f"/tickets/{ticket.pk}", {"priority": "urgent"})
    if action == "solve":
        return api.patch(f"/tickets/{ticket.pk}", {"status": "solved"})
    if action == "reply":
        return api.post(f"/tickets/{ticket.pk}/messages", {"body_text": "a reply"})
    if action == "note":
        return api.post(f"/tickets/{ticket.pk}/messages", {"body_text": "a note", "internal": True})
    if action == "listed":
        return api.get("/tickets", {"limit": 100})
    if action == "public_file":
        return api.get(f"/attachments/{world.public_files[label]}")
    if action == "note_file":
        return api.get(f"/attachments/{world.note_files[label]}")
    raise AssertionError(action)


@pytest.mark.parametrize(("action", "persona", "label", "expected"), CELLS)
def test_access(world, api, action, persona, label, expected):
    ticket = world.tickets[label]
    response = _act(api(persona), action, world, ticket, label)

    if action == "listed" and expected is not True and expected is not False:
        assert response.status_code == expected, response.content
        return
    if action == "listed":
        assert response.status_code == 200, response.content
        numbers = {item["number"] for item in response.json()["items"]}
        assert (ticket.number in numbers) is expected
        return
    if action == "messages" and expected in ("all", "public"):
        assert response.status_code == 200, response.content
        items = response.json()["items"]
        bodies = [m["body_text"] for m in items]
        if expected == "all":
            assert [m["internal"] for m in items] == [False, False, True]
            assert bodies == ["It is really on fire.", "the reply", "the note"]
        else:
            assert [m["internal"] for m in items] == [False, False]
            assert bodies == ["It is really on fire.", "the reply"]
        return

    assert response.status_code == expected, response.content
    if expected == 401:
        assert Message.objects.filter(ticket=ticket).count() == 3
        return
    after = Ticket.objects.get(pk=ticket.pk)
    if action == "get" and expected == 200:
        assert response.json()["number"] == ticket.number
    elif action == "patch":
        assert after.priority == ("urgent" if expected == 200 else "normal")
    elif action == "solve":
        assert after.status == ("solved" if expected == 200 else "open")
    elif action in ("reply", "note"):
        added = Message.objects.filter(ticket=ticket).count() - 3
        assert added == (1 if expected == 201 else 0)
        if expected == 201:
            assert response.json()["internal"] is (action == "note")
    elif action in ("public_file", "note_file") and expected == 200:
        kind = "reply" if action == "public_file" else "note"
        assert b"".join(response.streaming_content) == f"{kind} file of {ticket.number}".encode()
    if expected in (403, 404):
        # A refusal is a short error, and a 404 reveals nothing about the ticket.
        body = response.json()
        assert set(body) <= {"detail", "errors"}
        if expected == 404:
            assert ticket.subject not in body["detail"]
            assert "number" not in body


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(None, id="no-header"),
        pytest.param("Bearer dl_not-a-real-token", id="unknown-token"),
        pytest.param("Bearer ", id="empty-token"),
        pytest.param("Basic YWRtaW46cHc=", id="basic-auth"),
        pytest.param("Token something", id="wrong-scheme"),
    ],
)
def test_missing_or_invalid_token_is_401(world, api, header):
    ticket = world.tickets["A/alice"]
    client = api("anonymous").client
    headers = {"Authorization": header} if header else {}
    for path in ("/api/v1/tickets", f"/api/v1/tickets/{ticket.pk}", "/api/v1/users/me"):
        response = client.get(path, headers=headers)
        assert response.status_code == 401, (path, response.content)
        assert response["Content-Type"].startswith("application/json")


def test_revoked_token_and_inactive_user_are_401(world, api):
    agent = api("agent")
    assert agent.get("/tickets").status_code == 200
    revoke_api_token(ApiToken.objects.get(user=world.people["agent"]), actor=None)
    assert agent.get("/tickets").status_code == 401

    alice = api("requester_own")
    path = f"/tickets/{world.tickets['A/alice'].pk}"
    assert alice.get(path).status_code == 200
    User.objects.filter(pk=world.people["requester_own"].pk).update(is_active=False)
    assert alice.get(path).status_code == 401


@pytest.mark.parametrize("persona", ["requester_other", "org_unshared", "other_desk_agent"])
def test_hidden_ticket_answers_like_a_missing_one(world, api, persona):
    """By id or by number, a ticket one may not see is reported exactly like a missing one."""
    client = api(persona)
    ticket = world.tickets["A/alice"]
    for hidden_path, missing_path in (
        (f"/tickets/{ticket.number}", "/tickets/SUP-999"),
        (f"/tickets/{ticket.number.lower()}", "/tickets/sup-999"),
        (f"/tickets/{ticket.pk}/events", "/tickets/999999/events"),
        (f"/tickets/{ticket.pk}/links", "/tickets/999999/links"),
    ):
        hidden, missing = client.get(hidden_path), client.get(missing_path)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json().keys() == missing.json().keys() == {"detail"}


def test_requester_may_patch_nothing_but_solved(world, api):
    ticket = world.tickets["A/alice"]
    alice = api("requester_own")
    events_before = TicketEvent.objects.filter(ticket=ticket).count()
    for change in (
        {"status": "pending"},
        {"status": "closed"},
        {"status": "solved", "priority": "low"},
        {"subject": "Mine now"},
        {"tags": ["vip"]},
        {},
    ):
        response = alice.patch(f"/tickets/{ticket.pk}", change)
        assert response.status_code == 403, (change, response.content)
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.subject == "Alice's request"
    assert TicketEvent.objects.filter(ticket=ticket).count() == events_before
    assert alice.patch(f"/tickets/{ticket.pk}", {"status": "SOLVED"}).status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == "solved"


def test_requester_events_hide_internal_notes(world, api):
    path = f"/tickets/{world.tickets['A/alice'].pk}/events"
    agent_events = api("agent").get(path).json()
    note_id = Message.objects.get(ticket=world.tickets["A/alice"], internal=True).pk
    assert "note_added" in [e["kind"] for e in agent_events]
    for persona in ("requester_own", "org_shared", "follower"):
        response = api(persona).get(path)
        assert response.status_code == 200
        events = response.json()
        assert "note_added" not in [e["kind"] for e in events]
        assert note_id not in [e["message_id"] for e in events]
        assert "reply_added" in [e["kind"] for e in events]


def test_light_agent_cannot_merge_link_or_add_followers(world, api):
    light = api("light_agent")
    a, b = world.tickets["A/alice"], world.tickets["A/pat"]
    assert light.post(f"/tickets/{a.pk}/merge", {"target": b.pk}).status_code == 403
    response = light.post(f"/tickets/{a.pk}/links", {"target": b.pk, "kind": "related"})
    assert response.status_code == 403
    assert light.post(f"/tickets/{a.pk}/followers", {"email": "x@example.com"}).status_code == 403
    assert not Ticket.objects.filter(merged_into__isnull=False).exists()


def test_merge_and_link_need_access_to_both_tickets(world, api):
    """A ticket of another desk stays hidden as a merge or link target: the body names
    no ticket the caller may see (422 on `target`, as for a ticket that does not exist)."""
    agent = api("agent")
    own, hidden = world.tickets["A/alice"], world.tickets["B/eve"]
    for path, body in (
        (f"/tickets/{own.pk}/merge", {"target": hidden.pk}),
        (f"/tickets/{own.pk}/links", {"target": hidden.pk, "kind": "related"}),
    ):
        refused, missing = agent.post(path, body), agent.post(path, {**body, "target": 999999})
        assert refused.status_code == missing.status_code == 422
        assert [e["field"] for e in refused.json()["errors"]] == ["target"]
        assert hidden.subject not in refused.content.decode()
    # The agent is only the requester of B/agent: they may not merge it away.
    requested = world.tickets["B/agent"]
    assert agent.post(f"/tickets/{own.pk}/merge", {"target": requested.pk}).status_code == 403
    alice = api("requester_own")
    assert alice.post(f"/tickets/{own.pk}/merge", {"target": hidden.pk}).status_code == 403
    response = alice.post(f"/tickets/{own.pk}/followers", {"email": "z@example.com"})
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.status == "open" and own.merged_into is None
