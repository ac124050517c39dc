"""SQLite with writers queued on a file lock instead of SQLite's busy handler.

With `BEGIN IMMEDIATE`, a second writer waits in SQLite's busy handler, which sleeps
1, 2, 5, 10 ... up to 100 ms between tries. Meanwhile the first process finishes,
starts its next request and takes the lock again, so under steady write load a waiter
keeps missing it: creates over HTTP queued for 200 ms at the median while the CPU sat
half idle (docs/benchmarks.md). Here an outermost transaction first takes an exclusive
`flock` on a file beside the database, held until commit or rollback; a waiter polls
that lock every 0.1 ms (up to 2 ms in a long wait), so it gets the database within a
fraction of a millisecond of its release. A write statement outside a transaction (autocommit)
takes the same lock for its own duration. Every connection opens its own descriptor,
so the lock works between the threads of one process (`deskline serve`) too. Writers
from outside Deskline (the sqlite3 shell) still meet SQLite's own lock and busy
timeout, as before.
"""

import fcntl
import os
import time
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base as sqlite_base

# A write transaction holds the lock for about a millisecond (a ticket create), so a
# waiter polls every 0.1 ms at first: sleeping longer left the lock idle between two
# writers. A poll costs a few microseconds of CPU. Past STEADY_POLLING seconds of
# waiting (a long transaction), the steps double up to LONGEST_WAIT.
FIRST_WAIT = 0.0001
STEADY_POLLING = 0.02
LONGEST_WAIT = 0.002
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")


# Django's "%s" placeholders turned into SQLite's "?" (SQLiteCursorWrapper.convert_query,
# a regular expression run on every statement), by statement text. The statements are
# the code's own, so the texts are few; the bound only guards against ones built with
# varying lengths (IN lists).
_QMARK: dict[str, str] = {}
_QMARK_LIMIT = 4096


class LockingCursor(sqlite_base.SQLiteCursorWrapper):
    """Takes the writers' lock around a write statement run outside a transaction."""

    owner: "DatabaseWrapper | None" = None

    def convert_query(self, query: str, *, param_names: Any = None) -> str:
        if param_names is not None:
            return super().convert_query(query, param_names=param_names)
        converted = _QMARK.get(query)
        if converted is None:
            converted = super().convert_query(query)
            if len(_QMARK) >= _QMARK_LIMIT:
                _QMARK.clear()
            _QMARK[query] = converted
        return converted

    def _outside_transaction_write(self, query: str) -> bool:
        owner = self.owner
        return (
            owner is not None
            and not owner.in_atomic_block
            and not owner._write_lock_held
            and query.lstrip()[:6].upper() in WRITES
        )

    def execute(self, query: str, params: Any = None) -> Any:
        if not self._outside_transaction_write(query):
            return super().execute(query, params)
        self.owner._acquire_write_lock()
        try:
            return super().execute(query, params)
        finally:
            self.owner._release_write_lock()

    def executemany(self, query: str, param_list: Any) -> Any:
        if not self._outside_transaction_write(query):
            return super().executemany(query, param_list)
        self.owner._acquire_write_lock()
        try:
            return super().executemany(query, param_list)
        finally:
            self.owner._release_write_lock()


class DatabaseWrapper(sqlite_base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._write_lock_fd: int | None = None
        self._write_lock_held = False

    def _lock_path(self) -> str | None:
        if self.is_in_memory_db() or self.transaction_mode not in ("IMMEDIATE", "EXCLUSIVE"):
            return None
        return f"{self.settings_dict['NAME']}-writers.lock"

    def _acquire_write_lock(self) -> None:
        path = self._lock_path()
        if path is None:
            return
        if self._write_lock_fd is None:
            self._write_lock_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        started = time.monotonic()
        deadline = started + timeout
        wait = FIRST_WAIT
        while True:
            try:
                fcntl.flock(self._write_lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                now = time.monotonic()
                if now >= deadline:
                    raise OperationalError("database is locked") from None
                time.sleep(wait)
                if now - started > STEADY_POLLING:
                    wait = min(wait * 2, LONGEST_WAIT)
        self._write_lock_held = True

    def _release_write_lock(self) -> None:
        if self._write_lock_held and self._write_lock_fd is not None:
            fcntl.flock(self._write_lock_fd, fcntl.LOCK_UN)
        self._write_lock_held = False

    def create_cursor(self, name: str | None = None) -> LockingCursor:
        cursor = self.connection.cursor(factory=LockingCursor)
        cursor.owner = self
        return cursor

    def _start_transaction_under_autocommit(self) -> None:
        self._acquire_write_lock()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_write_lock()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()
        finally:
            self._release_write_lock()

    def _rollback(self) -> None:
        try:
            super()._rollback()
        finally:
            self._release_write_lock()

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self._release_write_lock()
            if self._write_lock_fd is not None:
                os.close(self._write_lock_fd)
                self._write_lock_fd = None
