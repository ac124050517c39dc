"""One Redis client per process for the task queue.

django-rq builds a new Redis client, with its own connection pool, for every queue it
hands out, and django-tasks' RQ backend asks for a queue on every enqueue: each ticket
change opened a TCP connection to Redis and ran redis-py's CLIENT SETINFO handshake on
it (about a third of a create's time in a profile on PostgreSQL + Redis,
docs/benchmarks.md). A client is safe to share between threads, and its pool starts
afresh in a forked child, so one per queue configuration serves the whole process.
"""

import threading
from collections.abc import Callable
from typing import Any

_lock = threading.Lock()
_clients: dict[tuple[str, bool], Any] = {}


def install() -> None:
    """Make django-rq reuse one client per queue name (idempotent)."""
    from django_rq import queues

    original = queues.get_connection
    if getattr(original, "deskline_shared", False):
        return

    def get_connection(name: str = "default", use_strict_redis: bool = False) -> Any:
        key = (name, use_strict_redis)
        client = _clients.get(key)
        if client is None:
            with _lock:
                client = _clients.get(key)
                if client is None:
                    client = _clients[key] = original(name, use_strict_redis)
        return client

    shared: Callable[..., Any] = get_connection
    shared.deskline_shared = True  # type: ignore[attr-defined]
    queues.get_connection = shared
