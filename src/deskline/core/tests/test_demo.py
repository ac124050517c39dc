"""`deskline demo`: the data it loads, read back through the models."""

import re
from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from deskline.accounts.models import Organization, User
from deskline.desks.models import Category, CustomField, Desk, DeskMembership, Role, Team
from deskline.tickets.choices import Status
from deskline.tickets.models import Message, Ticket, TicketEvent, TicketLink

ARABIC = re.compile(r"[\u0600-\u06ff]")
CJK = re.compile(r"[\u4e00-\u9fff]")
SCRIPT = {"ar": ARABIC, "zh-hans": CJK}


def run_demo(**options):
    out = StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def demo(db):
    return run_demo(tickets=40)


def test_three_desks_with_teams_categories_and_fields(demo):
    desks = {d.slug: d for d in Desk.objects.all()}
    assert set(desks) == {"it", "support", "hr"}
    assert (desks["it"].prefix, desks["it"].visibility) == ("IT", "internal")
    assert (desks["support"].prefix, desks["support"].visibility) == ("SUP", "external")
    assert (desks["hr"].prefix, desks["hr"].visibility) == ("HR", "internal")
    assert set(Team.objects.filter(desk=desks["it"]).values_list("tier", flat=True)) == {1, 2, 3}
    for desk in desks.values():
        assert Team.objects.filter(desk=desk).count() >= 2
        assert Category.objects.filter(desk=desk, parent__isnull=False).count() >= 4
        assert CustomField.objects.filter(desk=desk).count() >= 2
        assert Ticket.objects.filter(desk=desk).exists(), desk.slug
    assert Category.objects.filter(desk=desks["it"], path="access/vpn").exists()
    assert Ticket.objects.count() == 40


def test_requests_are_written_in_english_arabic_and_chinese(demo):
    tickets = list(Ticket.objects.select_related("requester"))
    subjects = [t.subject for t in tickets]
    assert any(ARABIC.search(s) for s in subjects)
    assert any(CJK.search(s) for s in subjects)
    assert any(not ARABIC.search(s) and not CJK.search(s) for s in subjects)
    # Each request is in its requester's language.
    for ticket in tickets:
        pattern = SCRIPT.get(ticket.requester.language)
        if pattern is not None:
            assert pattern.search(ticket.subject), (ticket.number, ticket.subject)
        else:
            assert not ARABIC.search(ticket.subject) and not CJK.search(ticket.subject)
    languages = set(User.objects.filter(is_staff=False).values_list("language", flat=True))
    assert {"en", "ar", "zh-hans"} <= languages


def test_tickets_vary(demo):
    tickets = Ticket.objects.all()
    assert set(tickets.values_list("status", flat=True)) == set(Status.values)
    assert len(set(tickets.values_list("channel", flat=True))) >= 4
    assert len(set(tickets.values_list("ticket_type", flat=True))) >= 3
    assert len(set(tickets.values_list("priority", flat=True))) >= 3
    assert tickets.filter(assignee__isnull=False).count() >= 20
    assert tickets.exclude(custom_fields={}).exists()
    assert tickets.filter(tags__isnull=False).exists()
    # Internal desks serve employees, the external one customers.
    assert not tickets.filter(desk__slug__in=["it", "hr"], requester__is_employee=False).exists()
    assert not tickets.filter(desk__slug="support", requester__is_employee=True).exists()
    assert Organization.objects.filter(shared_tickets=True).exclude(domains=[]).exists()


def test_every_ticket_has_its_history(demo):
    now = timezone.now()
    for ticket in Ticket.objects.all():
        events = list(ticket.events.order_by("created_at", "id"))
        assert events[0].kind == "created", ticket.number
        assert events[0].created_at == ticket.created_at
        # Backdated in order: time order is write order, all in the past 90-odd days.
        assert [e.id for e in events] == sorted(e.id for e in events), ticket.number
        assert now - timedelta(days=93) < ticket.created_at < now
        assert all(ticket.created_at <= e.created_at < now for e in events)
        assert ticket.updated_at >= ticket.created_at
        # Replaying the status events gives the ticket's status.
        status = events[0].after["status"]
        for event in events[1:]:
            if event.kind == "field_changed" and event.field == "status":
                assert event.before == status, ticket.number
                status = event.after
            elif event.kind == "merged_into":
                status = Status.CLOSED
        assert status == ticket.status, ticket.number
        if ticket.merged_into_id is None:
            assert ticket.messages.exists(), ticket.number
        else:
            # A merged ticket's messages now live on the ticket it was merged into.
            assert ticket.status == Status.CLOSED
            assert Message.objects.filter(
                ticket_id=ticket.merged_into_id, created_at__lte=ticket.closed_at
            ).exists()
        if ticket.status in (Status.SOLVED, Status.CLOSED) and ticket.merged_into_id is None:
            assert ticket.solved_at is not None and ticket.solved_at >= ticket.created_at
        if ticket.first_response_at is not None:
            assert ticket.first_response_at >= ticket.created_at


