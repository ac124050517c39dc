"""SLA timers on real tickets: policy choice, start, met, pause/resume, breach and warnings.

Hooks are not run here (no on-commit execution); each test calls sync_ticket with the
moment it wants, so the clock is the test's. test_acceptance runs the hooks for real.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings

from deskline.sla.calendar import add_business_time
from deskline.sla.models import Notification, SlaPolicy, SlaTimer
from deskline.sla.services.breaches import check_due_timers
from deskline.sla.services.calendars import business_calendar, save_calendar
from deskline.sla.services.policies import select_policy
from deskline.sla.services.timers import sync_ticket
from deskline.tickets.models import Ticket, TicketEvent
from deskline.tickets.services import add_message, update_ticket

OFFICE = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
# Monday 2 March 2026, 10:00 in Paris.
MONDAY_10 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def calendar(db):
    cal = save_calendar(name="Paris office", time_zone="Europe/Paris", hours=OFFICE)
    from deskline.sla.services.calendars import add_holidays

    add_holidays(cal, [(date(2026, 3, 3), "Company day")])  # Tuesday closed
    return cal


@pytest.fixture
def policy(it_desk, calendar):
    return SlaPolicy.objects.create(
        desk=it_desk,
        name="Standard",
        position=10,
        calendar=calendar,
        first_response_minutes=8 * 60,
        next_response_minutes=4 * 60,
        resolution_minutes=16 * 60,
        breach_actions=["notify", "raise_priority"],
    )


@pytest.fixture
def ticket(it_desk, make_user, make_ticket, policy):
    ticket = make_ticket(it_desk, make_user())
    Ticket.objects.filter(pk=ticket.pk).update(created_at=MONDAY_10, updated_at=MONDAY_10)
    ticket.refresh_from_db()
    return ticket


def timers_of(ticket) -> dict[str, SlaTimer]:
    return {t.metric: t for t in SlaTimer.objects.filter(ticket=ticket)}


def test_timers_start_with_due_times_in_business_hours_skipping_the_holiday(ticket, calendar):
    sync_ticket(ticket.pk, now=MONDAY_10)
    timers = timers_of(ticket)
    assert set(timers) == {"first_response", "resolution"}
    # 8 business hours from Monday 10:00: 7 on Monday, Tuesday closed, 1 on Wednesday.
    assert timers["first_response"].due_at == datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    assert timers["resolution"].due_at == add_business_time(
        MONDAY_10, timedelta(hours=16), business_calendar(calendar)
    )
    assert timers["first_response"].warn_at == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    started = TicketEvent.objects.get(ticket=ticket, kind="sla_started")
    assert started.after["first_response_due_at"] == "2026-03-04T09:00:00+00:00"
    # Syncing again changes nothing and starts nothing twice.
    sync_ticket(ticket.pk, now=MONDAY_10 + timedelta(hours=1))
    assert timers_of(ticket)["first_response"].due_at == timers["first_response"].due_at
    assert TicketEvent.objects.filter(ticket=ticket, kind="sla_started").count() == 1


def test_the_first_policy_whose_conditions_all_match_wins(it_desk, ticket, policy, organization):
    from deskline.desks.services import create_category

    network = create_category(it_desk, name="Network", slug="network")
    vpn = create_category(it_desk, name="VPN", slug="vpn", parent=network)
    urgent_network = SlaPolicy.objects.create(
        desk=it_desk,
        name="Urgent network",
        position=1,
        priorities=["urgent"],
        categories=["network"],
        first_response_minutes=30,
    )
    gold = SlaPolicy.objects.create(
        desk=it_desk, name="Gold", position=2, customer_tiers=["gold"], first_response_minutes=60
    )
    assert select_policy(ticket) == policy
    Ticket.objects.filter(pk=ticket.pk).update(priority="urgent", category=vpn)
    assert select_policy(Ticket.objects.get(pk=ticket.pk)) == urgent_network
    from deskline.sla.models import CustomerTier

    CustomerTier.objects.create(organization=organization, tier="gold")
    Ticket.objects.filter(pk=ticket.pk).update(priority="normal", organization=organization)
    assert select_policy(Ticket.objects.get(pk=ticket.pk)) == gold
    SlaPolicy.objects.update(is_active=False)
    assert select_policy(ticket) is None


def test_agent_reply_meets_first_response_and_requester_reply_starts_next_response(
    it_desk, agent_on, ticket
):
    agent = agent_on(it_desk)
    sync_ticket(ticket.pk, now=MONDAY_10)
    reply = add_message(ticket, actor=agent, body_text="Looking at it.")
    sync_ticket(ticket.pk, message_id=reply.pk, now=reply.created_at)
    first = timers_of(ticket)["first_response"]
    assert first.state == "met" and first.met_at == reply.created_at and first.check_at is None
    assert "next_response" not in timers_of(ticket)

    note = add_message(ticket, actor=agent, body_text="internal", internal=True)
    sync_ticket(ticket.pk, message_id=note.pk)
    answer = add_message(ticket, actor=ticket.requester, body_text="Still broken.")
    sync_ticket(ticket.pk, message_id=answer.pk, now=answer.created_at)
    following = timers_of(ticket)["next_response"]
    assert following.state == "running" and following.started_at == answer.created_at
    second = add_message(ticket, actor=agent, body_text="Try now.")
    sync_ticket(ticket.pk, message_id=second.pk, now=second.created_at)
    assert timers_of(ticket)["next_response"].state == "met"


def test_pending_pauses_the_clock_and_the_requesters_reply_resumes_it(it_desk, agent_on, ticket):
    agent = agent_on(it_desk)
    sync_ticket(ticket.pk, now=MONDAY_10)
    due_before = timers_of(ticket)["resolution"].due_at
    update_ticket(ticket, actor=agent, changes={"status": "pending"})
    sync_ticket(ticket.pk, now=MONDAY_10 + timedelta(hours=2))  # Monday 12:00
    paused = timers_of(ticket)["resolution"]
    assert paused.state == "paused" and paused.due_at is None and paused.check_at is None
    assert paused.consumed == timedelta(hours=2)
    # Nothing breaches while paused, however late the scheduler looks.
    assert check_due_timers(now=MONDAY_10 + timedelta(days=30))["breached"] == 0

    answer = add_message(ticket, actor=ticket.requester, body_text="Here is the log.")
    ticket.refresh_from_db()
    assert ticket.status == "open"
    # They answer Wednesday 10:00 (Tuesday is a holiday): the clock goes on from there.
    wednesday_10 = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    sync_ticket(ticket.pk, message_id=answer.pk, now=wednesday_10)
    resumed = timers_of(ticket)["resolution"]
    assert resumed.state == "running"
    # 14 business hours left from Wednesday 10:00: 7 Wednesday, 7 Thursday → Thu 16:00.
    assert resumed.due_at == datetime(2026, 3, 5, 15, 0, tzinfo=UTC)
    assert resumed.due_at > due_before
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert "sla_paused" in kinds and "sla_resumed" in kinds


def test_solving_meets_resolution_and_reopening_goes_on(it_desk, agent_on, ticket):
    agent = agent_on(it_desk)
    sync_ticket(ticket.pk, now=MONDAY_10)
    update_ticket(ticket, actor=agent, changes={"status": "solved"})
    sync_ticket(ticket.pk, now=MONDAY_10 + timedelta(hours=3))
    timers = timers_of(ticket)
    assert timers["resolution"].state == "met"
    assert timers["resolution"].consumed == timedelta(hours=3)
    assert timers["first_response"].state == "stopped"
    update_ticket(ticket, actor=agent, changes={"status": "open"})
    sync_ticket(ticket.pk, now=MONDAY_10 + timedelta(hours=5))
    reopened = timers_of(ticket)["resolution"]
    assert reopened.state == "running" and reopened.consumed == timedelta(hours=3)


def test_tick_warns_then_breaches_notifies_and_raises_priority(
    it_desk, agent_on, ticket, django_capture_on_commit_callbacks
):
    supervisor = agent_on(it_desk, role="supervisor")
    sync_ticket(ticket.pk, now=MONDAY_10)
    first = timers_of(ticket)["first_response"]
    # Before the warning nothing is due.
    assert check_due_timers(now=first.warn_at - timedelta(seconds=1))["checked"] == 0
    assert check_due_timers(now=first.warn_at)["warned"] == 1
    assert check_due_timers(now=first.warn_at)["checked"] == 0  # warned once only
    with django_capture_on_commit_callbacks(execute=True):
        done = check_due_timers(now=first.due_at + timedelta(minutes=1))
    assert done["breached"] == 1
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    notice = Notification.objects.get(user=supervisor, kind="sla_breached")
    assert ticket.number in notice.text
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", "field"))
    assert ("sla_warning", "first_response") in kinds
    assert ("sla_breached", "first_response") in kinds
    assert ("field_changed", "priority") in kinds
    assert check_due_timers(now=first.due_at + timedelta(days=1))["breached"] <= 1


def test_a_late_tick_warns_and_breaches_in_one_pass_recording_due_time_and_policy(
    it_desk, agent_on, ticket
):
    supervisor = agent_on(it_desk, role="supervisor")
    sync_ticket(ticket.pk, now=MONDAY_10)
    first, resolution = timers_of(ticket)["first_response"], timers_of(ticket)["resolution"]
    # The worker was down past the first response's warning and due time and the
    # resolution's warning, not its due time.
    assert first.due_at < resolution.warn_at < resolution.due_at
    late = resolution.warn_at + timedelta(minutes=1)

    assert check_due_timers(now=late) == {"checked": 2, "warned": 2, "breached": 1}
    first.refresh_from_db()
    assert first.warned_at == late and first.breached_at == late and first.check_at is None
    events = TicketEvent.objects.filter(ticket=ticket, kind__in=["sla_warning", "sla_breached"])
    assert sorted((e.kind, e.field, e.after["due_at"], e.after["policy"]) for e in events) == [
        ("sla_breached", "first_response", first.due_at.isoformat(), "Standard"),
        ("sla_warning", "first_response", first.due_at.isoformat(), "Standard"),
        ("sla_warning", "resolution", resolution.due_at.isoformat(), "Standard"),
    ]
    assert all(e.created_at == late for e in events)
    told = Notification.objects.filter(user=supervisor, ticket=ticket)
    assert sorted(told.values_list("kind", flat=True)) == [
        "sla_breached",
        "sla_warning",
        "sla_warning",
    ]
    # The resolution timer was only warned: it waits for its due time, then breaches.
    resolution.refresh_from_db()
    assert resolution.warned_at == late and resolution.breached_at is None
    assert resolution.check_at == resolution.due_at
    assert check_due_timers(now=late)["checked"] == 0
    assert check_due_timers(now=resolution.due_at) == {"checked": 1, "warned": 0, "breached": 1}


def test_breach_event_keeps_a_policy_name_with_quotes_tabs_backslashes_and_arabic(ticket, policy):
    # On PostgreSQL events go in by COPY, whose text format escapes these characters.
    name = 'Tier "1"\t\\ خدمة\nnight'
    SlaPolicy.objects.filter(pk=policy.pk).update(name=name)
    sync_ticket(ticket.pk, now=MONDAY_10)
    first = timers_of(ticket)["first_response"]
    assert check_due_timers(now=first.due_at)["breached"] == 1
    breach = TicketEvent.objects.get(ticket=ticket, kind="sla_breached")
    assert breach.after == {"due_at": first.due_at.isoformat(), "policy": name}


def test_raising_the_priority_moves_to_a_stricter_policy_keeping_used_time(
    it_desk, ticket, policy, calendar
):
    SlaPolicy.objects.create(
        desk=it_desk,
        name="Urgent",
        position=1,
        calendar=calendar,
        priorities=["urgent"],
        first_response_minutes=60,
    )
    sync_ticket(ticket.pk, now=MONDAY_10)
    Ticket.objects.filter(pk=ticket.pk).update(priority="urgent")
    sync_ticket(ticket.pk)
    first = timers_of(ticket)["first_response"]
    assert first.policy.name == "Urgent" and first.target == timedelta(hours=1)
    # An hour target, already used up since Monday 10:00: due in the past, breached at tick.
    assert first.due_at <= datetime.now(UTC)
    assert check_due_timers()["breached"] == 1


@pytest.mark.django_db(transaction=True)  # the worker command closes its connection
@override_settings(TICKET_HOOKS_INLINE=False)
def test_outside_the_tests_breach_actions_run_in_the_worker(
    it_desk, agent_on, ticket, django_capture_on_commit_callbacks
):
    """The tick only queues the actions that change tickets, one task per batch, so its
    time does not grow with what each change sets off; the worker applies them."""
    from deskline.core.tasks_db import in_database

    if not in_database():
        pytest.skip("reads the queued task from the database backend's table")
    from django_tasks_db.models import DBTaskResult

    agent_on(it_desk, role="supervisor")
    sync_ticket(ticket.pk, now=MONDAY_10)
    first = timers_of(ticket)["first_response"]
    queued_before = DBTaskResult.objects.filter(task_path__endswith="apply_breach_actions")
    assert not queued_before.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert check_due_timers(now=first.due_at + timedelta(minutes=1))["breached"] == 1
    ticket.refresh_from_db()
    assert ticket.priority == "normal"  # not yet: queued
    task = DBTaskResult.objects.get(task_path__endswith="apply_breach_actions")
    assert task.args_kwargs["args"] == [[[ticket.pk, first.policy_id, "first_response"]]]

    call_command("worker", batch=True, no_fork=True)
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    raised = TicketEvent.objects.filter(ticket=ticket, kind="field_changed", field="priority")
    assert raised.exists()
