"""Sends to a channel layer that crosses processes (Redis), from sync code, over one
event loop per process.

`async_to_sync` called from a plain thread runs each call on a new event loop, and
channels_redis keeps its connections per event loop: every ticket change opened a new
Redis connection, about 2 ms of CPU per change (docs/benchmarks.md). Here the process
keeps one loop on a thread of its own, so the layer's connections last. The caller
still waits until the send is done, as before, so a change is published before the
request that made it answers.
"""

import asyncio
import os
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")
SEND_TIMEOUT = 10.0

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_owner_pid: int | None = None


def _process_loop() -> asyncio.AbstractEventLoop:
    global _loop, _owner_pid
    with _lock:
        # A forked child (a gunicorn worker) inherits the variable but not the thread.
        if _loop is None or _owner_pid != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="deskline-layer", daemon=True).start()
            _loop, _owner_pid = loop, os.getpid()
        return _loop


def run(function: Callable[..., Awaitable[T]], *args: Any) -> T:
    """`async_to_sync(function)(*args)` on the process's layer loop."""
    future = asyncio.run_coroutine_threadsafe(function(*args), _process_loop())
    return future.result(SEND_TIMEOUT)
