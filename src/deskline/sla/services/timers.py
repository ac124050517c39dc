"""SLA timers follow their ticket: started on open, met by replies and solving, paused while
the ticket waits on the requester, resumed on their reply.

`sync_ticket` is called by the ticket hooks after every committed change; it reads the
ticket as it is now and brings its timers in line, so a missed or repeated call heals
on the next one.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from deskline.sla.calendar import add_business_time, business_time_between
from deskline.sla.models import Metric, SlaPolicy, SlaTimer, TimerState
from deskline.sla.services import attention
from deskline.sla.services.calendars import business_calendar
from deskline.sla.services.policies import select_policy
from deskline.tickets.choices import Status
from deskline.tickets.models import Message, Ticket
from deskline.tickets.services.events import event, save_events

WAITING_ON_REQUESTER = {Status.PENDING, Status.ON_HOLD}
WORKING = {Status.NEW, Status.OPEN}
DONE = {Status.SOLVED, Status.CLOSED}
# Metrics that start with the ticket; next response starts on each requester message.
OPENING_METRICS = (Metric.FIRST_RESPONSE, Metric.RESOLUTION)


def next_check(timer: SlaTimer) -> datetime | None:
    if timer.state != TimerState.RUNNING:
        return None
    if timer.warned_at is None and timer.warn_at is not None:
        return timer.warn_at
    if timer.breached_at is None:
        return timer.due_at
    return None


def schedule(timer: SlaTimer, policy: SlaPolicy | None) -> None:
    """Due time, warning time and next check of a running timer."""
    calendar = business_calendar(policy.calendar if policy else None)
    since = timer.running_since
    remaining = max(timer.target - timer.consumed, timedelta(0))
    timer.due_at = add_business_time(since, remaining, calendar)
    percent = policy.warning_percent if policy else 75
    warn_after = timer.target * percent / 100
    if timer.warned_at is None and timer.consumed < warn_after:
        timer.warn_at = add_business_time(since, warn_after - timer.consumed, calendar)
    else:
        timer.warn_at = None
    timer.check_at = next_check(timer)


def _used(timer: SlaTimer, policy: SlaPolicy | None, until: datetime) -> timedelta:
    calendar = business_calendar(policy.calendar if policy else None)
    return timer.consumed + business_time_between(timer.running_since, until, calendar)


def start(timer: SlaTimer, policy: SlaPolicy | None, now: datetime) -> None:
    timer.state = TimerState.RUNNING
    timer.consumed = timedelta(0)
    timer.started_at = timer.running_since = now
    timer.warned_at = timer.breached_at = timer.met_at = None
    schedule(timer, policy)


def pause(timer: SlaTimer, policy: SlaPolicy | None, now: datetime) -> bool:
    if timer.state != TimerState.RUNNING:
        return False
    timer.consumed = _used(timer, policy, now)
    timer.state = TimerState.PAUSED
    timer.running_since = timer.due_at = timer.warn_at = timer.check_at = None
    return True


def resume(timer: SlaTimer, policy: SlaPolicy | None, now: datetime) -> bool:
    if timer.state not in (TimerState.PAUSED, TimerState.MET):
        return False
    timer.state = TimerState.RUNNING
    timer.running_since = now
    timer.met_at = None
    schedule(timer, policy)
    return True


def meet(timer: SlaTimer, policy: SlaPolicy | None, at: datetime) -> bool:
    if timer.state not in (TimerState.RUNNING, TimerState.PAUSED):
        return False
    if timer.state == TimerState.RUNNING:
        timer.consumed = _used(timer, policy, max(at, timer.running_since))
    timer.state = TimerState.MET
    timer.met_at = at
    timer.running_since = timer.warn_at = timer.check_at = None
    return True


def stop(timer: SlaTimer) -> bool:
    if timer.state not in (TimerState.RUNNING, TimerState.PAUSED):
        return False
    timer.state = TimerState.STOPPED
    timer.running_since = timer.warn_at = timer.check_at = None
    return True


def _retarget(timer: SlaTimer, policy: SlaPolicy, minutes: int) -> bool:
    target = timedelta(minutes=minutes)
    if timer.policy_id == policy.pk and timer.target == target:
        return False
    timer.policy = policy
    timer.target = target
    if timer.state == TimerState.RUNNING:
        # Time used so far stays used; only what is left follows the new target.
        now = timezone.now()
        timer.consumed = _used(timer, policy, now)
        timer.running_since = now
        schedule(timer, policy)
    return True


def _message_author_role(message: Message, ticket: Ticket) -> str | None:
    from deskline.tickets.access import AGENT_ROLES, REQUESTER, ticket_role

    if message.internal or message.author is None:
        return None
    role = ticket_role(message.author, ticket)
    if role in AGENT_ROLES:
        return "agent"
    return "requester" if role == REQUESTER else None


def sync_ticket(
    ticket_id: int, *, message_id: int | None = None, now: datetime | None = None
) -> list[SlaTimer]:
    """Bring the ticket's timers in line with the ticket; write what changed to its timeline."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_related("category", "desk").get(pk=ticket_id)
        timers = {
            t.metric: t
            for t in SlaTimer.objects.select_for_update(of=("self",))
            .select_related("policy__calendar")
            .filter(ticket=ticket)
        }
        policy = select_policy(ticket)
        changed: set[str] = set()
        events = []

        started = []
        for metric in OPENING_METRICS:
            minutes = policy.target_minutes(metric) if policy else None
            timer = timers.get(metric)
            if timer is None:
                needed = ticket.status not in DONE and minutes
                if metric == Metric.FIRST_RESPONSE and ticket.first_response_at is not None:
                    needed = False
                if needed:
                    timer = SlaTimer(ticket=ticket, metric=metric, policy=policy)
                    timer.target = timedelta(minutes=minutes)
                    # Counted from when the requester asked, not from when we noticed.
                    start(timer, policy, ticket.created_at)
                    timers[metric] = timer
                    changed.add(metric)
                    started.append(timer)
            elif policy is None or not minutes:
                if stop(timer):
                    changed.add(metric)
            elif _retarget(timer, policy, minutes):
                changed.add(metric)
        if started:
            events.append(
                event(
                    ticket,
                    None,
                    "sla_started",
                    after={
                        "policy": policy.name,
                        **{f"{t.metric}_due_at": t.due_at.isoformat() for t in started},
                    },
                )
            )

        message = (
            Message.objects.select_related("author").filter(pk=message_id, ticket=ticket).first()
            if message_id
            else None
        )
        role = _message_author_role(message, ticket) if message else None
        met = []
        if role == "agent":
            for metric in (Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE):
                timer = timers.get(metric)
                if timer is not None and meet(timer, timer.policy, message.created_at):
                    changed.add(metric)
                    met.append(timer)
        elif role == "requester" and policy and policy.next_response_minutes:
            first = timers.get(Metric.FIRST_RESPONSE)
            waiting_first = first is not None and first.state in (
                TimerState.RUNNING,
                TimerState.PAUSED,
            )
            if not waiting_first and ticket.status not in DONE:
                timer = timers.get(Metric.NEXT_RESPONSE) or SlaTimer(
                    ticket=ticket, metric=Metric.NEXT_RESPONSE
                )
                timer.policy = policy
                timer.target = timedelta(minutes=policy.next_response_minutes)
                if timer.state != TimerState.RUNNING or timer.pk is None:
                    start(timer, policy, message.created_at)
                    timers[Metric.NEXT_RESPONSE] = timer
                    changed.add(Metric.NEXT_RESPONSE)
                    events.append(
                        event(
                            ticket,
                            None,
                            "sla_started",
                            field=Metric.NEXT_RESPONSE,
                            after={"next_response_due_at": timer.due_at.isoformat()},
                        )
                    )

        paused, resumed = [], []
        if ticket.status in WAITING_ON_REQUESTER:
            paused = [t for t in timers.values() if pause(t, t.policy, now)]
        elif ticket.status in WORKING:
            resolution = timers.get(Metric.RESOLUTION)
            # A reopened ticket's resolution clock goes on from where solving stopped it.
            reopened = resolution is not None and resolution.state == TimerState.MET
            resumed = [
                t
                for t in timers.values()
                if (t.state == TimerState.PAUSED or (t is resolution and reopened))
                and resume(t, t.policy, now)
            ]
        elif ticket.status in DONE:
            resolution = timers.get(Metric.RESOLUTION)
            if resolution is not None and meet(resolution, resolution.policy, now):
                met.append(resolution)
            for timer in timers.values():
                if timer.metric != Metric.RESOLUTION and stop(timer):
                    changed.add(timer.metric)
        changed.update(t.metric for t in paused + resumed + met)
        for kind, group in (("sla_met", met), ("sla_paused", paused), ("sla_resumed", resumed)):
            if group:
                after = {"metrics": sorted(t.metric for t in group)}
                if kind == "sla_resumed":
                    after.update({f"{t.metric}_due_at": t.due_at.isoformat() for t in group})
                events.append(event(ticket, None, kind, after=after))

        for metric in changed:
            timers[metric].save()
        attention.store(ticket, timers.values())
        save_events(events)
    return list(timers.values())
