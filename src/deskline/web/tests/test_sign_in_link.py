"""Portal sign-in by a one-time link sent by mail."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from deskline.desks.models import Role
from deskline.web import sign_in_links
from deskline.web.models import SignInLink


@pytest.fixture
def requester(make_user):
    return make_user("sam@example.com", name="Sam", language="zh-hans")


def _ask(client: Client, email: str, ip: str = "10.0.0.1"):
    return client.post("/login/link/", {"email": email}, REMOTE_ADDR=ip)


def _link_in(message) -> str:
    found = re.search(r"https?://\S+/portal/sign-in/(\S+)/", message.body)
    assert found, message.body
    return f"/portal/sign-in/{found.group(1)}/"


def test_the_mailed_link_signs_in_once(requester, it_desk):
    client = Client()
    sent = _ask(client, "SAM@example.com")
    assert sent.status_code == 200 and 'id="link-sent"' in sent.content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sam@example.com"]
    assert message.subject == "您的 Deskline 登录链接"  # in the requester's language
    path = _link_in(message)
    # Opening the link (as a mail scanner would) signs no one in and uses nothing up.
    assert client.get(path).status_code == 200
    assert "_auth_user_id" not in client.session
    used = client.post(path)
    assert used.status_code == 302 and used["Location"] == "/portal/"
    assert client.session["_auth_user_id"] == str(requester.pk)
    assert client.get("/portal/").status_code == 200
    # A second use, even from another browser, is refused.
    again = Client().post(path)
    assert again.status_code == 410
    assert SignInLink.objects.get().token_hash not in message.body


def test_unknown_addresses_and_agents_get_the_same_answer_but_no_mail(make_user, it_desk, agent_on):
    agent = agent_on(it_desk, Role.AGENT, email="agent@example.com")
    client = Client()
    for email in ("nobody@example.com", agent.email):
        response = _ask(client, email)
        assert response.status_code == 200 and 'id="link-sent"' in response.content.decode()
    assert mail.outbox == []


def test_expired_and_made_up_links_do_not_sign_in(requester):
    _ask(Client(), requester.email)
    path = _link_in(mail.outbox[0])
    SignInLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client = Client()
    assert client.post(path).status_code == 410
    assert client.post("/portal/sign-in/not-a-token/").status_code == 410
    assert "_auth_user_id" not in client.session


def test_asking_is_rate_limited_per_address_and_per_client(requester, make_user):
    client = Client()
    for _ in range(sign_in_links.PER_EMAIL):
        assert _ask(client, requester.email).status_code == 200
    assert _ask(client, requester.email).status_code == 429
    assert len(mail.outbox) == sign_in_links.PER_EMAIL
    # Another client asking for many addresses is stopped too.
    for n in range(sign_in_links.PER_CLIENT):
        assert _ask(client, f"other{n}@example.com", ip="10.0.0.2").status_code == 200
    assert _ask(client, "last@example.com", ip="10.0.0.2").status_code == 429


def test_behind_a_trusted_proxy_each_client_has_its_own_link_budget(requester, settings):
    import secrets

    settings.TRUSTED_PROXIES = ["10.250.0.0/16"]
    # Addresses of our own: the counters live in the cache (Redis), shared by runs.
    asker, other = (f"198.18.{secrets.randbelow(250)}.{i}" for i in (1, 2))
    client = Client()

    def ask(client_ip: str, remote: str = "10.250.1.1"):
        email = f"nobody{secrets.randbelow(10**9)}@example.com"
        return client.post(
            "/login/link/", {"email": email}, REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=client_ip
        )

    assert [ask(asker).status_code for _ in range(10)] == [200] * 10
    assert ask(asker).status_code == 429
    assert ask(other).status_code == 200
    # One that is no trusted proxy is counted by its own address, whatever it forwards.
    direct = f"198.19.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    answers = [ask(f"192.0.2.{n}", remote=direct).status_code for n in range(11)]
    assert answers == [200] * 10 + [429]
