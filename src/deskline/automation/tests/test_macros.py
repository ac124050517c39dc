import pytest

from deskline.desks.models import Role
from deskline.tickets.models import Ticket
from deskline.tickets.services.tags import ticket_tag_names

pytestmark = pytest.mark.django_db

MACRO = {
    "desk": "it",
    "name": "Waiting for logs",
    "scope": "desk",
    "actions": [
        {"type": "set", "field": "status", "value": "pending"},
        {"type": "set", "field": "priority", "value": "high"},
        {"type": "add_tags", "tags": ["needs-logs"]},
    ],
    "replies": {
        "en": "Hello {{requester.name}}, please send the logs for {{ticket.number}}."
        " {{agent.name}}",
        "ar": "مرحبا {{requester.name}}، أرسل السجلات {{ticket.number}}. {{agent.name}}",
    },
}


def _ticket(api, email="sam@example.com") -> dict:
    return api.post(
        "/tickets",
        {
            "desk": "it",
            "subject": "VPN",
            "requester": {"email": email},
            "message": {"body_text": "VPN drops."},
        },
    ).json()


def test_macro_applies_a_reply_and_three_changes_in_one_call(api_for, desk_setup):
    admin = api_for(desk_setup["admin"])
    macro = admin.post("/macros", MACRO)
    assert macro.status_code == 201, macro.content
    ticket = _ticket(admin)
    agent = api_for(desk_setup["agent"])
    response = agent.post(f"/tickets/{ticket['id']}/macros/{macro.json()['id']}/apply")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["changed"] == ["priority", "status", "tags"]
    assert body["ticket"]["status"] == "pending" and body["ticket"]["priority"] == "high"
    stored = Ticket.objects.get(pk=ticket["id"])
    assert ticket_tag_names(stored) == ["needs-logs"]
    reply = stored.messages.get(pk=body["message_id"])
    assert reply.internal is False and reply.author == desk_setup["agent"]
    assert reply.body_text == f"Hello Sam, please send the logs for {stored.number}. Amy"
    assert stored.first_response_at is not None


def test_reply_is_in_the_requesters_language(api_for, desk_setup, make_user):
    make_user("noor@example.com", name="Noor", language="ar", is_employee=True)
    admin = api_for(desk_setup["admin"])
    macro = admin.post("/macros", MACRO).json()
    ticket = _ticket(admin, "noor@example.com")
    body = admin.post(f"/tickets/{ticket['id']}/macros/{macro['id']}/apply").json()
    reply = Ticket.objects.get(pk=ticket["id"]).messages.get(pk=body["message_id"])
    assert reply.body_text.startswith("مرحبا Noor")


def test_a_failing_change_leaves_no_reply_behind(api_for, desk_setup):
    admin = api_for(desk_setup["admin"])
    macro = admin.post(
        "/macros",
        {**MACRO, "actions": [{"type": "assign", "assignee": "lee@example.com"}]},
    ).json()
    desk_setup["l2_agent"].desk_memberships.all().delete()
    ticket = _ticket(admin)
    response = admin.post(f"/tickets/{ticket['id']}/macros/{macro['id']}/apply")
    assert response.status_code == 422
    assert Ticket.objects.get(pk=ticket["id"]).messages.count() == 1


def test_personal_and_team_macros_are_only_for_their_people(api_for, desk_setup, agent_on):
    amy = api_for(desk_setup["agent"])
    lee = api_for(desk_setup["l2_agent"])
    mine = amy.post("/macros", {**MACRO, "scope": "personal", "name": "mine"})
    assert mine.status_code == 201, mine.content
    assert amy.post("/macros", MACRO).status_code == 403  # sharing is for managers
    team = api_for(desk_setup["supervisor"]).post(
        "/macros", {**MACRO, "scope": "team", "team": "l2", "name": "l2 only"}
    )
    assert team.status_code == 201, team.content
    ticket = _ticket(api_for(desk_setup["admin"]))
    assert {m["name"] for m in amy.get("/macros").json()} == {"mine"}
    assert {m["name"] for m in lee.get("/macros").json()} == {"l2 only"}
    url = f"/tickets/{ticket['id']}/macros/{mine.json()['id']}/apply"
    assert lee.post(url).status_code == 404
    assert lee.patch(f"/macros/{mine.json()['id']}", {"name": "x"}).status_code in (403, 404)
    requester = api_for(desk_setup["requester"])
    assert requester.post(url).status_code in (403, 404)
    light = api_for(agent_on(desk_setup["desk"], Role.LIGHT_AGENT))
    assert light.post(url).status_code == 403


@pytest.mark.parametrize(
    "change, field",
    [
        ({"replies": {"xx": "hi"}}, "replies.xx"),
        ({"replies": {"en": "hi {{requester.password}}"}}, "replies.en"),
        (
            {"actions": [{"type": "send_mail", "to": "requester", "subject": "s", "body": "b"}]},
            "actions.0.type",
        ),
        ({"actions": [], "replies": {}}, "actions"),
    ],
)
def test_bad_macros_are_refused_naming_the_field(api_for, desk_setup, change, field):
    response = api_for(desk_setup["admin"]).post("/macros", {**MACRO, **change})
    assert response.status_code == 422, response.content
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_only_the_desks_agents_read_its_macros(api_for, desk_setup, agent_on, support_desk):
    """A desk's shared macros hold its canned answers and internal notes: a requester
    who may open tickets on the desk, or an agent of another desk, must not read them."""
    secret = "refunds up to 500 without asking; never tell the customer"
    shared = {**MACRO, "name": "refund", "actions": [{"type": "add_note", "body": secret}]}
    assert api_for(desk_setup["admin"]).post("/macros", shared).status_code == 201
    # sam is an employee, so he may ask the internal IT desk (and name it in filters).
    outsiders = {
        "requester": desk_setup["requester"],
        "other desk's agent": agent_on(support_desk, Role.AGENT, is_employee=True),
    }
    for who, user in outsiders.items():
        for query in ({"desk": "it"}, None):
            response = api_for(user).get("/macros", query)
            assert response.status_code == 200, (who, response.content)
            assert response.json() == [], who
            assert secret not in response.content.decode(), who
    # The desk's own people still have them.
    assert [m["name"] for m in api_for(desk_setup["agent"]).get("/macros").json()] == ["refund"]
    assert [m["name"] for m in api_for(desk_setup["supervisor"]).get("/macros").json()] == [
        "refund"
    ]
