"""The knowledge-base panel of the console's ticket page."""

import pytest
from django.test import Client

from deskline.kb import services
from deskline.kb.models import Article, TicketArticle
from deskline.tickets.services import add_message, update_ticket

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def setup(support_desk, agent_on, make_user, make_ticket):
    agent = agent_on(support_desk)
    customer = make_user()
    ticket = make_ticket(
        support_desk, customer, "Outlook keeps asking for a password", body_text="Every morning."
    )
    public = services.create_article(
        support_desk,
        actor=agent,
        title="Outlook asks for the password again",
        body="Remove the saved credential in **Credential Manager**.",
        state="published",
    )
    internal = services.create_article(
        support_desk,
        actor=agent,
        title="Outlook password loop (agents)",
        body="Check the tenant's modern authentication flag.",
        visibility="internal",
        state="published",
    )
    services.create_article(
        support_desk, actor=agent, title="Printer toner", body="Replace it.", state="published"
    )
    client = Client()
    client.force_login(agent)
    return agent, customer, ticket, public, internal, client


def test_panel_loads_on_the_ticket_page_and_finds_by_subject(setup):
    agent, customer, ticket, public, internal, client = setup
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert f'hx-get="/help/_tickets/{ticket.number}/"' in page
    panel = client.get(f"/help/_tickets/{ticket.number}/", **HTMX).content.decode()
    assert public.title in panel and internal.title in panel
    assert "Printer toner" not in panel
    assert "<html" not in panel
    found = client.get(f"/help/_tickets/{ticket.number}/", {"q": "toner"}, **HTMX)
    assert "Printer toner" in found.content.decode()
    # Without script the panel is a page of its own.
    assert "<html" in client.get(f"/help/_tickets/{ticket.number}/").content.decode()


def test_insert_gives_the_text_and_records_resolved_by(setup):
    agent, customer, ticket, public, internal, client = setup
    text = client.post(f"/help/_tickets/{ticket.number}/insert/{public.pk}/", **HTMX)
    body = text.content.decode()
    assert text["Content-Type"].startswith("text/plain")
    assert "Credential Manager" in body
    assert f"/help/support/articles/{public.pk}/" in body
    # Internal articles are quoted without a link the requester could not open.
    quoted = client.post(f"/help/_tickets/{ticket.number}/insert/{internal.pk}/", **HTMX)
    assert "modern authentication" in quoted.content.decode()
    assert "/help/" not in quoted.content.decode()
    linked = TicketArticle.objects.filter(ticket=ticket).values_list("article_id", flat=True)
    assert sorted(linked) == sorted([public.pk, internal.pk])
    # Without script: the ticket page with the text as the reply draft.
    page = client.post(f"/help/_tickets/{ticket.number}/insert/{public.pk}/").content.decode()
    assert 'id="reply-body"' in page and "Credential Manager" in page


def test_requesters_and_other_desks_get_404(setup, make_user, it_desk):
    agent, customer, ticket, public, internal, client = setup
    requester = Client()
    requester.force_login(customer)
    assert requester.get(f"/help/_tickets/{ticket.number}/").status_code == 404
    assert requester.post(f"/help/_tickets/{ticket.number}/insert/{public.pk}/").status_code == 404
    foreign = services.create_article(it_desk, actor=None, title="Staff", state="published")
    assert client.post(f"/help/_tickets/{ticket.number}/insert/{foreign.pk}/").status_code == 404
    assert not TicketArticle.objects.exists()


def test_solved_ticket_becomes_a_draft_from_the_panel(setup):
    agent, customer, ticket, public, internal, client = setup
    panel = client.get(f"/help/_tickets/{ticket.number}/", **HTMX).content.decode()
    assert "/draft/" not in panel
    add_message(ticket, actor=agent, body_text="Clear the cached password in the keychain.")
    update_ticket(ticket, actor=agent, changes={"status": "solved"})
    panel = client.get(f"/help/_tickets/{ticket.number}/", **HTMX).content.decode()
    assert f"/help/_tickets/{ticket.number}/draft/" in panel
    made = client.post(f"/help/_tickets/{ticket.number}/draft/")
    draft = Article.objects.get(source_ticket=ticket)
    assert made.status_code == 302 and f"/articles/{draft.pk}/" in made["Location"]
    assert draft.state == "draft" and "keychain" in draft.body
    assert "keychain" in client.get(made["Location"]).content.decode()
