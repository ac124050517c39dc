"""Pages of the ticket list in the orders that are not a plain column: by priority and by
SLA due time. Both page by keyset, so a deep page costs what the first one does.

Priority is stored as a word, whose alphabetical order means nothing; rather than sort
an expression (no index could serve it), the list walks the priorities from urgent to
low, each through the (priority, updated_at, id) index. The SLA order walks the running
timers by due time (the due_at index) and keeps each ticket's earliest one.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet

from deskline.api.pagination import decode_cursor, encode_cursor, page_by
from deskline.sla.models import SlaTimer, TimerState
from deskline.tickets.choices import Priority
from deskline.tickets.models import Ticket

PRIORITY_ORDER = (Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW)
# How many timers, per row of the page, the SLA order reads before asking the database
# to start from the list's tickets instead.
SOONEST_BATCH = 8


def page_tickets(
    tickets: QuerySet[Ticket],
    sort: str,
    field: str,
    descending: bool,
    cursor: str | None,
    limit: int,
    *,
    narrowed_by_update: bool = False,
) -> tuple[list[Ticket], str | None]:
    """narrowed_by_update: the list holds only recently updated tickets (a small share),
    so oldest created first it is read by its update and sorted, not walked by creation
    (newest created first, the walk is cheap: new tickets are the recently updated ones)."""
    if sort == "priority":
        return by_priority(tickets, cursor, limit)
    if sort == "sla":
        return by_sla_due(tickets, cursor, limit)
    walk = not (narrowed_by_update and field == "created_at" and not descending)
    return page_by(tickets, field, cursor, limit, descending=descending, walk_index=walk)


def by_priority(
    tickets: QuerySet[Ticket], cursor: str | None, limit: int
) -> tuple[list[Ticket], str | None]:
    """Most urgent first; within a priority, the most recently updated first."""
    start, inner = 0, None
    if cursor:
        rank, _, inner = cursor.partition(".")
        if not rank.isdigit() or int(rank) >= len(PRIORITY_ORDER) or not inner:
            raise ValidationError({"cursor": "not a cursor of this list"})
        start = int(rank)
    rows: list[tuple[int, Ticket]] = []
    for rank in range(start, len(PRIORITY_ORDER)):
        wanted = limit + 1 - len(rows)
        if wanted <= 0:
            break
        found, _next = page_by(
            tickets.filter(priority=PRIORITY_ORDER[rank]),
            "updated_at",
            inner if rank == start else None,
            wanted,
        )
        rows.extend((rank, ticket) for ticket in found)
    if len(rows) <= limit:
        return [ticket for _, ticket in rows], None
    rank, last = rows[limit - 1]
    return [
        ticket for _, ticket in rows[:limit]
    ], f"{rank}.{encode_cursor(last.updated_at, last.pk)}"


def by_sla_due(
    tickets: QuerySet[Ticket], cursor: str | None, limit: int
) -> tuple[list[Ticket], str | None]:
    """Tickets with a running SLA timer, the one due soonest first."""
    if cursor:
        decode_cursor(cursor)  # refuse a foreign cursor early, with the usual error
    # A ticket has up to three timers; only its earliest running one places it.
    earlier = SlaTimer.objects.filter(
        Q(due_at__lt=OuterRef("due_at")) | Q(due_at=OuterRef("due_at"), id__lt=OuterRef("id")),
        ticket_id=OuterRef("ticket_id"),
        state=TimerState.RUNNING,
    )
    placing = SlaTimer.objects.filter(state=TimerState.RUNNING, due_at__isnull=False).filter(
        ~Exists(earlier)
    )
    page, next_cursor = _soonest_of_the_list(placing, tickets, cursor, limit)
    if page is None:
        # Few of the soonest timers belong to this list (a narrow queue or filter): let
        # the database start from the list's tickets instead.
        page, next_cursor = page_by(
            placing.filter(ticket_id__in=tickets.values("pk")),
            "due_at",
            cursor,
            limit,
            descending=False,
        )
    found = {t.pk: t for t in tickets.filter(pk__in=[timer.ticket_id for timer in page])}
    rows = []
    for timer in page:
        ticket = found.get(timer.ticket_id)
        if ticket is not None:
            ticket.sla_due = timer.due_at
            rows.append(ticket)
    return rows, next_cursor


def _soonest_of_the_list(
    placing: QuerySet[SlaTimer], tickets: QuerySet[Ticket], cursor: str | None, limit: int
) -> tuple[list[SlaTimer] | None, str | None]:
    """The page read from the soonest timers of all tickets, kept when this list's tickets
    fill it; None when they don't.

    Walking the due_at index is what a broad list (an agent's desks, the open queue)
    needs, but the database cannot know how many timers belong to the list and, at 1M
    tickets, chose to read and sort every running timer instead (100 ms).
    """
    slim = placing.only("pk", "ticket_id", "due_at")
    batch, more = page_by(slim, "due_at", cursor, limit * SOONEST_BATCH, descending=False)
    ids = {timer.ticket_id for timer in batch}
    listed = set(tickets.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    page = [timer for timer in batch if timer.ticket_id in listed]
    if len(page) <= limit and more is not None:
        return None, None
    if len(page) <= limit:
        return page, None  # the batch reached the last timer
    page = page[:limit]
    return page, encode_cursor(page[-1].due_at, page[-1].pk)


def nearest_due(timers: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Of a ticket's timers as sla_for shows them, the running one due first."""
    running = [t for t in timers if t["state"] in ("ok", "warning", "breached") and t["due_at"]]
    return min(running, key=lambda t: t["due_at"], default=None)
