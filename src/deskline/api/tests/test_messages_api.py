"""Replies and internal notes through /api/v1/tickets/{id}/messages."""

import datetime

import pytest

from deskline.desks.models import Role
from deskline.tickets.models import Message, Ticket, TicketEvent
from deskline.tickets.services import update_ticket


@pytest.fixture
def agent(support_desk, agent_on):
    return agent_on(support_desk, Role.AGENT, email="agent@example.com", name="Agent Ann")


@pytest.fixture
def requester(make_user):
    return make_user("rita@example.com", name="Rita")


@pytest.fixture
def ticket(support_desk, requester, make_ticket):
    return make_ticket(support_desk, requester, "Cannot log in")


def post(api, ticket, **body):
    return api.post(f"/tickets/{ticket.pk}/messages", body)


def test_agent_reply_shape_and_first_response(ticket, agent, api_for):
    assert ticket.status == "new" and ticket.first_response_at is None
    response = post(api_for(agent), ticket, body_text="Try resetting it.\n\nThen sign in.")
    assert response.status_code == 201, response.content
    message = response.json()
    assert set(message) == {
        "id",
        "ticket",
        "sender",
        "author",
        "subject",
        "body_text",
        "body_html",
        "reply_text",
        "internal",
        "channel",
        "attachments",
        "source_headers",
        "created_at",
        "sender_verified",
        "sender_verification",
    }
    # Not by mail: its sender was not checked (mail/tests/test_sender_auth.py).
    assert message["sender_verified"] is None and message["sender_verification"] == ""
    # Not a mail reply: nothing was stripped, so the reply text is the whole body.
    assert message["reply_text"] == message["body_text"]
    assert message["ticket"] == ticket.number
    assert message["sender"] == {"name": "Agent Ann", "email": "agent@example.com"}
    assert message["author"] == {"id": agent.pk, "name": "Agent Ann", "email": "agent@example.com"}
    assert message["subject"] == ""
    assert message["body_text"] == "Try resetting it.\n\nThen sign in."
    assert message["body_html"] == "<p>Try resetting it.</p><p>Then sign in.</p>"
    assert message["internal"] is False
    assert message["channel"] == "api"
    assert message["attachments"] == []
    created_at = datetime.datetime.fromisoformat(message["created_at"])
    assert created_at.tzinfo is not None

    ticket.refresh_from_db()
    assert ticket.status == "open"
    # JSON times carry milliseconds.
    assert abs(ticket.first_response_at - created_at) < datetime.timedelta(milliseconds=1)
    assert ticket.updated_at == ticket.first_response_at
    events = TicketEvent.objects.filter(ticket=ticket).exclude(kind="created")
    assert [(e.kind, e.field, e.before, e.after) for e in events] == [
        ("reply_added", "", None, None),
        ("field_changed", "status", "new", "open"),
    ]
    assert events[0].message_id == message["id"]

    # A second reply keeps the first response time.
    first = ticket.first_response_at
    assert post(api_for(agent), ticket, body_text="Any luck?").status_code == 201
    ticket.refresh_from_db()
    assert ticket.first_response_at == first


def test_first_message_carries_the_ticket_subject(ticket, agent, api_for):
    items = api_for(agent).get(f"/tickets/{ticket.pk}/messages").json()["items"]
    assert items[0]["subject"] == "Cannot log in"
    assert items[0]["sender"] == {"name": "Rita", "email": "rita@example.com"}


def test_internal_note_is_not_a_response(ticket, agent, support_desk, agent_on, api_for):
    light = agent_on(support_desk, Role.LIGHT_AGENT)
    for author in (agent, light):
        response = post(api_for(author), ticket, body_text="Looks like SSO.", internal=True)
        assert response.status_code == 201, response.content
        assert response.json()["internal"] is True
    ticket.refresh_from_db()
    assert ticket.status == "new"
    assert ticket.first_response_at is None
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == ["created", "note_added", "note_added"]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("new", "new"),
        ("open", "open"),
        ("pending", "open"),
        ("on_hold", "on_hold"),
        ("solved", "open"),
    ],
)
def test_requester_reply_reopens_pending_and_solved(
    ticket, requester, agent, api_for, before, after
):
    if before != "new":
        update_ticket(ticket, actor=agent, changes={"status": before})
    ticket.refresh_from_db()
    response = post(api_for(requester), ticket, body_text="Still broken.")
    assert response.status_code == 201, response.content
    assert response.json()["sender"] == {"name": "Rita", "email": "rita@example.com"}
    ticket.refresh_from_db()
    assert ticket.status == after
    assert ticket.first_response_at is None
    if before == "solved":
        assert ticket.solved_at is None
        event = TicketEvent.objects.filter(ticket=ticket, field="status").latest("id")
        assert (event.before, event.after, event.actor_id) == ("solved", "open", requester.pk)


def test_agent_reply_does_not_reopen_pending(ticket, agent, api_for):
    update_ticket(ticket, actor=agent, changes={"status": "pending"})
    assert post(api_for(agent), ticket, body_text="Waiting for you.").status_code == 201
    ticket.refresh_from_db()
    assert ticket.status == "pending"


def test_channel_is_the_agents_to_choose(ticket, agent, requester, api_for):
    response = post(api_for(agent), ticket, body_text="Called her.", channel="phone")
    assert response.json()["channel"] == "phone"
    response = post(api_for(requester), ticket, body_text="Thanks", channel="phone")
    assert response.status_code == 201
    assert response.json()["channel"] == "api"
    response = post(api_for(agent), ticket, body_text="x", channel="pigeon")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["channel"]


