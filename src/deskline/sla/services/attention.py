"""Two moments of a ticket's SLA kept on the ticket: when it needs attention
(`sla_attention_at`) and when its soonest running timer is due (`sla_due_at`).

A live timer is "at risk or late" (the console's SLA-at-risk queue, and the API's
`sla=at_risk,breached`) from the earliest of its warning and due times, or from when
the scheduler marked it so; a paused timer only once it was late. Those moments are
fixed when the timer is written, so the ticket can carry their minimum and the queue
asks `sla_attention_at <= now`, whatever time it is.

The list's "SLA due" order sorts by the second: reading timers by due time and keeping
the list's tickets cost a walk of every running timer when few of them were the list's
(a narrow queue such as the waiting one).

The scheduler's tick marks warned_at/breached_at only on timers whose warn_at/due_at
already passed, so it never moves either moment and need not refresh them.
"""

from collections.abc import Iterable
from datetime import datetime

from deskline.sla.models import SlaTimer, TimerState
from deskline.tickets.models import Ticket

RUNNING_MOMENTS = ("warned_at", "warn_at", "breached_at", "due_at")
PAUSED_MOMENTS = ("breached_at", "due_at")
MOMENT_FIELDS = ("sla_attention_at", "sla_due_at")


def timer_attention(timer: SlaTimer) -> datetime | None:
    if timer.state == TimerState.RUNNING:
        names = RUNNING_MOMENTS
    elif timer.state == TimerState.PAUSED:
        names = PAUSED_MOMENTS
    else:
        return None
    moments = [m for m in (getattr(timer, name) for name in names) if m is not None]
    return min(moments, default=None)


def ticket_attention(timers: Iterable[SlaTimer]) -> datetime | None:
    moments = [m for m in map(timer_attention, timers) if m is not None]
    return min(moments, default=None)


def ticket_due(timers: Iterable[SlaTimer]) -> datetime | None:
    running = (t.due_at for t in timers if t.state == TimerState.RUNNING)
    return min((due for due in running if due is not None), default=None)


def moments(timers: Iterable[SlaTimer]) -> dict[str, datetime | None]:
    timers = list(timers)
    return {"sla_attention_at": ticket_attention(timers), "sla_due_at": ticket_due(timers)}


def store(ticket: Ticket, timers: Iterable[SlaTimer]) -> None:
    """Write the ticket's moments when they changed (no write, no lock otherwise)."""
    wanted = moments(timers)
    changed = {name: m for name, m in wanted.items() if m != getattr(ticket, name)}
    if changed:
        Ticket.objects.filter(pk=ticket.pk).update(**changed)
        for name, moment in changed.items():
            setattr(ticket, name, moment)


def refresh(
    ticket_ids: Iterable[int] | None = None,
    *,
    chunk: int = 500,
    timer_model: type[SlaTimer] = SlaTimer,
    ticket_model: type[Ticket] = Ticket,
) -> int:
    """Recompute the moments from the timers in the database, for timers written in bulk
    (a calendar's reschedule, the data migrations, the benchmarks). None: every ticket
    that has a live timer or a moment. Returns how many tickets changed. The models are
    parameters so that a migration can pass its historical ones, which may not have
    every moment yet."""
    live = timer_model.objects.filter(state__in=(TimerState.RUNNING, TimerState.PAUSED))
    known = {field.name for field in ticket_model._meta.get_fields()}
    names = [name for name in MOMENT_FIELDS if name in known]
    if ticket_ids is None:
        ids = set(live.values_list("ticket_id", flat=True))
        for name in names:
            marked = ticket_model.objects.filter(**{f"{name}__isnull": False})
            ids.update(marked.values_list("pk", flat=True))
    else:
        ids = set(ticket_ids)
    ordered = sorted(ids)
    changed = 0
    for start in range(0, len(ordered), chunk):
        part = ordered[start : start + chunk]
        by_ticket: dict[int, list[SlaTimer]] = {}
        for timer in live.filter(ticket_id__in=part).only("ticket_id", "state", *RUNNING_MOMENTS):
            by_ticket.setdefault(timer.ticket_id, []).append(timer)
        rows = []
        for pk, *current in ticket_model.objects.filter(pk__in=part).values_list("pk", *names):
            wanted = moments(by_ticket.get(pk, []))
            values = {name: wanted[name] for name in names}
            if list(values.values()) != current:
                rows.append(ticket_model(pk=pk, **values))
        ticket_model.objects.bulk_update(rows, names)
        changed += len(rows)
    return changed
