"""Pages of the ticket list in the orders that are not a plain column: by priority and by
SLA due time. Both page by keyset, so a deep page costs what the first one does.

Priority is stored as a word, whose alphabetical order means nothing; rather than sort
an expression (no index could serve it), the list walks the priorities from urgent to
low, each through the (priority, updated_at, id) index. The SLA order is the ticket's
own soonest running due time, a column with its indexes.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from deskline.api.pagination import encode_cursor, page_by
from deskline.tickets.choices import Priority
from deskline.tickets.models import Ticket
from deskline.tickets.models.ticket import ACTIVE_LITERAL

PRIORITY_ORDER = (Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW)


# What the orders read and the cursors are made of.
SORT_FIELDS = ("pk", "updated_at", "created_at", "priority", "sla_due_at")


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
    """One page of `tickets` (with whatever they join) in a sort's order.

    The page's ids are read first, without the list's joins, then its rows by id: when
    the database misjudges how many tickets match (the at-risk queue: it multiplies the
    selectivities of the active statuses and the attention moment, which go together,
    and expected 1,110 of 26,000 at 1M), it joins and sorts every match instead of 51
    ids (PostgreSQL: 40 ms of SQL for a deep page, 120 ms when the sort spilled to disk).

    narrowed_by_update: the list holds only recently updated tickets (a small share),
    so by SLA due, or oldest created first, it is read by its update and sorted, not
    walked by the other column (newest created first, the walk is cheap: new tickets are
    the recently updated ones)."""
    slim = tickets.select_related(None).only(*SORT_FIELDS)
    if sort == "priority":
        found, next_cursor = by_priority(slim, cursor, limit)
    elif sort == "sla":
        found, next_cursor = by_sla_due(slim, cursor, limit, walk_index=not narrowed_by_update)
    else:
        walk = not (narrowed_by_update and field == "created_at" and not descending)
        found, next_cursor = page_by(
            slim, field, cursor, limit, descending=descending, walk_index=walk
        )
    rows = tickets.in_bulk([ticket.pk for ticket in found])
    return [rows[ticket.pk] for ticket in found if ticket.pk in rows], next_cursor


def by_priority(
    tickets: QuerySet[Ticket], cursor: str | None, limit: int
) -> tuple[list[Ticket], str | None]:
    """Most urgent first; within a priority, the most recently updated first."""
    start, inner = 0, None
    if cursor:
        rank, _dot, inner = cursor.partition(".")
        if not rank.isdecimal() or int(rank) >= len(PRIORITY_ORDER) or not inner:
            raise ValidationError({"cursor": _("not a cursor of this list")})
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
    tickets: QuerySet[Ticket], cursor: str | None, limit: int, *, walk_index: bool = True
) -> tuple[list[Ticket], str | None]:
    """Tickets with a running SLA timer, the one due soonest first, by the due time the
    ticket carries (sla.services.attention keeps it).

    walk_index=False (a list of recently updated tickets): read by update and sorted; the
    partial indexes are left out, or SQLite read every running ticket from them.
    """
    running = tickets.filter(sla_due_at__isnull=False)
    if walk_index:
        # Always true of a ticket with a running timer; it lets the partial indexes serve.
        running = running.filter(ACTIVE_LITERAL)
    return page_by(running, "sla_due_at", cursor, limit, descending=False, walk_index=walk_index)


def nearest_due(timers: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Of a ticket's timers as sla_for shows them, the running one due first."""
    running = [t for t in timers if t["state"] in ("ok", "warning", "breached") and t["due_at"]]
    return min(running, key=lambda t: t["due_at"], default=None)
