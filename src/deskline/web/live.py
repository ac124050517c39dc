"""Live updates: committed ticket changes reach the pages that show them.

A ticket hook (registered in WebConfig.ready) publishes each change to two Channels
groups, the ticket's and its desk's; what concerns one person only (a new notification)
goes to that user's own group, joined only by their own pages. With Redis the channel
layer crosses processes, so the hook sends straight to it. On the embedded default the
layer is in-memory and lives only in the WebSocket (ASGI) process, so the web and worker
processes write the change to the LiveChange table instead, and the ASGI process polls
that table and fans the rows out to its in-memory groups.
"""

import asyncio
import logging
from collections.abc import Iterable
from datetime import timedelta
from functools import cache
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from deskline.core import rows
from deskline.tickets.models import Message, Ticket
from deskline.tickets.services.hooks import TicketChange
from deskline.web import layer_loop
from deskline.web.models import LiveChange

log = logging.getLogger(__name__)
POLL_SECONDS = 0.5
KEEP = timedelta(minutes=10)


def ticket_group(ticket_id: int) -> str:
    return f"ticket.{ticket_id}"


def desk_group(desk_id: int) -> str:
    return f"desk.{desk_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def layer_crosses_processes() -> bool:
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    return "InMemory" not in backend


def _payload(row: LiveChange) -> dict:
    if row.user_id is not None:
        return {"type": "user.change", "user_id": row.user_id, "kind": row.kind}
    return {
        "type": "ticket.change",
        "ticket_id": row.ticket_id,
        "desk_id": row.desk_id,
        "kind": row.kind,
        "fields": list(row.fields),
        "actor_id": row.actor_id,
        # Requesters' pages ignore internal notes, so they learn nothing of them.
        "public": row.public,
    }


async def send_to_groups(payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if payload["type"] == "user.change":
        await layer.group_send(user_group(payload["user_id"]), payload)
        return
    await layer.group_send(ticket_group(payload["ticket_id"]), payload)
    await layer.group_send(desk_group(payload["desk_id"]), payload)


def publish(change: TicketChange) -> None:
    """The ticket hook, run inside the change's transaction (see _in_transaction)."""
    if _in_transaction():
        _publish(change)
    else:
        transaction.on_commit(lambda: _publish(change))


def _in_transaction() -> bool:
    """Whether the LiveChange row is written in the change's own transaction.

    On SQLite with the in-memory layer, yes: a row written after the commit is a second
    write transaction, which takes the one write lock again for every change. Ids are
    given and committed in order there (one writer at a time), so the WebSocket process
    reading `id > last` misses none. Not on PostgreSQL: two transactions may commit out
    of id order, and a row committed late under a smaller id would be skipped; nor with
    a layer that crosses processes, which must not hear of a change before it commits.
    """
    return connection.vendor == "sqlite" and not layer_crosses_processes()


def _publish(change: TicketChange) -> None:
    desk_id = change.desk_id
    if desk_id is None:
        desk_id = (
            Ticket.objects.filter(pk=change.ticket_id).values_list("desk_id", flat=True).first()
        )
        if desk_id is None:
            return
    if change.internal is not None:
        public = not change.internal
    elif change.message_id is not None:
        public = not Message.objects.filter(pk=change.message_id, internal=True).exists()
    else:
        public = True
    row = LiveChange(
        ticket_id=change.ticket_id,
        desk_id=desk_id,
        kind=change.kind,
        fields=list(change.fields),
        actor_id=change.actor_id,
        public=public,
    )
    if layer_crosses_processes():
        layer_loop.run(send_to_groups, _payload(row))
    elif connection.vendor == "postgresql" and not connection.in_atomic_block:
        _insert_without_flush(row)
    else:
        rows.insert(row)


@cache
def _unflushed_insert() -> tuple[str, list]:
    """The INSERT of _insert_without_flush (PostgreSQL's quoting), built once."""
    fields = [f for f in LiveChange._meta.local_concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(LiveChange._meta.db_table)} "  # noqa: S608
        f"({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        "RETURNING id, set_config('synchronous_commit', 'off', true)"
    )
    return sql, fields


def _insert_without_flush(row: LiveChange) -> None:
    """The row in a transaction of its own, after the change's commit, whose commit does
    not wait for the disk: that wait cost as much as the ticket's own commit
    (docs/benchmarks.md). A crash may lose the row, not the change; the page shows it on
    its next load. One INSERT in autocommit, set_config() with is_local applying to its
    own commit: one round trip, where BEGIN, SET LOCAL, INSERT and COMMIT took four."""
    sql, fields = _unflushed_insert()
    values = [f.get_db_prep_save(f.pre_save(row, True), connection=connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row.pk = cursor.fetchone()[0]


def publish_to_users(user_ids: Iterable[int], kind: str) -> None:
    """Tell these users' open pages that something of theirs changed (kind says what);
    call after commit, like publish."""
    rows = [LiveChange(user_id=uid, kind=kind) for uid in sorted(set(user_ids))]
    if not rows:
        return
    if layer_crosses_processes():
        for row in rows:
            layer_loop.run(send_to_groups, _payload(row))
    else:
        LiveChange.objects.bulk_create(rows)


def _latest_id() -> int:
    return LiveChange.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _rows_after(last_id: int) -> list[LiveChange]:
    return list(LiveChange.objects.filter(id__gt=last_id).order_by("id")[:500])


def _prune() -> None:
    LiveChange.objects.filter(created_at__lt=timezone.now() - KEEP).delete()


class Poller:
    """One per ASGI process: reads new LiveChange rows and sends them to the groups."""

    def __init__(self) -> None:
        self.task: asyncio.Task | None = None

    def ensure_running(self) -> None:
        if layer_crosses_processes():
            return
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        last_id = await database_sync_to_async(_latest_id)()
        rounds = 0
        while True:
            try:
                rows = await database_sync_to_async(_rows_after)(last_id)
                for row in rows:
                    await send_to_groups(_payload(row))
                    last_id = row.id
                rounds += 1
                if rounds % 1200 == 0:  # about every ten minutes
                    await database_sync_to_async(_prune)()
            except Exception:  # a database hiccup must not end live updates for good
                log.exception("live change poller failed; retrying")
            await asyncio.sleep(POLL_SECONDS)


poller = Poller()
