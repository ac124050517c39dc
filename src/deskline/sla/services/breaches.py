"""The scheduler's SLA pass: warn and breach the timers whose check time has come.

Only due timers are read (indexed check_at, a bounded batch, SKIP LOCKED on PostgreSQL so
several workers share the work); state, timeline events and notices are written in bulk.
Breach actions that change the ticket (raise priority, escalate, reassign) go through the
ticket services in the background worker: the tick queues one task per batch, so its own
time stays bounded by the due timers, not by what each ticket's change sets off.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from deskline.sla.models import BreachAction, Metric, Notification, SlaPolicy, SlaTimer
from deskline.sla.services.bulk import insert_rows, pks_in
from deskline.sla.services.notify import supervisors_by_desk
from deskline.tickets.choices import Priority
from deskline.tickets.models import Ticket, TicketEvent

log = logging.getLogger(__name__)
BATCH = 2000
PRIORITY_UP = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.URGENT,
}


def _label(metric: str) -> str:
    return Metric(metric).label.lower()


@dataclass(eq=False)
class DueTimer:
    pk: int
    ticket_id: int
    metric: str
    due_at: datetime | None
    policy_id: int | None
    warn_now: bool
    breach_now: bool


COLUMNS = ("pk", "ticket_id", "metric", "due_at", "policy", "warn_now", "breach_now")


def _due_now(now: datetime) -> dict[str, ExpressionWrapper]:
    # Decided in SQL: loading warn_at and warned_at only to compare them with `now` took
    # about 50 ms of a full batch (each datetime is parsed in Python).
    return {
        "warn_now": ExpressionWrapper(
            Q(warned_at__isnull=True, warn_at__isnull=False, warn_at__lte=now),
            output_field=BooleanField(),
        ),
        "breach_now": ExpressionWrapper(
            Q(breached_at__isnull=True, due_at__isnull=False, due_at__lte=now),
            output_field=BooleanField(),
        ),
    }


def check_due_timers(now: datetime | None = None, limit: int = BATCH) -> dict[str, int]:
    """One batch: returns how many timers were looked at, warned and breached."""
    now = now or timezone.now()
    with transaction.atomic():
        due = SlaTimer.objects.filter(check_at__lte=now).order_by("check_at")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        rows = due.annotate(**_due_now(now)).values_list(*COLUMNS)[:limit]
        timers = [DueTimer(*row) for row in rows]
        if not timers:
            return {"checked": 0, "warned": 0, "breached": 0}
        policies = {
            p.pk: p
            for p in SlaPolicy.objects.filter(pk__in={t.policy_id for t in timers}).only(
                "name", "breach_actions"
            )
        }
        ticket_info = {
            row[0]: row[1:]
            for row in Ticket.objects.filter(
                pk__in=pks_in(list({t.ticket_id for t in timers}))
            ).values_list("pk", "desk_id", "assignee_id", "number")
        }
        warned, breached, idle = [], [], []
        for timer in timers:
            if timer.warn_now:
                warned.append(timer)
            if timer.breach_now:
                breached.append(timer)
            elif not timer.warn_now:
                idle.append(timer.pk)
        # Set-based updates: bulk_update's per-row CASE took seconds for a full batch.
        warned_only = [t.pk for t in warned if not t.breach_now]
        if warned_only:
            SlaTimer.objects.filter(pk__in=pks_in(warned_only)).update(
                warned_at=now, check_at=F("due_at")
            )
        if breached:
            SlaTimer.objects.filter(pk__in=pks_in([t.pk for t in breached])).update(
                warned_at=Coalesce("warned_at", Value(now)), breached_at=now, check_at=None
            )
        if idle:  # picked but nothing to do (a stale check time): look again at its due time
            SlaTimer.objects.filter(pk__in=pks_in(idle)).update(check_at=F("due_at"))

        supervisors = supervisors_by_desk(info[0] for info in ticket_info.values())
        events, notices = [], []
        for kind, group in (("sla_warning", warned), ("sla_breached", breached)):
            for timer in group:
                desk_id, assignee_id, number = ticket_info[timer.ticket_id]
                policy = policies.get(timer.policy_id)
                after = {
                    "due_at": timer.due_at.isoformat() if timer.due_at else None,
                    "policy": policy.name if policy else None,
                }
                events.append((timer.ticket_id, kind, timer.metric, after, now))
                actions = policy.breach_actions if policy else []
                label = _label(timer.metric)
                if kind == "sla_warning":
                    told = [assignee_id] if assignee_id else supervisors.get(desk_id, [])
                    text = f"{number}: {label} due {timer.due_at:%Y-%m-%d %H:%M} UTC"
                elif BreachAction.NOTIFY in actions:
                    told = supervisors.get(desk_id, [])
                    text = f"{number}: {label} target breached"
                else:
                    told = []
                notices += [(u, timer.ticket_id, kind, text[:500], now) for u in told]
        insert_rows(TicketEvent, ["ticket", "kind", "field", "after", "created_at"], events)
        insert_rows(Notification, ["user", "ticket", "kind", "text", "created_at"], notices)
        acting = [
            [t.ticket_id, t.policy_id, t.metric]
            for t in breached
            if (p := policies.get(t.policy_id)) and set(p.breach_actions) - {BreachAction.NOTIFY}
        ]
        if acting:
            _schedule_actions(acting)
    return {"checked": len(timers), "warned": len(warned), "breached": len(breached)}


def _schedule_actions(items: list[list]) -> None:
    from deskline.sla.tasks import apply_breach_actions
    from deskline.tickets.services import hooks

    if hooks.runs_inline():
        transaction.on_commit(lambda: run_breach_actions(items))
    else:
        hooks.queue_task(apply_breach_actions, items)


def run_breach_actions(items: list[list]) -> None:
    """[ticket id, policy id, metric] per breached timer whose policy changes the ticket."""
    policies = SlaPolicy.objects.in_bulk({policy_id for _t, policy_id, _m in items})
    for ticket_id, policy_id, metric in items:
        policy = policies.get(policy_id)
        if policy is not None:
            _run_actions(ticket_id, metric, policy)


def _run_actions(ticket_id: int, metric: str, policy: SlaPolicy) -> None:
    from deskline.routing.services.assignment import reassign
    from deskline.routing.services.escalation import escalate
    from deskline.tickets.services import update_ticket

    reason = f"SLA {_label(metric)} target breached ({policy.name})"
    actions = policy.breach_actions
    try:
        ticket = Ticket.objects.get(pk=ticket_id)
        if BreachAction.RAISE_PRIORITY in actions and ticket.priority in PRIORITY_UP:
            update_ticket(ticket, actor=None, changes={"priority": PRIORITY_UP[ticket.priority]})
        if BreachAction.ESCALATE in actions:
            escalate(ticket, actor=None, reason=reason)
        elif BreachAction.REASSIGN in actions:
            reassign(ticket.pk, reason=reason)
    except Exception:  # a ticket that can no longer change (closed, no L2 team) is logged
        log.exception("SLA breach actions failed for ticket %s", ticket_id)


def check_all_due(now: datetime | None = None, max_batches: int = 20) -> dict[str, int]:
    total = {"checked": 0, "warned": 0, "breached": 0}
    for _ in range(max_batches):
        done = check_due_timers(now)
        for key in total:
            total[key] += done[key]
        if done["checked"] < BATCH:
            break
    return total
