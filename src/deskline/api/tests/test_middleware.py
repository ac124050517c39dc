"""The API answers in English whatever language the client or its user prefers: its
messages are what clients match on, while the pages show the same refusals translated."""

import pytest
from django.test import Client

from deskline.desks.models import Role
from deskline.tickets.services import update_ticket


@pytest.fixture
def arabic_agent(it_desk, agent_on):
    return agent_on(it_desk, Role.AGENT, language="ar")


@pytest.mark.parametrize("accept", ["ar", "zh-hans", "zh-CN,zh;q=0.9"])
def test_a_conflict_and_a_refused_field_stay_english(
    accept, arabic_agent, it_desk, make_user, make_ticket, api_for
):
    requester = make_user(is_employee=True)
    source = make_ticket(it_desk, requester, subject="VPN drops again")
    target = make_ticket(it_desk, requester, subject="VPN drops")
    update_ticket(target, actor=arabic_agent, changes={"status": "closed"})
    api = api_for(arabic_agent)
    api.headers["Accept-Language"] = accept

    merged = api.post(f"/tickets/{source.pk}/merge", {"target": target.number})
    assert merged.status_code == 409
    assert merged.json() == {"detail": f"{target.number} is closed; merge into an open ticket"}
    assert merged["Content-Language"] == "en"

    empty = api.post(f"/tickets/{source.pk}/messages", {"body_text": ""})
    assert empty.status_code == 422
    assert empty.json()["errors"] == [
        {"field": "body_text", "message": "a message needs a text or an attachment"}
    ]


def test_a_signed_in_arabic_user_reads_the_api_in_english(arabic_agent):
    """The browser session and the user's own language choose the pages' language only."""
    client = Client()
    client.force_login(arabic_agent)
    client.cookies["django_language"] = "ar"
    response = client.get("/api/v1/tickets", {"sla": "soon"}, headers={"Accept-Language": "ar"})
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["message"].startswith("'soon' is not one of ")
    # The same session on a page: the user's language.
    page = client.get("/tickets/", {"queue": "soon"})
    assert page.status_code == 422
    assert "لا توجد قائمة عمل" in page.content.decode()
