"""Issue 5, done-when, through the API with the real hooks running after each commit:
a new ticket lands with the right team and agent by the desk's rule, shows its
first-response due time in business hours (not counting holidays), an agent escalates it
to L2 with a reason, pending stops the clock, and a breach raises its priority and tells
the supervisor, all in the ticket's timeline."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from deskline.desks.models import TeamMembership
from deskline.desks.services import create_team
from deskline.routing.models import DeskRouting, Mode
from deskline.sla.calendar import add_business_time
from deskline.sla.models import Notification, SlaPolicy, SlaTimer
from deskline.sla.services.breaches import check_due_timers
from deskline.sla.services.calendars import add_holidays, business_calendar, save_calendar

PARIS = ZoneInfo("Europe/Paris")
WEEK = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


@pytest.fixture
def desk(it_desk, agent_on, make_user):
    l1 = create_team(it_desk, name="Service desk", slug="service-desk", tier=1)
    l2 = create_team(it_desk, name="Network", slug="network", tier=2)
    front = [agent_on(it_desk, name=f"Front {i}") for i in range(2)]
    network = agent_on(it_desk, name="Network expert")
    supervisor = agent_on(it_desk, role="supervisor", name="Supervisor")
    for agent in front:
        TeamMembership.objects.create(team=l1, user=agent)
    TeamMembership.objects.create(team=l2, user=network)
    DeskRouting.objects.create(desk=it_desk, mode=Mode.ROUND_ROBIN, default_team=l1)
    calendar = save_calendar(name="Paris", time_zone="Europe/Paris", hours=WEEK, country="FR")
    # Today and the next three days are holidays: the due time must jump past them.
    today = datetime.now(PARIS).date()
    add_holidays(calendar, [(today + timedelta(days=n), "Closed") for n in range(4)])
    SlaPolicy.objects.create(
        desk=it_desk,
        name="Standard",
        calendar=calendar,
        first_response_minutes=120,
        resolution_minutes=8 * 60,
        breach_actions=["notify", "raise_priority"],
    )
    return {
        "desk": it_desk,
        "front": front,
        "network": network,
        "supervisor": supervisor,
        "calendar": calendar,
        "requester": make_user(email="sam@example.com", is_employee=True),
        "today": today,
    }


def test_issue_5_done_when(desk, api_for, django_capture_on_commit_callbacks):
    requester_api = api_for(desk["requester"])
    with django_capture_on_commit_callbacks(execute=True):
        created = requester_api.post(
            "/tickets",
            {"desk": "it", "subject": "VPN drops", "message": {"body_text": "Every hour."}},
        )
    assert created.status_code == 201, created.content
    number = created.json()["number"]
    front_api = api_for(desk["front"][0])
    ticket = front_api.get(f"/tickets/{number}").json()

    # Right team and agent by the desk's rule (round-robin in the L1 team).
    assert ticket["team"]["slug"] == "service-desk"
    assert ticket["assignee"]["email"] == desk["front"][0].email
    # First response due two business hours on, past the four closed days.
    first = next(t for t in ticket["sla"] if t["metric"] == "first_response")
    due = datetime.fromisoformat(first["due_at"])
    created_at = datetime.fromisoformat(ticket["created_at"])
    expected = add_business_time(
        created_at, timedelta(hours=2), business_calendar(desk["calendar"])
    )
    assert due == expected
    assert due.astimezone(PARIS).date() > desk["today"] + timedelta(days=3)
    assert 9 <= due.astimezone(PARIS).hour <= 17 and first["state"] == "ok"

    # The agent escalates to L2 with a reason; the L2 team's agent gets it.
    with django_capture_on_commit_callbacks(execute=True):
        refused = front_api.post(f"/tickets/{number}/escalate", {"reason": "  "})
        escalated = front_api.post(
            f"/tickets/{number}/escalate", {"reason": "VPN concentrator, needs network"}
        )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "reason"
    assert escalated.status_code == 200, escalated.content
    ticket = front_api.get(f"/tickets/{number}").json()
    assert ticket["tier"] == 2 and ticket["team"]["slug"] == "network"
    assert ticket["assignee"]["email"] == desk["network"].email

    # Pending stops the clock; the requester's reply starts it again.
    network_api = api_for(desk["network"])
    with django_capture_on_commit_callbacks(execute=True):
        network_api.patch(f"/tickets/{number}", {"status": "pending"})
    paused = network_api.get(f"/tickets/{number}").json()["sla"]
    assert {t["state"] for t in paused} == {"paused"} and all(t["due_at"] is None for t in paused)
    listed = network_api.get("/tickets", {"sla": "paused"}).json()["items"]
    assert [t["number"] for t in listed] == [number]
    with django_capture_on_commit_callbacks(execute=True):
        requester_api.post(f"/tickets/{number}/messages", {"body_text": "Still dropping."})
    resumed = network_api.get(f"/tickets/{number}").json()
    assert resumed["status"] == "open"
    assert {t["state"] for t in resumed["sla"]} == {"ok"}

    # The scheduler finds the first response breached: priority up, supervisor told.
    timer = SlaTimer.objects.get(ticket_id=ticket["id"], metric="first_response")
    with django_capture_on_commit_callbacks(execute=True):
        check_due_timers(now=timer.due_at + timedelta(seconds=1))
    after = network_api.get(f"/tickets/{number}").json()
    assert after["priority"] == "high"
    first = next(t for t in after["sla"] if t["metric"] == "first_response")
    assert first["state"] == "breached" and first["breached"] is True
    assert [
        t["number"] for t in network_api.get("/tickets", {"sla": "breached"}).json()["items"]
    ] == [number]
    assert Notification.objects.filter(user=desk["supervisor"], kind="sla_breached").exists()
    notices = api_for(desk["supervisor"]).get("/sla/notifications").json()
    assert any(number in n["text"] for n in notices)

    events = network_api.get(f"/tickets/{number}/events").json()
    seen = [(e["kind"], e["field"]) for e in events]
    for expected_event in [
        ("created", ""),
        ("sla_started", ""),
        ("field_changed", "assignee"),
        ("escalated", "tier"),
        ("sla_paused", ""),
        ("sla_resumed", ""),
        ("sla_warning", "first_response"),
        ("sla_breached", "first_response"),
        ("field_changed", "priority"),
    ]:
        assert expected_event in seen, expected_event
    escalation = next(e for e in events if e["kind"] == "escalated")
    assert escalation["after"]["reason"] == "VPN concentrator, needs network"
    assert escalation["actor"]["email"] == desk["front"][0].email
