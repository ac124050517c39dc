"""The search page behind the header's search box (console and portal)."""

import pytest
from django.test import Client

from deskline.kb import services as kb

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_user, agent_on, support_desk, indexed_ticket):
    agent = agent_on(support_desk)
    alice = make_user("alice@example.com", name="Alice")
    bob = make_user("bob@example.com", name="Bob")
    mine = indexed_ticket(
        support_desk, alice, "Printer", body_text="The toner cartridge is leaking."
    )
    theirs = indexed_ticket(support_desk, bob, "Scanner", body_text="The toner smell is strong.")
    article = kb.create_article(
        support_desk, actor=agent, title="Toner safety", body="Air the room.", state="published"
    )
    return agent, alice, mine, theirs, article


def _page(user, **params) -> str:
    client = Client()
    if user is not None:
        client.force_login(user)
    response = client.get("/search/", params)
    assert response.status_code == 200
    return response.content.decode()


def test_header_has_the_search_box(world):
    agent = world[0]
    client = Client()
    client.force_login(agent)
    assert 'action="/search/"' in client.get("/help/").content.decode()


def test_agent_finds_tickets_in_the_console_and_articles(world):
    agent, alice, mine, theirs, article = world
    page = _page(agent, q="toner")
    assert f'href="/tickets/{mine.number}/"' in page
    assert f'href="/tickets/{theirs.number}/"' in page
    assert f'href="/help/support/articles/{article.pk}/?original=1"' in page
    assert "<mark>" in page
    only = _page(agent, q="toner", type="article")
    assert f"/tickets/{mine.number}/" not in only and "Toner safety" in only


def test_requester_finds_only_their_own_requests_in_the_portal(world):
    agent, alice, mine, theirs, article = world
    page = _page(alice, q="toner")
    assert f'href="/portal/requests/{mine.number}/"' in page
    assert theirs.number not in page
    assert "Toner safety" in page


def test_anonymous_readers_find_public_articles_only(world):
    agent, alice, mine, theirs, article = world
    page = _page(None, q="toner")
    assert "Toner safety" in page
    assert mine.number not in page and theirs.number not in page
    assert "Nothing found" in _page(None, q="zzzyzzy")
