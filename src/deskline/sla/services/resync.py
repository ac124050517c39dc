"""After an admin changes a policy or a calendar, the clocks already running follow.

Timers hold their due and check times, so a changed target, condition or opening hour
would only show on each ticket's next change. These passes run in the worker (one task
per change) and touch only the tickets and timers concerned.
"""

from django.db import transaction

from deskline.sla.models import SlaTimer, TimerState
from deskline.sla.services import attention
from deskline.sla.services.timers import schedule, sync_ticket
from deskline.tickets.choices import ACTIVE_STATUSES
from deskline.tickets.models import Ticket

CHUNK = 500


def resync_desk(desk_id: int) -> int:
    """Policy changed on this desk: each unfinished ticket picks its policy and targets
    again (new timers start from the ticket's creation, as for a new ticket)."""
    done = 0
    last = 0
    while True:
        ids = list(
            Ticket.objects.filter(desk_id=desk_id, status__in=ACTIVE_STATUSES, pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:CHUNK]
        )
        if not ids:
            return done
        for ticket_id in ids:
            sync_ticket(ticket_id)
        done += len(ids)
        last = ids[-1]


def reschedule_calendar(calendar_id: int) -> int:
    """Calendar hours or holidays changed: running timers on it get new due times. The
    new hours count for the whole current run (the old ones are gone)."""
    done = 0
    last = 0
    while True:
        with transaction.atomic():
            timers = list(
                SlaTimer.objects.select_for_update(of=("self",))
                .select_related("policy__calendar")
                .filter(policy__calendar_id=calendar_id, state=TimerState.RUNNING, pk__gt=last)
                .order_by("pk")[:CHUNK]
            )
            for timer in timers:
                schedule(timer, timer.policy)
            SlaTimer.objects.bulk_update(timers, ["due_at", "warn_at", "check_at"])
            attention.refresh({timer.ticket_id for timer in timers})
        if not timers:
            return done
        done += len(timers)
        last = timers[-1].pk
