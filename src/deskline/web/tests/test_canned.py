"""Canned responses on the ticket page: the automation app's macros, inserted or applied."""

import pytest
from django.test import Client

from deskline.automation.models import Macro
from deskline.automation.services.definitions import save_macro
from deskline.desks.models import Role
from deskline.tickets.models import Message
from deskline.tickets.services.tags import ticket_tag_names

REPLIES = {
    "en": "Hello {{requester.name}}, please send the logs for {{ticket.number}}.",
    "ar": "مرحبا {{requester.name}}، أرسل السجلات {{ticket.number}}.",
}
ACTIONS = [
    {"type": "set", "field": "status", "value": "pending"},
    {"type": "add_tags", "tags": ["needs-logs"]},
]


@pytest.fixture
def agent(it_desk, agent_on):
    return agent_on(it_desk, Role.AGENT, name="Agent Smith")


@pytest.fixture
def ticket(it_desk, make_user, make_ticket):
    requester = make_user(name="Samira", is_employee=True, language="ar")
    return make_ticket(it_desk, requester, subject="VPN drops")


def _macro(desk, name="Waiting for logs", **extra) -> Macro:
    return save_macro(
        Macro(desk=desk, **extra), {"name": name, "actions": ACTIONS, "replies": REPLIES}, None
    )


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_reply_box_offers_the_desks_macros_and_inserts_their_text(agent, ticket, it_desk):
    macro = _macro(it_desk)
    client = client_for(agent)
    page = client.get(f"/tickets/{ticket.number}/")
    assert page.context["macros"] == [macro]
    assert 'id="macro-form"' in page.content.decode()
    text = client.get(f"/tickets/{ticket.number}/macro/{macro.pk}/text/")
    assert text.status_code == 200
    # In the requester's language, placeholders filled, and nothing sent or changed yet.
    assert text.content.decode() == f"مرحبا Samira، أرسل السجلات {ticket.number}."
    assert Message.objects.filter(ticket=ticket).count() == 1
    # Without script, the same form renders the page with the text in the reply box.
    fallback = client.post(f"/tickets/{ticket.number}/macro/", {"macro": macro.pk, "do": "insert"})
    assert fallback.status_code == 200
    assert fallback.context["draft"] == text.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "new"


def test_applying_a_macro_replies_and_changes_the_ticket(agent, ticket, it_desk):
    macro = _macro(it_desk)
    response = client_for(agent).post(
        f"/tickets/{ticket.number}/macro/", {"macro": macro.pk, "do": "apply"}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "pending"
    assert ticket_tag_names(ticket) == ["needs-logs"]
    reply = Message.objects.filter(ticket=ticket).last()
    assert reply.author_id == agent.pk and not reply.internal
    assert reply.body_text.startswith("مرحبا Samira")


def test_macros_the_agent_may_not_use_are_not_found(agent, ticket, it_desk, support_desk, agent_on):
    colleague = agent_on(it_desk, Role.AGENT)
    personal = _macro(it_desk, name="Mine only", owner=colleague)
    elsewhere = _macro(support_desk, name="Support desk")
    client = client_for(agent)
    assert client.get(f"/tickets/{ticket.number}/").context["macros"] == []
    # Ids that are no ids (beyond 64 bits, a superscript digit) are missing macros too.
    for macro_id in (personal.pk, elsewhere.pk, "99999999999999999999999", "\u00b2"):
        assert client.get(f"/tickets/{ticket.number}/macro/{macro_id}/text/").status_code == 404
        posted = client.post(f"/tickets/{ticket.number}/macro/", {"macro": macro_id})
        assert posted.status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == "new"
    # The colleague's personal macro is theirs to use.
    assert client_for(colleague).get(f"/tickets/{ticket.number}/").context["macros"] == [personal]


def test_requesters_and_other_desks_agents_get_nothing(ticket, it_desk, support_desk, agent_on):
    macro = _macro(it_desk)
    outsider = agent_on(support_desk, Role.AGENT)
    for user in (ticket.requester, outsider):
        client = client_for(user)
        assert client.get(f"/tickets/{ticket.number}/macro/{macro.pk}/text/").status_code == 404
        assert client.post(f"/tickets/{ticket.number}/macro/", {"macro": macro.pk}).status_code == (
            404
        )
    assert Message.objects.filter(ticket=ticket).count() == 1
