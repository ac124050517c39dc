"""The agent's ticket page shows what triage predicted, with its confidence, and lets
the agent accept or reject a suggestion there."""

import pytest
from django.test import Client

from deskline.desks.models import Role
from deskline.tickets.services import open_ticket, update_ticket
from deskline.triage.models import Outcome, Prediction


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _open(history, make_user, capture, text, chosen=None):
    with capture(execute=True):
        return open_ticket(
            desk=history.desk,
            subject=text[:80],
            body_text=text,
            requester=make_user(),
            category=history.desk.categories.get(path=chosen) if chosen else None,
        )


def test_the_ticket_page_shows_suggestions_and_the_agent_accepts_one(
    history, make_user, django_capture_on_commit_callbacks
):
    text, expected = history.held_out[0]
    chosen = next(p for _, p in history.held_out if p != expected)
    # The requester chose a category already: triage can only suggest its own.
    ticket = _open(history, make_user, django_capture_on_commit_callbacks, text, chosen)
    suggestion = Prediction.objects.get(ticket=ticket, field="category")
    assert suggestion.outcome in (Outcome.SUGGESTED, Outcome.OUT_OF_SCOPE)
    agent = _client(history.agent)
    page = agent.get(f"/tickets/{ticket.number}/").content.decode()
    assert 'id="triage-panel"' in page
    assert suggestion.label in page and f"{round(suggestion.confidence * 100)} %" in page
    action = f"/triage/tickets/{ticket.number}/predictions/{suggestion.pk}/"
    assert f'action="{action}"' in page
    assert 'data-field="language" data-outcome="detected"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = agent.post(action, {"decision": "accept"})
    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.number}/"
    suggestion.refresh_from_db()
    ticket.refresh_from_db()
    assert suggestion.outcome == Outcome.ACCEPTED and suggestion.decided_by == history.agent
    assert ticket.category.path == suggestion.label
    page = agent.get(f"/tickets/{ticket.number}/").content.decode()
    assert f'action="{action}"' not in page  # decided: no buttons any more
    # Twice: said plainly on the page, nothing changes.
    again = agent.post(action, {"decision": "reject"}, follow=True).content.decode()
    assert "already accepted" in again
    suggestion.refresh_from_db()
    assert suggestion.outcome == Outcome.ACCEPTED


def test_only_the_desks_editing_agents_decide(
    history, make_user, agent_on, django_capture_on_commit_callbacks
):
    text, expected = history.held_out[1]
    chosen = next(p for _, p in history.held_out if p != expected)
    ticket = _open(history, make_user, django_capture_on_commit_callbacks, text, chosen)
    suggestion = Prediction.objects.get(ticket=ticket, field="category")
    action = f"/triage/tickets/{ticket.number}/predictions/{suggestion.pk}/"
    viewer = agent_on(history.desk, Role.LIGHT_AGENT)
    page = _client(viewer).get(f"/tickets/{ticket.number}/").content.decode()
    assert 'id="triage-panel"' in page and f'action="{action}"' not in page
    assert _client(viewer).post(action, {"decision": "reject"}).status_code == 302
    assert _client(make_user()).post(action, {"decision": "reject"}).status_code == 404
    assert _client(ticket.requester).post(action, {"decision": "reject"}).status_code in (302, 404)
    assert _client(history.agent).post(action, {"decision": "maybe"}).status_code == 404
    assert _client(history.agent).get(action).status_code == 405
    suggestion.refresh_from_db()
    assert suggestion.outcome in (Outcome.SUGGESTED, Outcome.OUT_OF_SCOPE)
    assert suggestion.decided_by is None


def test_the_panel_speaks_the_agents_language(
    history, make_user, django_capture_on_commit_callbacks
):
    """Outcomes, priorities, types and teams read as the rest of the page does, not as
    the API's words ("Suggested to the agent", "high", a team's slug)."""
    from deskline.desks.services import create_team

    text, _ = history.held_out[0]
    ticket = _open(history, make_user, django_capture_on_commit_callbacks, text)
    team = create_team(history.desk, name="Réseau et VPN", slug="network")
    for field, label in (("priority", "high"), ("type", "incident"), ("team", team.slug)):
        Prediction.objects.create(
            ticket=ticket, field=field, label=label, confidence=0.5, outcome=Outcome.SUGGESTED
        )
    history.agent.language = "ar"
    history.agent.save(update_fields=["language"])
    page = _client(history.agent).get(f"/tickets/{ticket.number}/").content.decode()
    panel = page[page.index('id="triage-panel"') :]
    panel = panel[: panel.index("</section>")]
    assert "مقترح على الوكيل" in panel and "Suggested to the agent" not in panel
    assert "<strong>عالية</strong>" in panel and "<strong>high</strong>" not in panel
    assert "<strong>حادث</strong>" in panel and "<strong>incident</strong>" not in panel
    assert "<strong>Réseau et VPN</strong>" in panel
    # The language triage detected, by its name: this ticket is English.
    assert "<strong>الإنجليزيّة</strong>" in panel and "<strong>en</strong>" not in panel


@pytest.mark.parametrize(
    "code, language, shown",
    [
        ("zh", "ar", "الصينية"),
        ("zh", "zh-hans", "中文"),
        ("ar", "zh-hans", "阿拉伯语"),
        ("xx", "en", "xx"),
    ],
)
def test_the_detected_language_reads_by_its_name(code, language, shown):
    from django.utils import translation

    from deskline.triage.services.panel import _language_name

    with translation.override(language):
        assert _language_name(code) == shown


def test_a_correction_points_the_way_arabic_reads(
    history, make_user, django_capture_on_commit_callbacks
):
    """'triage's label → the agent's' read backwards right to left."""
    text, _ = history.held_out[0]
    ticket = _open(history, make_user, django_capture_on_commit_callbacks, text)
    prediction = Prediction.objects.get(ticket=ticket, field="category")
    other = next(p for _, p in history.held_out if p != prediction.label)
    with django_capture_on_commit_callbacks(execute=True):
        update_ticket(ticket, actor=history.agent, changes={"category": other})
    page = _client(history.agent).get(f"/tickets/{ticket.number}/").content.decode()
    assert f"→ <bdi>{other}</bdi>" in page
    history.agent.language = "ar"
    history.agent.save(update_fields=["language"])
    page = _client(history.agent).get(f"/tickets/{ticket.number}/").content.decode()
    assert f"← <bdi>{other}</bdi>" in page and f"→ <bdi>{other}</bdi>" not in page


@pytest.mark.parametrize(
    "language, said",
    [("ar", "هذا التوقع مقبول بالفعل"), ("zh-hans", "此预测已被接受"), ("en", "already accepted")],
)
def test_a_second_decision_is_refused_in_the_agents_language(
    language, said, it_desk, agent_on, make_user, make_ticket
):
    """A double click on the panel: the second decision conflicts with the first."""
    agent = agent_on(it_desk, Role.AGENT, language=language)
    ticket = make_ticket(it_desk, make_user(is_employee=True))
    decided = Prediction.objects.create(
        ticket=ticket, field="priority", label="high", confidence=0.8, outcome=Outcome.ACCEPTED
    )
    action = f"/triage/tickets/{ticket.number}/predictions/{decided.pk}/"
    page = _client(agent).post(action, {"decision": "reject"}, follow=True).content.decode()
    assert said in page
    if language != "en":
        assert "already accepted" not in page
    decided.refresh_from_db()
    assert decided.outcome == Outcome.ACCEPTED
