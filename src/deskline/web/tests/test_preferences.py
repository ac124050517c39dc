"""The preferences page keeps language, time zone and how notifications reach the user."""

import pytest
from django.test import Client

from deskline.desks.models import Role
from deskline.notifications.kinds import AUTOMATION, MENTION
from deskline.notifications.models import MailMode
from deskline.notifications.services import preference_for

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_preferences_keep_language_zone_and_notification_choices(it_desk, agent_on):
    agent = agent_on(it_desk, Role.AGENT)
    client = _client(agent)
    page = client.get("/preferences/").content.decode()
    assert 'name="notify_mail" value="instant" checked' in page
    assert f'name="notify_{MENTION}" checked' in page

    saved = client.post(
        "/preferences/",
        {
            "language": "ar",
            "time_zone": "Asia/Dubai",
            "notify_mail": MailMode.DIGEST,
            f"notify_{MENTION}": "on",
        },
    )
    assert saved.status_code == 302
    agent.refresh_from_db()
    preference = preference_for(agent)
    assert (agent.language, agent.time_zone) == ("ar", "Asia/Dubai")
    assert (preference.mail, preference.muted_kinds) == (MailMode.DIGEST, [AUTOMATION])
    page = client.get("/preferences/").content.decode()
    assert 'value="digest" checked' in page and f'name="notify_{AUTOMATION}" checked' not in page


def test_bad_preferences_are_refused_and_change_nothing(it_desk, agent_on):
    agent = agent_on(it_desk, Role.AGENT)
    client = _client(agent)
    for form in (
        {"language": "en", "time_zone": "Mars/Olympus", "notify_mail": "instant"},
        {"language": "en", "time_zone": "Europe/Paris", "notify_mail": "carrier-pigeon"},
    ):
        refused = client.post("/preferences/", form)
        assert refused.status_code == 422 and b'role="alert"' in refused.content
    agent.refresh_from_db()
    assert agent.time_zone != "Europe/Paris"
    assert preference_for(agent).mail == MailMode.INSTANT