def test_conversations_notes_merges_and_links(demo):
    agents = User.objects.filter(desk_memberships__isnull=False)
    assert Message.objects.filter(internal=True).exists()
    assert Message.objects.filter(internal=False, author__in=agents).count() >= 20
    assert Message.objects.filter(internal=False).exclude(author__in=agents).count() > 40
    assert Ticket.objects.filter(merged_into__isnull=False).exists()
    assert TicketEvent.objects.filter(kind="merged_from").exists()
    assert TicketLink.objects.exists()
    assert TicketEvent.objects.filter(kind="field_changed", field="assignee").exists()
    # Light agents only ever write internal notes.
    light = User.objects.filter(desk_memberships__role=Role.LIGHT_AGENT).distinct()
    for message in Message.objects.filter(author__in=light, internal=False):
        role = DeskMembership.objects.get(user=message.author, desk=message.ticket.desk).role
        assert role != Role.LIGHT_AGENT


def test_demo_people_can_sign_in(demo):
    assert "demo-password" in demo
    assert "layla.haddad@deskline.demo" in demo
    assert Client().login(username="layla.haddad@deskline.demo", password="demo-password")
    assert Client().login(username="wang.wei@deskline.demo", password="demo-password")
    admin = authenticate(username="admin@deskline.demo", password="demo-password")
    assert admin is not None and admin.is_superuser
    assert authenticate(username="layla.haddad@deskline.demo", password="wrong") is None
    agents = User.objects.filter(email__endswith="@deskline.demo", is_superuser=False)
    assert agents.count() >= 12
    assert any(ARABIC.search(a.name) for a in agents)
    assert any(CJK.search(a.name) for a in agents)
    roles = set(DeskMembership.objects.values_list("role", flat=True))
    assert roles == {Role.SUPERVISOR, Role.AGENT, Role.LIGHT_AGENT}
    assert User.objects.filter(is_employee=True, desk_memberships__isnull=True).count() >= 20
    assert User.objects.filter(is_employee=False, is_superuser=False).count() >= 30


def test_second_run_refuses_unless_reset(demo):
    numbers = set(Ticket.objects.values_list("number", flat=True))
    with pytest.raises(CommandError, match="--reset"):
        run_demo(tickets=5)
    assert set(Ticket.objects.values_list("number", flat=True)) == numbers

    output = run_demo(tickets=12, reset=True)
    assert "deleted the previous demo data" in output
    assert Ticket.objects.count() == 12
    assert Desk.objects.count() == 3
    assert User.objects.filter(email="layla.haddad@deskline.demo").count() == 1
    assert Client().login(username="layla.haddad@deskline.demo", password="demo-password")
    # Numbering starts again on the fresh desks.
    assert Ticket.objects.filter(desk__slug="it", sequence=1).exists()


@pytest.mark.django_db
def test_prefix_taken_by_another_desk_is_refused():
    Desk.objects.create(name="Helpdesk", slug="helpdesk", prefix="IT")
    with pytest.raises(CommandError, match="prefix"):
        run_demo(tickets=5, reset=True)
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_leftover_demo_agents_need_reset():
    User.objects.create_user("layla.haddad@deskline.demo", password="old-password-1")
    with pytest.raises(CommandError, match="--reset"):
        run_demo(tickets=5)
    run_demo(tickets=5, reset=True)
    assert Ticket.objects.count() == 5
    assert authenticate(username="layla.haddad@deskline.demo", password="demo-password")


@pytest.mark.django_db
def test_same_seed_gives_the_same_data():
    fixed = timezone.now() - timedelta(minutes=1)

    def snapshot(seed):
        with mock.patch("deskline.core.management.commands.demo.timezone") as tz:
            tz.now.return_value = fixed
            run_demo(tickets=15, seed=seed, reset=True)
        return list(
            Ticket.objects.order_by("number").values_list(
                "number", "subject", "status", "channel", "requester__email", "created_at"
            )
        )

    first = snapshot(7)
    assert snapshot(7) == first
    assert snapshot(8) != first


