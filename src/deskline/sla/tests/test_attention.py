"""The ticket's SLA moments: attention (what the console's "SLA at risk" queue reads
instead of every active ticket's timers) and the soonest due time (the list's SLA
order). They must always agree with the timers themselves."""

from datetime import timedelta

import pytest
from django.utils import timezone

from deskline.desks.models import Role
from deskline.sla.models import SlaPolicy, SlaTimer, TimerState
from deskline.sla.services.attention import refresh, ticket_attention, timer_attention
from deskline.sla.services.display import filter_tickets
from deskline.sla.services.timers import sync_ticket
from deskline.tickets.access import visible_tickets_for_user
from deskline.tickets.models import Ticket
from deskline.tickets.services import update_ticket
from deskline.web.queues import queue_tickets

pytestmark = pytest.mark.django_db


def test_a_timers_moment_by_state():
    now = timezone.now()
    warn, due = now + timedelta(minutes=30), now + timedelta(minutes=60)
    running = SlaTimer(state=TimerState.RUNNING, warn_at=warn, due_at=due)
    assert timer_attention(running) == warn
    marked = SlaTimer(state=TimerState.RUNNING, warned_at=now - timedelta(1), due_at=due)
    assert timer_attention(marked) == now - timedelta(1)
    assert timer_attention(SlaTimer(state=TimerState.RUNNING)) is None
    # Paused: only lateness counts, and a paused clock has no due time.
    paused = SlaTimer(state=TimerState.PAUSED, warned_at=now)
    assert timer_attention(paused) is None
    paused.breached_at = now
    assert timer_attention(paused) == now
    assert timer_attention(SlaTimer(state=TimerState.MET, due_at=due, breached_at=now)) is None
    assert ticket_attention([running, marked, paused]) == now - timedelta(1)


@pytest.fixture
def timed(it_desk, make_user, make_ticket):
    SlaPolicy.objects.create(
        desk=it_desk, name="Hour", first_response_minutes=60, resolution_minutes=600
    )
    requester = make_user()

    def make(minutes_ago: int) -> Ticket:
        ticket = make_ticket(it_desk, requester)
        asked = timezone.now() - timedelta(minutes=minutes_ago)
        Ticket.objects.filter(pk=ticket.pk).update(created_at=asked)
        sync_ticket(ticket.pk)
        ticket.refresh_from_db()
        return ticket

    return make


def test_the_at_risk_queue_agrees_with_the_timers_through_every_change(it_desk, agent_on, timed):
    agent = agent_on(it_desk, Role.AGENT)
    late, risky, fine = timed(120), timed(50), timed(5)
    paused_late, paused_fine, solved = timed(90), timed(10), timed(200)
    for ticket, status in ((paused_late, "pending"), (paused_fine, "pending"), (solved, "solved")):
        update_ticket(ticket, actor=agent, changes={"status": status})
        sync_ticket(ticket.pk)
    # The scheduler's marks (as its tick writes them) never move the moment.
    SlaTimer.objects.filter(ticket=late, due_at__lte=timezone.now()).update(
        breached_at=timezone.now(), warned_at=timezone.now()
    )
    SlaTimer.objects.filter(ticket=paused_late).update(breached_at=timezone.now())
    sync_ticket(paused_late.pk)

    def queue() -> set[int]:
        return set(queue_tickets(agent, "at_risk").values_list("pk", flat=True))

    def by_timers() -> set[int]:
        tickets = visible_tickets_for_user(agent).filter(status__in=["new", "open", "pending"])
        return set(filter_tickets(tickets, "at_risk,breached").values_list("pk", flat=True))

    def due_by_timers() -> dict[int, object]:
        running = SlaTimer.objects.filter(state=TimerState.RUNNING, due_at__isnull=False)
        soonest: dict[int, object] = {}
        for ticket_id, due in running.values_list("ticket_id", "due_at"):
            soonest[ticket_id] = min(due, soonest.get(ticket_id, due))
        return soonest

    def due_stored() -> dict[int, object]:
        return dict(Ticket.objects.filter(sla_due_at__isnull=False).values_list("pk", "sla_due_at"))

    assert queue() == by_timers() == {late.pk, risky.pk, paused_late.pk}
    # The SLA order's due time: the soonest running timer's, none once paused or solved.
    assert due_stored() == due_by_timers()
    assert set(due_stored()) == {late.pk, risky.pk, fine.pk}
    for ticket in (fine, solved, paused_fine):
        ticket.refresh_from_db()
    assert solved.sla_attention_at is None
    assert paused_fine.sla_attention_at is None
    assert fine.sla_attention_at > timezone.now()

    # Back to work: the paused clocks run again and the moments follow.
    update_ticket(paused_fine, actor=agent, changes={"status": "open"})
    sync_ticket(paused_fine.pk)
    assert queue() == by_timers()
    assert due_stored() == due_by_timers()
    assert paused_fine.pk in due_stored()

    # A bulk recomputation finds what the services stored.
    stored = list(Ticket.objects.values_list("pk", "sla_attention_at", "sla_due_at"))
    Ticket.objects.update(sla_attention_at=None, sla_due_at=timezone.now())
    assert refresh() > 0
    assert list(Ticket.objects.values_list("pk", "sla_attention_at", "sla_due_at")) == stored
