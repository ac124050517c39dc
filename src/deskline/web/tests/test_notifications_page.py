"""The header badge and the notifications page show the signed-in user's own rows."""

import pytest
from django.test import Client

from deskline.desks.models import Role
from deskline.notifications.kinds import MENTION
from deskline.notifications.models import Notification
from deskline.notifications.services import notify

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_badge_counts_only_my_unread_notifications(it_desk, agent_on):
    me, other = agent_on(it_desk, Role.AGENT), agent_on(it_desk, Role.AGENT)
    notify([me.pk, other.pk], MENTION, "Sam mentioned you on IT-1")
    notify([other.pk], MENTION, "Only for the other agent")
    client = client_for(me)

    badge = client.get("/notifications/badge/")
    assert badge.status_code == 200
    assert b'data-unread="1"' in badge.content
    assert b"Sam mentioned you on IT-1" in badge.content
    assert b"Only for the other agent" not in badge.content

    home = client.get("/")  # every console page carries the badge the push refreshes
    assert b'id="notification-badge"' in home.content and b'data-unread="1"' in home.content

    page = client.get("/notifications/")
    assert b"Sam mentioned you on IT-1" in page.content
    assert b"Only for the other agent" not in page.content

    assert client.post("/notifications/read/").status_code == 302
    assert b'data-unread="0"' in client.get("/notifications/badge/").content
    assert Notification.objects.filter(user=other, read_at__isnull=True).count() == 2


def test_the_badge_needs_a_signed_in_user():
    response = Client().get("/notifications/badge/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_requesters_pages_carry_no_badge(make_user, support_desk):
    requester = make_user()
    page = client_for(requester).get("/portal/")
    assert page.status_code == 200
    assert b'id="notification-badge"' not in page.content


def test_one_notification_is_marked_read_alone_and_opening_one_reads_it(
    it_desk, agent_on, make_user, make_ticket
):
    me, other = agent_on(it_desk, Role.AGENT), agent_on(it_desk, Role.AGENT)
    ticket = make_ticket(it_desk, make_user())
    notify([me.pk], MENTION, "First", ticket_id=ticket.pk)
    notify([me.pk], MENTION, "Second", ticket_id=ticket.pk)
    notify([other.pk], MENTION, "Theirs", ticket_id=ticket.pk)
    first, second = Notification.objects.filter(user=me).order_by("id")
    theirs = Notification.objects.get(user=other)
    client = client_for(me)

    # An id that is no id marks nothing read (rather than everything, or a 500).
    for bad in ("99999999999999999999999", "\u00b2", "x"):
        assert client.post("/notifications/read/", {"id": bad}).status_code == 302
    assert Notification.objects.filter(user=me, read_at__isnull=False).count() == 0
    assert client.post("/notifications/read/", {"id": first.pk}).status_code == 302
    first.refresh_from_db(), second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None

    # Someone else's notification is neither marked nor opened.
    client.post("/notifications/read/", {"id": theirs.pk})
    assert client.get(f"/notifications/{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None

    opened = client.get(f"/notifications/{second.pk}/")
    assert opened.status_code == 302 and opened["Location"] == f"/tickets/{ticket.number}/"
    second.refresh_from_db()
    assert second.read_at is not None
    assert b'data-unread="0"' in client.get("/notifications/badge/").content


def test_the_notifications_page_pages_through_older_rows(it_desk, agent_on):
    from deskline.web.views.notifications import PAGE_SIZE

    me = agent_on(it_desk, Role.AGENT)
    for n in range(PAGE_SIZE + 3):
        notify([me.pk], MENTION, f"note number {n:03d}")
    client = client_for(me)

    first = client.get("/notifications/")
    shown = first.content.decode()
    assert f"note number {PAGE_SIZE + 2:03d}" in shown  # newest first
    assert "note number 002" not in shown
    assert first.context["next_query"]

    second = client.get(f"/notifications/?{first.context['next_query']}").content.decode()
    assert all(f"note number {n:03d}" in second for n in range(3))
    assert f"note number {PAGE_SIZE:03d}" not in second
    assert 'rel="next"' not in second

    # A broken cursor starts again from the newest instead of failing.
    assert client.get("/notifications/?cursor=nonsense").status_code == 200
