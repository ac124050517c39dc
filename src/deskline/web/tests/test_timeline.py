"""How the ticket page's timeline words changes to custom fields."""

import html

import pytest
from django.test import Client

from deskline.desks.models import CustomField, Role
from deskline.tickets.services import update_ticket


@pytest.fixture
def fields(it_desk):
    for position, (key, label, kind) in enumerate(
        [("asset", "Asset tag", "text"), ("vip", "VIP", "checkbox"), ("os", "System", "choice")]
    ):
        CustomField.objects.create(
            desk=it_desk,
            key=key,
            label=label,
            field_type=kind,
            position=position,
            choices=["Windows", "macOS"] if kind == "choice" else [],
        )


def timeline_of(user, ticket) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(f"/tickets/{ticket.number}/")
    assert response.status_code == 200
    text = response.content.decode()
    return html.unescape(text[text.index('id="timeline"') :])


def test_a_custom_field_change_reads_label_old_and_new(
    it_desk, fields, agent_on, make_user, make_ticket
):
    agent = agent_on(it_desk, Role.AGENT)
    ticket = make_ticket(it_desk, make_user(), custom_fields={"asset": "LT-1", "os": "Windows"})
    update_ticket(
        ticket, actor=agent, changes={"custom_fields": {"asset": "LT-2", "vip": True, "os": None}}
    )
    timeline = timeline_of(agent, ticket)
    assert "Asset tag: LT-1 → LT-2" in timeline
    assert "VIP: — → yes" in timeline
    assert "System: Windows → —" in timeline
    assert "{'asset'" not in timeline and '"asset"' not in timeline
    # Fields in the desk's order, each once; an unchanged field is not listed.
    assert timeline.index("Asset tag:") < timeline.index("VIP:") < timeline.index("System:")
    update_ticket(ticket, actor=agent, changes={"custom_fields": {"vip": False}})
    timeline = timeline_of(agent, ticket)
    assert "VIP: yes → no" in timeline
    assert timeline.count("Asset tag:") == 1


def test_custom_field_changes_are_translated(it_desk, fields, agent_on, make_user, make_ticket):
    agent = agent_on(it_desk, Role.AGENT, language="ar")
    ticket = make_ticket(it_desk, make_user(), custom_fields={"asset": "LT-1"})
    update_ticket(ticket, actor=agent, changes={"custom_fields": {"asset": "LT-2", "vip": True}})
    timeline = timeline_of(agent, ticket)
    assert "غيّر الحقول:" in timeline
    assert "Asset tag: LT-1 ← LT-2" in timeline
    assert "VIP: — ← نعم" in timeline


EVENTS = [
    ("possible_major_incident", "", {"cluster": 1, "requesters": 7}),
    ("sla_started", "", {"policy": "Standard", "resolution_due_at": None}),
    ("sla_warning", "resolution", {"due_at": None, "policy": "Standard"}),
    ("sla_breached", "resolution", {"due_at": None, "policy": "Standard"}),
    ("sla_met", "", {"metrics": ["first_response"]}),
    ("sla_paused", "", {"metrics": ["resolution"]}),
    ("sla_resumed", "", {"metrics": ["resolution"]}),
    ("slip_flagged", "idle", {"since": "2026-12-07T10:00:00+00:00"}),
    ("trigger_fired", "trigger", {"name": "Auto-reply", "outcome": "ok"}),
    ("rule_applied", "scheduled_rule", {"name": "Remind after 72 h", "outcome": "ok"}),
]


@pytest.mark.parametrize("language", ["en", "ar", "zh-hans"])
def test_system_events_read_as_sentences_not_codes(
    language, it_desk, agent_on, make_user, make_ticket
):
    """Triage, SLA and automation write events the timeline used to show as their codes
    ("sla_started", "possible_major_incident") in every language."""
    from deskline.tickets.models import TicketEvent

    agent = agent_on(it_desk, Role.AGENT)
    agent.language = language
    agent.save(update_fields=["language"])
    ticket = make_ticket(it_desk, make_user())
    for kind, field, after in EVENTS:
        TicketEvent.objects.create(ticket=ticket, kind=kind, field=field, after=after)
    timeline = timeline_of(agent, ticket)
    for kind, _, _ in EVENTS:
        assert kind not in timeline
    assert "7" in timeline and "Standard" in timeline and "Auto-reply" in timeline


def test_a_requester_sees_where_their_merged_request_went(
    it_desk, agent_on, make_user, make_ticket
):
    """Triage merges the same request again into the first one: the requester's second
    ticket showed only 'Closed', its message gone, with no word of where."""
    from deskline.tickets.services import merge_tickets

    requester = make_user()
    first = make_ticket(it_desk, requester, "VPN drops")
    again = make_ticket(it_desk, requester, "VPN still drops")
    merge_tickets(again, first, actor=None)
    client = Client()
    client.force_login(requester)

    def portal(ticket) -> str:
        page = client.get(f"/portal/requests/{ticket.number}/")
        assert page.status_code == 200
        return html.unescape(page.content.decode())

    assert f"merged this ticket into {first.number}" in portal(again)
    assert f"merged {again.number} into this ticket" in portal(first)
    # Assignments and other desk-side changes stay the desk's.
    agent = agent_on(it_desk, Role.AGENT)
    update_ticket(first, actor=agent, changes={"assignee": agent.email})
    assert "changed Assignee" not in portal(first)


@pytest.mark.parametrize(
    "language, sentences",
    [
        ("en", ["escalated to L2, team second-line: needs an expert", "moved down to L1"]),
        ("ar", ["صُعّدت إلى المستوى L2، الفريق second-line: needs an expert", "أُعيدت إلى"]),
        ("zh-hans", ["已升级到 L2，团队 second-line：needs an expert", "已降级到 L1"]),
    ],
)
def test_escalations_and_reassignments_read_as_sentences(
    language, sentences, it_desk, agent_on, make_user, make_ticket
):
    """Escalating, de-escalating and taking a ticket from an absent agent showed their
    codes on the ticket page in every language."""
    from deskline.desks.models import Team
    from deskline.routing.services.assignment import reassign
    from deskline.routing.services.escalation import deescalate, escalate

    Team.objects.create(desk=it_desk, name="First line", slug="first-line", tier=1)
    Team.objects.create(desk=it_desk, name="Second line", slug="second-line", tier=2)
    agent = agent_on(it_desk, Role.AGENT)
    agent.language = language
    agent.save(update_fields=["language"])
    ticket = make_ticket(it_desk, make_user())
    escalate(ticket, actor=agent, reason="needs an expert")
    deescalate(ticket, actor=agent, reason="answered by the expert")
    reassign(ticket.pk, reason="agent away longer than 30 minutes", actor=agent)
    timeline = timeline_of(agent, ticket)
    for sentence in sentences:
        assert sentence in timeline
    assert "agent away longer than 30 minutes" in timeline
    for code in ("escalated ·", "deescalated", "reassigned"):
        assert code not in timeline
