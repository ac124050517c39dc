from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from deskline.desks.models import Role
from deskline.desks.services import create_desk
from deskline.notifications.mailing import send_digests
from deskline.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(it_desk, agent_on, admin_user, make_user):
    return {
        "sam": agent_on(it_desk, Role.AGENT, email="sam@example.com", name="Sam"),
        "kim": agent_on(it_desk, Role.AGENT, email="kim@corp.example", name="Kim"),
        "requester": make_user("rita@example.com", name="Rita", is_employee=True),
        "admin": admin_user,
    }


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _note(api, ticket_id: int, text: str, internal: bool = True):
    response = api.post(f"/tickets/{ticket_id}/messages", {"body_text": text, "internal": internal})
    assert response.status_code == 201, response.content


def _ticket(api) -> int:
    return api.post(
        "/tickets",
        {
            "desk": "it",
            "subject": "Printer",
            "requester": {"email": "rita@example.com"},
            "message": {"body_text": "jammed"},
        },
    ).json()["id"]


def test_mentions_in_internal_notes_notify_agents_and_mail_them(
    api_for, team, django_capture_on_commit_callbacks, immediate_tasks
):
    sam = api_for(team["sam"])
    ticket_id = _ticket(api_for(team["admin"]))
    with django_capture_on_commit_callbacks(execute=True):
        _note(sam, ticket_id, "@kim@corp.example and @rita and @nobody, look. @sam too")
        _note(sam, ticket_id, "public: thanks @kim", internal=False)
    kim = api_for(team["kim"]).get("/notifications").json()
    assert kim["unread"] == 1
    assert "Sam mentioned you" in kim["items"][0]["text"]
    # Requesters are never told of internal notes; authors not of their own mention.
    assert not Notification.objects.filter(user__in=[team["requester"], team["sam"]]).exists()
    assert [m.to for m in mail.outbox] == [["kim@corp.example"]]


def test_short_mentions_need_an_unambiguous_agent(
    api_for, team, agent_on, it_desk, django_capture_on_commit_callbacks
):
    agent_on(it_desk, Role.AGENT, email="kim@other.example")
    sam = api_for(team["sam"])
    ticket_id = _ticket(api_for(team["admin"]))
    with django_capture_on_commit_callbacks(execute=True):
        _note(sam, ticket_id, "@kim ?")
    assert not Notification.objects.exists()


def test_agents_of_other_desks_cannot_be_mentioned(
    api_for, team, agent_on, django_capture_on_commit_callbacks
):
    hr = create_desk(name="HR", slug="hr", prefix="HR", visibility="internal")
    outsider = agent_on(hr, Role.AGENT, email="olga@example.com")
    ticket_id = _ticket(api_for(team["admin"]))
    with django_capture_on_commit_callbacks(execute=True):
        _note(api_for(team["sam"]), ticket_id, "@olga@example.com")
    assert not Notification.objects.filter(user=outsider).exists()


def test_mark_read_and_preferences(api_for, team, django_capture_on_commit_callbacks):
    kim = api_for(team["kim"])
    ticket_id = _ticket(api_for(team["admin"]))
    with django_capture_on_commit_callbacks(execute=True):
        _note(api_for(team["sam"]), ticket_id, "@kim one")
        _note(api_for(team["sam"]), ticket_id, "@kim two")
    items = kim.get("/notifications").json()["items"]
    assert kim.post("/notifications/read", {"ids": [items[0]["id"]]}).json() == {"marked": 1}
    assert kim.get("/notifications?unread=true").json()["unread"] == 1
    assert kim.post("/notifications/read", {}).json() == {"marked": 1}
    # Another user's ids are not theirs to mark.
    assert api_for(team["sam"]).post("/notifications/read", {"ids": [items[1]["id"]]}).json() == {
        "marked": 0
    }
    bad = kim.put("/notifications/preferences", {"mail": "carrier-pigeon"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "mail"
    muted = kim.put("/notifications/preferences", {"muted_kinds": ["mention"]})
    assert muted.json() == {"mail": "instant", "muted_kinds": ["mention"]}
    with django_capture_on_commit_callbacks(execute=True):
        _note(api_for(team["sam"]), ticket_id, "@kim three")
    assert Notification.objects.filter(user=team["kim"]).count() == 2


def test_digest_collects_unread_notifications_once_a_day(
    api_for, team, django_capture_on_commit_callbacks, immediate_tasks
):
    kim = api_for(team["kim"])
    kim.put("/notifications/preferences", {"mail": "digest"})
    ticket_id = _ticket(api_for(team["admin"]))
    with django_capture_on_commit_callbacks(execute=True):
        _note(api_for(team["sam"]), ticket_id, "@kim one")
        _note(api_for(team["sam"]), ticket_id, "@kim two")
    assert mail.outbox == []  # no instant mail
    now = timezone.now()
    assert send_digests(now) == 1
    assert mail.outbox[0].to == ["kim@corp.example"]
    assert "2 notifications" in mail.outbox[0].subject
    assert send_digests(now + timedelta(hours=2)) == 0  # once a day
    with django_capture_on_commit_callbacks(execute=True):
        _note(api_for(team["sam"]), ticket_id, "@kim three")
    assert send_digests(now + timedelta(days=1)) == 1
    assert "1 notifications" in mail.outbox[1].subject


def test_notifications_of_tickets_no_longer_visible_are_not_shown(
    api_for, team, it_desk, django_capture_on_commit_callbacks
):
    """A notification repeats its ticket's subject: once the person may no longer see
    the ticket (taken off the desk, ticket moved), the API, the page and the badge
    leave it out."""
    from django.test import Client

    from deskline.desks.services import set_desk_role
    from deskline.sla.models import Notification as SlaNotification

    ticket_id = _ticket(api_for(team["admin"]))
    with django_capture_on_commit_callbacks(execute=True):
        _note(api_for(team["sam"]), ticket_id, "@kim@corp.example see this")
    kim = team["kim"]
    # The SLA's notices to supervisors are rows of their own, read the same way.
    SlaNotification.objects.create(user=kim, ticket_id=ticket_id, kind="sla_breached", text="x")
    assert api_for(kim).get("/notifications").json()["unread"] == 1
    assert len(api_for(kim).get("/sla/notifications").json()) == 1
    set_desk_role(it_desk, kim, None, actor=None)

    listed = api_for(kim).get("/notifications").json()
    assert (listed["items"], listed["unread"]) == ([], 0)
    assert api_for(kim).get("/sla/notifications").json() == []
    page = Client()
    page.force_login(kim)
    assert "Printer" not in page.get("/notifications/").content.decode()
    assert page.get("/notifications/badge/").context["unread"] == 0
    # Nothing is lost: given the desk back, the notification is there again.
    set_desk_role(it_desk, kim, Role.AGENT, actor=None)
    assert api_for(kim).get("/notifications").json()["unread"] == 1
