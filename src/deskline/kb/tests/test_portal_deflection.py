"""Deflection through the real pages: the portal's request form, the suggestions it
loads, the article opened from them, and the admins' report."""

import re

import pytest
from django.test import Client

from deskline.kb import services
from deskline.kb.models import DeflectionEvent
from deskline.tickets.models import Ticket

pytestmark = pytest.mark.django_db

DESCRIPTION = "The VPN client says my password is wrong although it works for mail."


@pytest.fixture
def vpn_article(support_desk):
    return services.create_article(
        support_desk,
        actor=None,
        title="Cannot log in to the VPN",
        body="Reset your VPN password in the account page, then restart the client.",
        state="published",
    )


def _session_of(page: str) -> str:
    found = re.search(r'name="kb_session" id="kb-session" value="([^"]+)"', page)
    assert found, "the request form carries a deflection session"
    return found.group(1)


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_form_suggests_articles_and_a_sent_request_is_not_self_solved(
    support_desk, vpn_article, make_user
):
    client = _signed_in(make_user())
    form = client.get("/portal/support/").content.decode()
    session = _session_of(form)
    assert 'hx-get="/help/support/suggest/"' in form

    # What htmx sends while the requester types (the form's fields, by name).
    fragment = client.get(
        "/help/support/suggest/",
        {"subject": "vpn login fails", "description": "", "kb_session": session},
    ).content.decode()
    assert vpn_article.title in fragment
    assert f"session={session}" in fragment

    client.get(f"/help/support/articles/{vpn_article.pk}/?original=1&session={session}")
    sent = client.post(
        "/portal/support/",
        {"subject": "vpn login fails", "description": DESCRIPTION, "kb_session": session},
    )
    assert sent.status_code == 302
    ticket = Ticket.objects.get()
    kinds = list(
        DeflectionEvent.objects.filter(session=session).order_by("pk").values_list("kind", "ticket")
    )
    assert kinds == [("suggested", None), ("opened", None), ("submitted", ticket.pk)]


def test_a_reshown_form_keeps_its_session(support_desk, make_user):
    client = _signed_in(make_user())
    session = _session_of(client.get("/portal/support/").content.decode())
    again = client.post("/portal/support/", {"subject": "", "kb_session": session})
    assert again.status_code == 422
    assert _session_of(again.content.decode()) == session
    # A forged value is replaced, not stored.
    other = client.post("/portal/support/", {"subject": "", "kb_session": "<script>"})
    assert "<script>" not in _session_of(other.content.decode())


def test_empty_form_records_no_search(support_desk, vpn_article, make_user):
    client = _signed_in(make_user())
    client.get("/help/support/suggest/", {"subject": " ", "kb_session": "abcdefgh12"})
    assert not DeflectionEvent.objects.exists()


def test_answered_button_counts_self_solved_and_report_shows_it(
    support_desk, vpn_article, make_user, agent_on
):
    requester = _signed_in(make_user())
    requester.get("/help/support/suggest/", {"subject": "vpn password", "kb_session": "sessionA1"})
    requester.get(
        "/help/support/suggest/", {"subject": "scanner jammed", "kb_session": "sessionB1"}
    )
    page = requester.get(
        f"/help/support/articles/{vpn_article.pk}/?original=1&session=sessionA1"
    ).content.decode()
    assert "/answered/" in page
    done = requester.post(
        f"/help/support/articles/{vpn_article.pk}/answered/", {"session": "sessionA1"}
    )
    assert done.status_code == 200

    supervisor = _signed_in(agent_on(support_desk, role="supervisor"))
    report = supervisor.get("/help/_report/?days=7").content.decode()
    # Two sessions searched, one solved by the article: 50 %.
    assert re.search(r"<td>2</td><td>1</td><td>0</td><td>50 %</td>", report), report
    assert "scanner jammed" in report
    assert supervisor.get("/help/").content.decode().count("/help/_report/") == 1


def test_report_is_for_admins_and_supervisors_only(support_desk, make_user, agent_on):
    assert _signed_in(make_user()).get("/help/_report/").status_code == 404
    assert _signed_in(agent_on(support_desk)).get("/help/_report/").status_code == 404
    assert Client().get("/help/_report/").status_code == 302
