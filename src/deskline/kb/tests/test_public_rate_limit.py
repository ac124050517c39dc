"""Readers without an account (the help center, its search and suggestions, pages and
API alike) get a per-minute budget per client address: a scraper or a flood from one
address is refused with 429, other readers and signed-in users are not."""

import secrets

import pytest
from django.test import Client

from deskline.kb import services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("within_one_rate_window")]


def _address() -> str:
    # Addresses of our own: the counters outlive a test (a file, or Redis).
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"


@pytest.fixture
def limited(settings, support_desk):
    settings.PUBLIC_RATE_LIMIT = 3
    services.create_article(
        support_desk, actor=None, title="Reset MFA", body="Open the portal.", state="published"
    )
    return support_desk


PAGES = [
    "/help/support/?q=mfa",
    "/help/support/suggest/?subject=mfa",
    "/search/?q=mfa",
    "/api/v1/search?q=mfa",
    "/api/v1/kb/suggest?desk=support&subject=mfa",
    "/api/v1/kb/articles",
]


@pytest.mark.parametrize("path", PAGES)
def test_an_anonymous_flood_from_one_address_is_refused(limited, path):
    client, flood = Client(), _address()
    assert [client.get(path, REMOTE_ADDR=flood).status_code for _ in range(3)] == [200] * 3
    refused = client.get(path, REMOTE_ADDR=flood)
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 60
    # Another reader is not held up by it.
    assert client.get(path, REMOTE_ADDR=_address()).status_code == 200


def test_pages_and_api_share_one_budget_per_address(limited):
    client, flood = Client(), _address()
    for path in PAGES[:3]:
        assert client.get(path, REMOTE_ADDR=flood).status_code == 200
    assert client.get(PAGES[3], REMOTE_ADDR=flood).status_code == 429
    assert "rate limit" in client.get(PAGES[3], REMOTE_ADDR=flood).json()["detail"]


def test_signed_in_readers_are_not_counted_as_anonymous(limited, make_user, api_for):
    client, address = Client(), _address()
    client.force_login(make_user())
    assert {client.get("/help/support/?q=mfa", REMOTE_ADDR=address).status_code
            for _ in range(5)} == {200}  # fmt: skip
    api = api_for(make_user())
    searches = [api.client.get("/api/v1/search?q=mfa", headers=api.headers, REMOTE_ADDR=address)
                for _ in range(5)]  # fmt: skip
    assert {response.status_code for response in searches} == {200}


def test_the_refusal_page_is_in_the_readers_language(limited):
    client, flood = Client(), _address()
    for _ in range(3):
        client.get("/help/support/", REMOTE_ADDR=flood)
    refused = client.get("/help/support/", REMOTE_ADDR=flood, HTTP_ACCEPT_LANGUAGE="ar")
    assert refused.status_code == 429 and 'lang="ar"' in refused.content.decode()
    assert "Too many requests" not in refused.content.decode()


def test_behind_a_trusted_proxy_the_forwarded_address_counts(limited, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.250.0.0/16"]
    client, first, second = Client(), _address(), _address()

    def get(forwarded: str, remote: str = "10.250.1.1"):
        return client.get("/api/v1/kb/articles", REMOTE_ADDR=remote,
                          HTTP_X_FORWARDED_FOR=forwarded)  # fmt: skip

    # Each reader behind the proxy has a budget of their own.
    assert [get(f"{first}, 127.0.0.1").status_code for _ in range(3)] == [200] * 3
    assert get(first).status_code == 429
    assert get(second).status_code == 200
    # A client that is no trusted proxy cannot claim another address to dodge its limit.
    untrusted = _address()
    assert [get(_address(), remote=untrusted).status_code for _ in range(4)] == [200] * 3 + [429]


def test_an_article_s_images_are_not_counted(limited, agent_on, api_for):
    from deskline.kb.tests.test_article_files import PNG, upload

    agent = agent_on(limited)
    article = services.create_article(limited, actor=agent, title="Screens", state="published")
    image = upload(api_for(agent), article, "step.png", PNG).json()["url"]
    client, reader = Client(), _address()
    # One page view fetches the page and its images: a reader of illustrated articles
    # must not run out before a scraper of text would.
    assert (
        client.get(f"/help/support/articles/{article.pk}/", REMOTE_ADDR=reader).status_code == 200
    )
    assert {client.get(image, REMOTE_ADDR=reader).status_code for _ in range(6)} == {200}
    assert client.get("/help/support/", REMOTE_ADDR=reader).status_code == 200
