"""Nothing slips: tickets unassigned too long, without a first response, or without any
activity are flagged to the desk's supervisors, once each time they slip.

Each ticket has one watch row per rule with the moment it would slip (indexed); changes
to the ticket move or drop the rows, and the scheduler reads only the rows now due.
"""

from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from deskline.sla.models import Notification, SlipLimits, SlipRule, SlipWatch
from deskline.sla.services.notify import notification, supervisors_by_desk
from deskline.tickets.choices import ACTIVE_STATUSES
from deskline.tickets.models import Ticket
from deskline.tickets.services.events import event, save_events

BATCH = 2000
TEXT = {
    SlipRule.UNASSIGNED: "is still unassigned",
    SlipRule.NO_FIRST_RESPONSE: "has had no first response",
    SlipRule.IDLE: "has had no activity",
}


def limits_for(desk_id: int) -> SlipLimits:
    return SlipLimits.objects.filter(desk_id=desk_id).first() or SlipLimits(desk_id=desk_id)


def _wanted(ticket: Ticket, limits: SlipLimits) -> dict[str, datetime]:
    """rule → when the ticket slips, for the rules that apply to it now."""
    if ticket.status not in ACTIVE_STATUSES:
        return {}
    wanted = {}
    if ticket.assignee_id is None and limits.unassigned_minutes:
        wanted[SlipRule.UNASSIGNED] = ticket.created_at + timedelta(
            minutes=limits.unassigned_minutes
        )
    if ticket.first_response_at is None and limits.no_first_response_minutes:
        wanted[SlipRule.NO_FIRST_RESPONSE] = ticket.created_at + timedelta(
            minutes=limits.no_first_response_minutes
        )
    if limits.idle_minutes:
        wanted[SlipRule.IDLE] = ticket.updated_at + timedelta(minutes=limits.idle_minutes)
    return wanted


def refresh_watches(ticket_id: int) -> None:
    """Called after each ticket change: add, move or drop the ticket's watches."""
    with transaction.atomic():
        ticket = Ticket.objects.get(pk=ticket_id)
        wanted = _wanted(ticket, limits_for(ticket.desk_id))
        current = {w.rule: w for w in SlipWatch.objects.select_for_update().filter(ticket=ticket)}
        stale = [w.pk for rule, w in current.items() if rule not in wanted]
        if stale:
            SlipWatch.objects.filter(pk__in=stale).delete()
        SlipWatch.objects.bulk_create(
            [
                SlipWatch(ticket=ticket, rule=rule, due_at=due_at)
                for rule, due_at in wanted.items()
                if rule not in current
            ]
        )
        for rule, due_at in wanted.items():
            watch = current.get(rule)
            if watch is not None and watch.due_at != due_at:
                # Activity re-arms an idle watch that already fired.
                watch.due_at = due_at
                watch.flagged_at = None
                watch.save(update_fields=["due_at", "flagged_at"])


def check_slips(now: datetime | None = None, limit: int = BATCH) -> int:
    """Flag the watches now due; returns how many tickets were flagged."""
    now = now or timezone.now()
    with transaction.atomic():
        due = SlipWatch.objects.filter(flagged_at__isnull=True, due_at__lte=now).order_by("due_at")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        watches = list(due[:limit])
        if not watches:
            return 0
        tickets = {
            t.pk: t
            for t in Ticket.objects.filter(pk__in={w.ticket_id for w in watches}).only(
                "pk", "number", "desk_id", "status"
            )
        }
        supervisors = supervisors_by_desk(t.desk_id for t in tickets.values())
        events, notices = [], []
        for watch in watches:
            watch.flagged_at = now
            ticket = tickets[watch.ticket_id]
            events.append(
                event(
                    ticket, None, "slip_flagged", field=watch.rule, after={"since": now.isoformat()}
                )
            )
            text = f"{ticket.number} {TEXT[watch.rule]}"
            notices += [
                notification(u, ticket.pk, "slip_flagged", text)
                for u in supervisors.get(ticket.desk_id, [])
            ]
        SlipWatch.objects.bulk_update(watches, ["flagged_at"], 500)
        save_events(events)
        Notification.objects.bulk_create(notices, batch_size=1000)
    return len(watches)
