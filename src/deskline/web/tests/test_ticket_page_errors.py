"""What a service refuses on the ticket page reads in the agent's language: a merge into
a closed ticket (Conflict), a reply with nothing in it (ValidationError)."""

import pytest
from django.test import Client

from deskline.desks.models import Role
from deskline.tickets.services import update_ticket
from deskline.web.timeline import last_event_id

# The agent's language, the catalogs' sentence for each refusal ({number} the target's).
CLOSED_TARGET = {
    "ar": "التذكرة {number} مغلقة؛ ادمج في تذكرة مفتوحة",
    "zh-hans": "工单 {number} 已关闭；请合并到未关闭的工单",
}
EMPTY_REPLY = {
    "ar": "تحتاج الرسالة إلى نص أو مرفق",
    "zh-hans": "消息需要文字或附件",
}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("language", ["ar", "zh-hans"])
def test_a_refused_merge_says_why_in_the_agents_language(
    language, it_desk, agent_on, make_user, make_ticket
):
    agent = agent_on(it_desk, Role.AGENT, language=language)
    requester = make_user(is_employee=True)
    source = make_ticket(it_desk, requester, subject="VPN drops again")
    target = make_ticket(it_desk, requester, subject="VPN drops")
    update_ticket(target, actor=agent, changes={"status": "closed"})

    page = client_for(agent).post(
        f"/tickets/{source.number}/merge/", {"target": target.number}, follow=True
    )
    shown = page.content.decode()
    assert CLOSED_TARGET[language].format(number=target.number) in shown
    assert "merge into an open ticket" not in shown
    source.refresh_from_db()
    assert source.merged_into_id is None


@pytest.mark.parametrize("language", ["ar", "zh-hans"])
def test_an_empty_reply_is_refused_in_the_agents_language(
    language, it_desk, agent_on, make_user, make_ticket
):
    agent = agent_on(it_desk, Role.AGENT, language=language)
    ticket = make_ticket(it_desk, make_user(is_employee=True))

    response = client_for(agent).post(
        f"/tickets/{ticket.number}/reply/", {"body": "  ", "seen_event": last_event_id(ticket)}
    )
    assert response.status_code == 422
    assert response.context["warning"] == EMPTY_REPLY[language]
    assert "a message needs a text" not in response.content.decode()
    assert ticket.messages.count() == 1


def test_an_english_speaking_agent_reads_the_services_own_words(
    it_desk, agent_on, make_user, make_ticket
):
    agent = agent_on(it_desk, Role.AGENT, language="en")
    ticket = make_ticket(it_desk, make_user(is_employee=True))
    response = client_for(agent).post(
        f"/tickets/{ticket.number}/reply/", {"body": "", "seen_event": last_event_id(ticket)}
    )
    assert response.context["warning"] == "a message needs a text or an attachment"
