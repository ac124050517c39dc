"""Changing calendars and policies through the API: who may, field errors, and running
clocks following the change."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks.signals import task_enqueued

from deskline.desks.services import create_desk
from deskline.sla.calendar import WEEKDAYS, add_business_time
from deskline.sla.models import Calendar, SlaPolicy, SlaTimer, TimerState
from deskline.sla.services.attention import ticket_attention
from deskline.sla.services.calendars import business_calendar
from deskline.sla.services.resync import reschedule_calendar, resync_desk
from deskline.sla.services.timers import sync_ticket

ALL_WEEK = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
MORNINGS = {d: [["08:00", "09:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def _errors(response):
    return [e["field"] for e in response.json()["errors"]]


@pytest.fixture
def admin(admin_user, api_for):
    return api_for(admin_user)


@pytest.fixture
def calendar_id(admin):
    created = admin.post("/sla/calendars", {"name": "Always", "hours": ALL_WEEK})
    assert created.status_code == 201
    return created.json()["id"]


def test_admins_change_calendars_field_by_field(
    admin, calendar_id, it_desk, agent_on, api_for, make_user
):
    assert admin.post("/sla/calendars", {"name": "Other", "hours": ALL_WEEK}).status_code == 201
    for body, field in [
        ({"hours": {"mon": [["10:00", "09:00"]]}}, "hours"),
        ({"time_zone": "Nowhere/City"}, "time_zone"),
        ({"name": "Other"}, "name"),
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"desk": "it"}, "desk"),
    ]:
        response = admin.patch(f"/sla/calendars/{calendar_id}", body)
        assert response.status_code == 422, body
        assert _errors(response) == [field], body
    unchanged = Calendar.objects.get(pk=calendar_id)
    assert (unchanged.name, unchanged.hours) == ("Always", ALL_WEEK)

    changed = admin.patch(
        f"/sla/calendars/{calendar_id}", {"hours": MORNINGS, "time_zone": "Asia/Tokyo"}
    )
    assert changed.status_code == 200
    assert changed.json()["hours"] == MORNINGS and changed.json()["name"] == "Always"
    assert Calendar.objects.get(pk=calendar_id).time_zone == "Asia/Tokyo"
    assert admin.patch("/sla/calendars/99999", {"name": "x"}).status_code == 404

    supervisor = api_for(agent_on(it_desk, role="supervisor"))
    assert supervisor.patch(f"/sla/calendars/{calendar_id}", {"name": "x"}).status_code == 403
    assert supervisor.get(f"/sla/calendars/{calendar_id}").json()["name"] == "Always"
    assert api_for(make_user()).get("/sla/calendars").status_code == 403


def test_closing_days_are_listed_with_names_and_can_be_removed(admin, calendar_id):
    url = f"/sla/calendars/{calendar_id}"
    body = {"dates": [{"date": "2026-05-01", "name": "Labour day"}, {"date": "2026-05-08"}]}
    assert admin.post(f"{url}/holidays", body).status_code == 200
    days = admin.get(url).json()["closing_days"]
    assert days == [
        {"date": "2026-05-01", "name": "Labour day", "source": "manual"},
        {"date": "2026-05-08", "name": "", "source": "manual"},
    ]
    removed = admin.delete(f"{url}/holidays/2026-05-08")
    assert removed.status_code == 200 and removed.json()["holidays"] == ["2026-05-01"]
    assert admin.delete(f"{url}/holidays/2026-05-08").status_code == 404
    bad = admin.delete(f"{url}/holidays/2026-13-01")
    assert bad.status_code == 422 and _errors(bad) == ["day"]


def test_policies_change_field_by_field_and_only_on_managed_desks(
    admin, calendar_id, it_desk, agent_on, api_for
):
    supervisor = api_for(agent_on(it_desk, role="supervisor"))
    created = supervisor.post(
        "/sla/policies", {"desk": "it", "name": "Std", "first_response_minutes": 60}
    )
    assert created.status_code == 201 and created.json()["is_active"] is True
    url = f"/sla/policies/{created.json()['id']}"
    for body, field in [
        ({"breach_actions": ["explode"]}, "breach_actions"),
        ({"warning_percent": 100}, "warning_percent"),
        ({"warning_percent": None}, "warning_percent"),
        ({"first_response_minutes": None}, "first_response_minutes"),
        ({"calendar": 99999}, "calendar"),
        ({"desk": "hr"}, "desk"),
        ({"name": ""}, "name"),
    ]:
        response = supervisor.patch(url, body)
        assert response.status_code == 422, body
        assert _errors(response) == [field], body
    assert SlaPolicy.objects.get().first_response_minutes == 60

    changed = supervisor.patch(
        url, {"calendar": calendar_id, "resolution_minutes": 480, "priorities": ["high"]}
    )
    assert changed.status_code == 200
    assert (changed.json()["calendar"], changed.json()["resolution_minutes"]) == (calendar_id, 480)
    assert changed.json()["first_response_minutes"] == 60
    assert supervisor.patch(url, {"calendar": None}).json()["calendar"] is None

    assert api_for(agent_on(it_desk)).patch(url, {"name": "x"}).status_code == 403
    other = create_desk(name="Other", slug="other", prefix="OTH")
    outsider = api_for(agent_on(other, role="supervisor"))
    assert outsider.get(url).status_code in (403, 404)
    assert outsider.patch(url, {"name": "x"}).status_code in (403, 404)
    assert admin.get(url).json()["name"] == "Std"
    assert admin.patch("/sla/policies/99999", {"name": "x"}).status_code == 404


@pytest.fixture
def enqueued():
    """Names of the tasks queued during the test, whatever the task backend."""
    names: list[str] = []

    def heard(sender, task_result, **kwargs):
        names.append(task_result.task.name)

    task_enqueued.connect(heard)
    yield names
    task_enqueued.disconnect(heard)


def test_running_clocks_follow_a_changed_policy_and_calendar(
    admin,
    calendar_id,
    it_desk,
    make_ticket,
    make_user,
    django_capture_on_commit_callbacks,
    enqueued,
):
    with django_capture_on_commit_callbacks(execute=True):
        created = admin.post(
            "/sla/policies",
            {"desk": "it", "name": "Std", "calendar": calendar_id, "first_response_minutes": 60},
        )
    policy_id = created.json()["id"]
    ticket = make_ticket(it_desk, make_user())
    sync_ticket(ticket.pk)
    timer = SlaTimer.objects.get(ticket=ticket, metric="first_response")
    assert timer.due_at == timer.started_at + timedelta(minutes=60)

    with django_capture_on_commit_callbacks(execute=True):
        assert (
            admin.patch(f"/sla/policies/{policy_id}", {"first_response_minutes": 30}).status_code
            == 200
        )
    assert "resync_desk_timers" in enqueued
    assert resync_desk(it_desk.pk) == 1
    timer.refresh_from_db()
    assert timer.target == timedelta(minutes=30)
    assert timer.due_at - timer.running_since <= timedelta(minutes=30)

    # Open one hour, three days from now: the new due time must lie days ahead.
    weekday = WEEKDAYS[(timezone.now() + timedelta(days=3)).weekday()]
    with django_capture_on_commit_callbacks(execute=True):
        admin.patch(f"/sla/calendars/{calendar_id}", {"hours": {weekday: [["10:00", "11:00"]]}})
    assert "reschedule_calendar_timers" in enqueued
    assert reschedule_calendar(calendar_id) == 1
    timer.refresh_from_db()
    expected = add_business_time(
        timer.running_since,
        timer.target - timer.consumed,
        business_calendar(Calendar.objects.get(pk=calendar_id)),
    )
    assert timer.due_at == expected
    assert timer.due_at - timer.running_since > timedelta(days=2)
    # The ticket's SLA attention moment moved with its timer (the at-risk queue reads it).
    ticket.refresh_from_db()
    assert ticket.sla_attention_at == ticket_attention(SlaTimer.objects.filter(ticket=ticket))
    assert ticket.sla_attention_at - timezone.now() > timedelta(days=1)
    assert ticket.sla_due_at == timer.due_at

    with django_capture_on_commit_callbacks(execute=True):
        admin.patch(f"/sla/policies/{policy_id}", {"is_active": False})
    resync_desk(it_desk.pk)
    timer.refresh_from_db()
    assert timer.state == TimerState.STOPPED
