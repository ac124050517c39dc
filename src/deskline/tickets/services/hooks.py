"""Who else acts when a ticket changes: mail sends a reply, triage predicts, search
indexes, automation runs its triggers, SLA starts its clocks.

Apps register a handler in their AppConfig.ready(). The ticket services call `emit`
inside their transaction; handlers other than the few transactional ones never run
inside it, so a change that rolls back tells no one, and a failing handler (logged, not
raised) cannot undo the change.
Handlers get ids, not objects: they read fresh rows.

Three ways to run, chosen per handler at registration:
- transactional handlers run inside the change's transaction, when it is emitted: for
  rows that must commit with the change or not at all (the live-update row on SQLite,
  where a second write transaction per change would take the one write lock again).
  They must be cheap and must not fail but with the transaction itself.
- inline handlers run in the process that made the change, right after it commits.
  Only cheap ones belong here (queueing a task, a message to another process).
- every other handler runs in the background worker: `emit` queues one
  `run_ticket_hooks` task per change, so a request that opens a ticket pays for one
  queue row instead of every app's work. With the database task backend the task row
  is written in the change's own transaction, so a crash right after the commit loses
  no hook. `TICKET_HOOKS_INLINE = True` (the test settings) runs them all inline;
  `hooks.all_inline()` does the same for a block of code (demo data, imports).
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from typing import Any

from django.conf import settings
from django.db import transaction

log = logging.getLogger(__name__)

TICKET_OPENED = "ticket_opened"
MESSAGE_ADDED = "message_added"
TICKET_UPDATED = "ticket_updated"
KINDS = (TICKET_OPENED, MESSAGE_ADDED, TICKET_UPDATED)


@dataclass(frozen=True)
class TicketChange:
    kind: str
    ticket_id: int
    actor_id: int | None
    # The message a ticket was opened with or the message added.
    message_id: int | None = None
    # For ticket_updated: the fields that changed.
    fields: tuple[str, ...] = field(default=())
    # Known to the emitter, so cheap inline handlers (the live update) need not read
    # them back; None when not given (tasks queued by an older version).
    desk_id: int | None = None
    internal: bool | None = None
    # For message_added: whether the ticket's requester wrote it (None when not given).
    by_requester: bool | None = None

    def as_task_args(self) -> dict:
        # What asdict() gives, without its deep copy: every value but `fields` is a
        # str, an int, a bool or None.
        data = {name: getattr(self, name) for name in _CHANGE_FIELDS}
        data["fields"] = list(self.fields)
        return data

    @classmethod
    def from_task_args(cls, data: dict) -> "TicketChange":
        return cls(**{**data, "fields": tuple(data.get("fields") or ())})


_CHANGE_FIELDS = tuple(f.name for f in dataclass_fields(TicketChange))
Handler = Callable[[TicketChange], None]
_transactional: dict[str, list[Handler]] = {kind: [] for kind in KINDS}
_inline: dict[str, list[Handler]] = {kind: [] for kind in KINDS}
_deferred: dict[str, list[Handler]] = {kind: [] for kind in KINDS}
_force_inline: ContextVar[bool] = ContextVar("deskline_hooks_inline", default=False)


def register(
    kind: str, handler: Handler, *, inline: bool = False, transactional: bool = False
) -> None:
    """Call handler after every committed change of this kind (once per handler); with
    transactional=True, inside the change's transaction instead."""
    if kind not in KINDS:
        raise ValueError(f"unknown ticket change {kind!r}; one of {KINDS}")
    unregister(kind, handler)
    table = _transactional if transactional else _inline if inline else _deferred
    table[kind].append(handler)


def unregister(kind: str, handler: Handler) -> None:
    for table in (_transactional, _inline, _deferred):
        if handler in table.get(kind, []):
            table[kind].remove(handler)


@contextmanager
def all_inline() -> Iterator[None]:
    """Run every handler inline for changes emitted in this block."""
    token = _force_inline.set(True)
    try:
        yield
    finally:
        _force_inline.reset(token)


def _inline_only() -> bool:
    return _force_inline.get() or bool(getattr(settings, "TICKET_HOOKS_INLINE", False))


def runs_inline() -> bool:
    """True where follow-up work runs right after commit rather than in the worker
    (the test settings, `all_inline()` blocks); other apps' deferred work follows it."""
    return _inline_only()


def queue_task(task: Any, *args: Any) -> None:
    """Queue a task so that it exists exactly when the current transaction commits."""
    from deskline.core.tasks_db import in_database

    if in_database():
        task.enqueue(*args)  # a row in this same transaction
    else:
        transaction.on_commit(lambda: task.enqueue(*args))


def emit(change: TicketChange) -> None:
    for handler in list(_transactional[change.kind]):
        handler(change)  # its failure is the change's: both roll back
    if _inline_only():
        for handler in [*_inline[change.kind], *_deferred[change.kind]]:
            transaction.on_commit(lambda h=handler: _run(h, change))
        return
    for handler in list(_inline[change.kind]):
        transaction.on_commit(lambda h=handler: _run(h, change))
    if _deferred[change.kind]:
        _queue(change)


def _queue(change: TicketChange) -> None:
    from deskline.tickets.tasks import run_ticket_hooks

    # Same transaction as the change with the database backend (both commit or neither
    # does); a queue outside the database must not hear of a change that may roll back.
    queue_task(run_ticket_hooks, change.as_task_args())


def run_deferred(change: TicketChange) -> None:
    """The worker's side: every deferred handler of this change, each on its own."""
    for handler in list(_deferred[change.kind]):
        _run(handler, change)


def _run(handler: Handler, change: TicketChange) -> None:
    try:
        handler(change)
    except Exception:  # one broken handler must not stop the others or the caller
        log.exception("ticket hook %s failed for %s", getattr(handler, "__name__", handler), change)
