"""Fixed one-minute windows, for the API budget and for endpoints open to the outside.

The counters are the install's, not each process's: `deskline serve` runs several web
workers, and counting per worker let N workers allow N times the budget. With Redis
the cache holds them. The embedded default's cache is per process, so there they live
in a small SQLite file of their own beside the data (`ratelimit.sqlite3`): one
statement per count, none of the main database's write lock (which ticket and mail
writes queue for), since it is another file.

A process does not count every request there: it claims a share of the budget (a
hundredth of it, 1 for limits under 200) and lets that many through from memory, so
most checks touch neither file nor Redis (docs/benchmarks.md, "Rate limits").
"""

import logging
import os
import sqlite3
import threading
import time

from django.conf import settings
from django.core.cache import cache

WINDOW = 60
log = logging.getLogger(__name__)


def seconds_to_wait(bucket: str, limit: int) -> int:
    """Count one request in `bucket`; 0 when within `limit` per minute, else the seconds
    until the window ends. A limit of 0 means no limit."""
    if not limit:
        return 0
    now = time.time()
    window = int(now // WINDOW)
    wait = max(1, WINDOW - int(now) % WINDOW)
    key = (bucket, limit)
    with _leases_lock:
        if _leases.window != window:
            _leases.window, _leases.left = window, {}
        left = _leases.left.get(key, 0)
        if left > 0:
            _leases.left[key] = left - 1
            return 0
        if left == _DENIED:  # the install's count is past the limit: it stays so
            return wait
    # Claim a share of the budget from the install's counter: one statement for the
    # next `share` requests of this process, not one for each.
    share = max(1, min(limit // 100, 50))  # 1 below 200: exact where limits are small
    total = _count(bucket, window, share)
    granted = min(share, limit - (total - share))
    with _leases_lock:
        if _leases.window == window:
            _leases.left[key] = granted - 1 if granted > 0 else _DENIED
    return 0 if granted > 0 else wait


class _Leases:
    """What this process may still let through per (bucket, limit) in the current
    window, from the shares it claimed. A share left unused when the window ends is
    not handed back: the budget can fall short of the limit by what the processes
    hold (under 1% each; nothing for limits under 200), never pass it."""

    def __init__(self) -> None:
        self.window: int | None = None
        self.left: dict[tuple[str, int], int] = {}


_DENIED = -1
_leases = _Leases()
_leases_lock = threading.Lock()


def _count(bucket: str, window: int, share: int) -> int:
    """Add `share` to the bucket's count in this window; the count after it."""
    if _cache_is_shared():
        return _count_in_cache(bucket, window, share)
    return _file.count(bucket, window, share)


def anonymous_wait(address: str) -> int:
    """seconds_to_wait for a reader without an account at this client address
    (DESKLINE_PUBLIC_RATE_LIMIT): help center pages and the public API share it."""
    return seconds_to_wait(f"public-ip:{address}", settings.PUBLIC_RATE_LIMIT)


def _cache_is_shared() -> bool:
    return not settings.CACHES["default"]["BACKEND"].endswith(".LocMemCache")


def _count_in_cache(bucket: str, window: int, share: int) -> int:
    key = f"ratelimit:{bucket}:{window}"
    # add() then incr() keeps the counter atomic on Redis.
    cache.add(key, 0, timeout=2 * WINDOW)
    try:
        return cache.incr(key, share)
    except ValueError:  # the key expired between add and incr
        cache.set(key, share, timeout=2 * WINDOW)
        return share


# One row per bucket: its window and the count in it. A hit in a new window starts the
# count again, so a bucket never has more than one row and nothing has to expire.
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS hits (bucket TEXT PRIMARY KEY, minute INTEGER NOT NULL, "
    "count INTEGER NOT NULL) WITHOUT ROWID"
)
_COUNT = (
    "INSERT INTO hits (bucket, minute, count) VALUES (?1, ?2, ?3) ON CONFLICT (bucket) DO "
    "UPDATE SET count = CASE WHEN minute = ?2 THEN count + ?3 ELSE ?3 END, minute = ?2 "
    "RETURNING count"
)
# Buckets (client addresses) not seen for a while are dropped now and then.
_PURGE = "DELETE FROM hits WHERE minute < ?"
PURGE_EVERY = 600


class _FileCounter:
    """Counters in a SQLite file shared by every process of the install; a connection
    per thread (and per process: a forked worker opens its own)."""

    def __init__(self) -> None:
        self.local = threading.local()
        self.purged_at = 0.0
        self.warned_at = 0.0

    def _connection(self) -> sqlite3.Connection:
        held = getattr(self.local, "held", None)
        if held is not None and held[0] == os.getpid():
            return held[1]
        path = settings.DATA_DIR / "ratelimit.sqlite3"
        # Autocommit: the counting statement is its own transaction.
        connection = sqlite3.connect(path, timeout=2, isolation_level=None)
        # WAL, never flushed to disk: counts lost, or the file spoilt, by a power cut
        # harm nothing (a file that cannot count lets requests through, and may be
        # deleted at any time). Flushing at checkpoints (NORMAL) doubled the cost.
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute(_SCHEMA)
        self.local.held = (os.getpid(), connection)
        return connection

    def count(self, bucket: str, window: int, share: int) -> int:
        try:
            connection = self._connection()
            count = connection.execute(_COUNT, (bucket, window, share)).fetchone()[0]
            if time.monotonic() - self.purged_at > PURGE_EVERY:
                self.purged_at = time.monotonic()
                connection.execute(_PURGE, (window - 1,))
        except sqlite3.Error as exc:
            # A limit that cannot count lets the requests through rather than refuse
            # everyone; said once a minute at most.
            self.local.held = None
            if time.monotonic() - self.warned_at > WINDOW:
                self.warned_at = time.monotonic()
                log.warning("rate limit counters unavailable, not limiting: %s", exc)
            return share
        return count


_file = _FileCounter()
