"""WAL checkpoints off the writers' path.

By default SQLite checkpoints when a commit leaves more than 1,000 pages in the WAL, in
the committing connection, inside its commit: on the embedded default that is a web
request holding the one write lock while it copies ~4 MB back into the database (every
~20 ticket creates, 5-20 ms each; docs/benchmarks.md). Request connections therefore
checkpoint only past 10,000 pages (`wal_autocheckpoint` in settings.py: a backstop for
when no worker runs), and the worker checkpoints every second with PASSIVE, which
takes no write lock and waits for no one. Pages rewritten many times in that second
(the ends of the ticket indexes) are copied once.
"""

import logging
import threading

from django.db import close_old_connections, connection
from django.db.backends.base.base import BaseDatabaseWrapper

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 1.0


def checkpoint(using: BaseDatabaseWrapper | None = None) -> tuple[int, int, int]:
    """One PASSIVE checkpoint: (busy, pages in the WAL, pages copied back)."""
    with (using or connection).cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        return tuple(cursor.fetchone())


def run_checkpointer(stop: threading.Event, interval: float = INTERVAL_SECONDS) -> None:
    """The worker's checkpoint loop (SQLite only), until stop is set."""
    while not stop.is_set():
        try:
            checkpoint()
        except Exception:  # the next second tries again; a checkpoint loses nothing
            log.exception("WAL checkpoint failed")
            close_old_connections()
        stop.wait(interval)


def start_checkpointer(stop: threading.Event) -> threading.Thread | None:
    """Start the loop in a thread of its own when the database is SQLite."""
    if connection.vendor != "sqlite":
        return None
    thread = threading.Thread(
        target=run_checkpointer, args=(stop,), name="deskline-checkpointer", daemon=True
    )
    thread.start()
    return thread
