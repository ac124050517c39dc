"""Notification mail leaves through the install's mail server (DESKLINE_SMTP_URL),
from the desk's address, like every other mail of Deskline; without a server, none."""

import pytest

from deskline.desks.models import Role
from deskline.notifications.mailing import send_instant
from deskline.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def real_backend(settings):
    # pytest-django swaps in the in-memory backend; these tests are about the real one.
    settings.EMAIL_BACKEND = "deskline.mail.backend.SmtpUrlBackend"


def _notify(it_desk, agent_on) -> Notification:
    kim = agent_on(it_desk, Role.AGENT, email="kim@corp.example", name="Kim")
    return Notification.objects.create(user=kim, text="Sam mentioned you")


def test_notification_mail_goes_through_the_configured_server(
    real_backend, smtp_sink, it_address, it_desk, agent_on
):
    notification = _notify(it_desk, agent_on)
    assert send_instant([notification.pk]) == 1
    [received] = smtp_sink.messages()
    assert received["To"] == "kim@corp.example"
    assert received["From"] == "it@desk.test"
    assert "Sam mentioned you" in received["Subject"]


def test_the_from_address_can_be_set(
    real_backend, smtp_sink, it_address, it_desk, agent_on, monkeypatch
):
    monkeypatch.setenv("DESKLINE_MAIL_FROM", "Deskline <alerts@corp.example>")
    send_instant([_notify(it_desk, agent_on).pk])
    [received] = smtp_sink.messages()
    assert received["From"].addresses[0].addr_spec == "alerts@corp.example"


def test_no_mail_server_no_mail_and_no_error(real_backend, it_desk, agent_on, monkeypatch):
    monkeypatch.delenv("DESKLINE_SMTP_URL", raising=False)
    notification = _notify(it_desk, agent_on)
    # Before: Django's default, port 25 of this machine, refused on every try.
    send_instant([notification.pk])
    notification.refresh_from_db()
    assert notification.mailed_at is not None