def test_open_tickets_run_sla_clocks_and_new_tickets_are_routed(
    demo, django_capture_on_commit_callbacks
):
    from deskline.routing.models import DeskRouting
    from deskline.sla.calendar import is_business_time
    from deskline.sla.models import SlaTimer, TimerState
    from deskline.sla.services.breaches import check_all_due
    from deskline.sla.services.calendars import business_calendar
    from deskline.tickets.services import hooks, open_ticket

    running = SlaTimer.objects.filter(state=TimerState.RUNNING, due_at__isnull=False)
    assert running.exists()
    # Every unfinished ticket is timed; none of the finished ones has a running clock.
    active = Ticket.objects.filter(status__in=["new", "open", "pending", "on_hold"])
    assert set(active.values_list("pk", flat=True)) == set(
        SlaTimer.objects.values_list("ticket_id", flat=True)
    )
    assert not running.filter(ticket__status__in=["solved", "closed"]).exists()
    assert not running.filter(ticket__status__in=["pending", "on_hold"]).exists()
    for timer in running.select_related("ticket", "policy__calendar"):
        # Clocks count from when the ticket was opened (the demo's past), in office hours.
        assert timer.started_at <= timer.ticket.created_at + timedelta(seconds=1)
        assert timer.policy is not None and timer.policy.calendar.country == "GB"
    started = TicketEvent.objects.filter(kind="sla_started").select_related("ticket")
    assert started.exists()
    for sla_event in started:
        history = TicketEvent.objects.filter(ticket=sla_event.ticket).exclude(pk=sla_event.pk)
        assert sla_event.created_at == max(e.created_at for e in history)
    assert DeskRouting.objects.count() == 3
    # Clocks that ran out in the simulated past are breached then, without a flood of
    # actions on the first scheduler tick.
    breached = SlaTimer.objects.filter(breached_at__isnull=False)
    assert breached.exists()
    assert all(t.breached_at == t.due_at for t in breached)
    assert check_all_due() == {"checked": 0, "warned": 0, "breached": 0}

    it = Desk.objects.get(slug="it")
    requester = User.objects.filter(requested_tickets__desk=it).first()
    with hooks.all_inline(), django_capture_on_commit_callbacks(execute=True):
        ticket = open_ticket(desk=it, subject="VPN down", requester=requester, body_text="x")
    ticket.refresh_from_db()
    assert ticket.team.slug == "service-desk" and ticket.assignee is not None
    timer = SlaTimer.objects.get(ticket=ticket, metric="first_response")
    calendar = business_calendar(timer.policy.calendar)
    assert timer.state == TimerState.RUNNING
    assert is_business_time(timer.due_at - timedelta(seconds=1), calendar)


def test_issue_5_done_when_on_demo_data(demo, django_capture_on_commit_callbacks):
    from deskline.desks.models import TeamMembership
    from deskline.routing.services.escalation import escalate
    from deskline.sla.models import Notification, SlaTimer
    from deskline.sla.services.breaches import check_due_timers
    from deskline.tickets.services import add_message, hooks, open_ticket, update_ticket

    it = Desk.objects.get(slug="it")
    requester = User.objects.filter(requested_tickets__desk=it).first()

    def act(call, *args, **kwargs):
        with hooks.all_inline(), django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    ticket = act(open_ticket, desk=it, subject="VPN", requester=requester, body_text="x")
    ticket.refresh_from_db()
    assert ticket.team.tier == 1 and ticket.assignee is not None and ticket.priority == "normal"
    act(escalate, ticket, actor=ticket.assignee, reason="Concentrator fault", tier=2)
    ticket.refresh_from_db()
    assert ticket.tier == 2 and ticket.team.tier == 2
    assert TeamMembership.objects.filter(team=ticket.team, user=ticket.assignee).exists()
    act(update_ticket, ticket, actor=ticket.assignee, changes={"status": "pending"})
    assert set(SlaTimer.objects.filter(ticket=ticket).values_list("state", flat=True)) == {"paused"}
    act(add_message, ticket, actor=requester, author=requester, body_text="Still down")
    timer = SlaTimer.objects.get(ticket=ticket, metric="first_response")
    assert timer.state == "running"
    act(check_due_timers, now=timer.due_at + timedelta(seconds=1))
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    supervisors = DeskMembership.objects.filter(desk=it, role=Role.SUPERVISOR).values("user")
    assert Notification.objects.filter(
        user__in=supervisors, ticket=ticket, kind="sla_breached"
    ).exists()
    kinds = list(ticket.events.order_by("created_at", "id").values_list("kind", flat=True))
    for kind in ("created", "sla_started", "escalated", "sla_paused", "sla_resumed"):
        assert kind in kinds, kind
    assert kinds.index("sla_breached") > kinds.index("sla_resumed")
