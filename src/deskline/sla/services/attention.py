"""The moment a ticket's SLA needs attention, kept on the ticket (`sla_attention_at`).

A live timer is "at risk or late" (the console's SLA-at-risk queue, and the API's
`sla=at_risk,breached`) from the earliest of its warning and due times, or from when
the scheduler marked it so; a paused timer only once it was late. Those moments are
fixed when the timer is written, so the ticket can carry their minimum and the queue
asks `sla_attention_at <= now`, whatever time it is.

The scheduler's tick marks warned_at/breached_at only on timers whose warn_at/due_at
already passed, so it never moves the minimum and need not refresh it.
"""

from collections.abc import Iterable
from datetime import datetime

from deskline.sla.models import SlaTimer, TimerState
from deskline.tickets.models import Ticket

RUNNING_MOMENTS = ("warned_at", "warn_at", "breached_at", "due_at")
PAUSED_MOMENTS = ("breached_at", "due_at")


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


def store(ticket: Ticket, timers: Iterable[SlaTimer]) -> None:
    """Write the ticket's attention moment when it changed (no write, no lock otherwise)."""
    moment = ticket_attention(timers)
    if moment != ticket.sla_attention_at:
        Ticket.objects.filter(pk=ticket.pk).update(sla_attention_at=moment)
        ticket.sla_attention_at = moment


def refresh(
    ticket_ids: Iterable[int] | None = None,
    *,
    chunk: int = 500,
    timer_model: type[SlaTimer] = SlaTimer,
    ticket_model: type[Ticket] = Ticket,
) -> int:
    """Recompute the moment from the timers in the database, for timers written in bulk
    (a calendar's reschedule, the data migration, the benchmarks). None: every ticket
    that has a live timer or a moment. Returns how many tickets changed. The models are
    parameters so that a migration can pass its historical ones."""
    live = timer_model.objects.filter(state__in=(TimerState.RUNNING, TimerState.PAUSED))
    if ticket_ids is None:
        ids = set(live.values_list("ticket_id", flat=True))
        marked = ticket_model.objects.filter(sla_attention_at__isnull=False)
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
        stored = ticket_model.objects.filter(pk__in=part).values_list("pk", "sla_attention_at")
        rows = [
            ticket_model(pk=pk, sla_attention_at=moment)
            for pk, current in stored
            if (moment := ticket_attention(by_ticket.get(pk, []))) != current
        ]
        ticket_model.objects.bulk_update(rows, ["sla_attention_at"])
        changed += len(rows)
    return changed