def test_html_is_sanitized_and_keeps_direction_and_language(ticket, agent, api_for):
    dirty = (
        '<p dir="rtl" lang="ar">مرحبا <b onclick="steal()">بالعالم</b></p>'
        "<script>alert('x')</script>"
        '<img src="x" onerror="alert(1)">'
        '<img src="https://tracker.example/pixel.gif" alt="pixel">'
        '<img src="cid:logo@mail" alt="logo">'
        '<img src="/api/v1/attachments/1" alt="shot">'
        '<a href="javascript:alert(1)">click</a>'
        '<a href="https://example.com/help">help</a>'
        "<iframe src='https://evil.example'></iframe>"
        "<style>body{display:none}</style>"
        '<form action="https://evil.example"><input name="pw"></form>'
        '<div style="position:fixed">styled</div>'
    )
    response = post(api_for(agent), ticket, body_html=dirty)
    assert response.status_code == 201, response.content
    html = response.json()["body_html"]
    assert Message.objects.get(pk=response.json()["id"]).body_html == html
    lowered = html.lower()
    for forbidden in (
        "<script",
        "alert",
        "onerror",
        "onclick",
        "javascript:",
        "tracker.example",
        "<iframe",
        "evil.example",
        "<style",
        "<form",
        "<input",
        "style=",
    ):
        assert forbidden not in lowered, forbidden
    assert 'dir="rtl"' in html
    assert 'lang="ar"' in html
    assert "مرحبا" in html
    assert 'src="cid:logo@mail"' in html
    assert 'src="/api/v1/attachments/1"' in html
    assert 'href="https://example.com/help"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert "styled" in html


def test_text_is_derived_from_html_when_only_html_is_given(ticket, agent, api_for):
    response = post(
        api_for(agent),
        ticket,
        body_html="<h1>Steps</h1><p>Open <b>Settings</b>,&nbsp;then\n   Accounts.</p>"
        "<ul><li>one</li><li>two &amp; three</li></ul><script>var hidden = 1;</script>",
    )
    assert response.status_code == 201, response.content
    text = response.json()["body_text"]
    assert text == "Steps\n\nOpen Settings,\xa0then\nAccounts.\n\none\n\ntwo & three"
    assert "hidden" not in text


def test_given_text_is_kept_beside_html(ticket, agent, api_for):
    response = post(api_for(agent), ticket, body_text="plain <b>words</b>", body_html="<p>rich</p>")
    body = response.json()
    assert body["body_text"] == "plain <b>words</b>"
    assert body["body_html"] == "<p>rich</p>"


def test_text_only_is_escaped_into_html(ticket, agent, api_for):
    response = post(api_for(agent), ticket, body_text="a <script>x</script> & b\nline two")
    assert response.json()["body_html"] == (
        "<p>a &lt;script&gt;x&lt;/script&gt; &amp; b<br>line two</p>"
    )


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="nothing"),
        pytest.param({"body_text": ""}, id="empty-text"),
        pytest.param({"body_text": "   \n\n  "}, id="blank-text"),
        pytest.param({"body_html": "<p> </p>"}, id="blank-html"),
        pytest.param({"body_html": "<script>alert(1)</script>"}, id="html-sanitized-to-nothing"),
        pytest.param({"body_text": "", "body_html": "", "internal": True}, id="empty-note"),
    ],
)
def test_empty_message_is_rejected(ticket, agent, api_for, body):
    response = post(api_for(agent), ticket, **body)
    assert response.status_code == 422, response.content
    assert [e["field"] for e in response.json()["errors"]] == ["body_text"]
    assert Message.objects.filter(ticket=ticket).count() == 1
    ticket.refresh_from_db()
    assert ticket.status == "new"
    assert not TicketEvent.objects.filter(ticket=ticket, kind__in=["reply_added", "note_added"])


def test_messages_are_listed_oldest_first_with_cursor(ticket, agent, requester, api_for):
    for index in range(4):
        post(api_for(agent if index % 2 else requester), ticket, body_text=f"message {index}")
    post(api_for(agent), ticket, body_text="secret", internal=True)
    # Same creation time for two messages: the id breaks the tie.
    moment = Message.objects.filter(ticket=ticket).order_by("id")[2].created_at
    Message.objects.filter(ticket=ticket, body_text="message 2").update(created_at=moment)

    expected = list(
        Message.objects.filter(ticket=ticket)
        .order_by("created_at", "id")
        .values_list("id", flat=True)
    )
    for viewer, wanted in (
        (agent, expected),
        (requester, [m for m in expected if not Message.objects.get(pk=m).internal]),
    ):
        api = api_for(viewer)
        seen, cursor = [], None
        while True:
            params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = api.get(f"/tickets/{ticket.pk}/messages", params).json()
            seen += [m["id"] for m in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == wanted
    for params in ({"limit": 0}, {"limit": 101}, {"cursor": "bogus"}):
        response = api_for(agent).get(f"/tickets/{ticket.pk}/messages", params)
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == list(params)


def test_reply_by_number_and_unicode(ticket, agent, api_for):
    response = api_for(agent).post(
        f"/tickets/{ticket.number.lower()}/messages", {"body_text": "请重新登录。 شكراً"}
    )
    assert response.status_code == 201
    assert "请重新登录。 شكراً".encode() in response.content
    assert Ticket.objects.get(pk=ticket.pk).status == "open"
