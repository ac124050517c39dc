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
