"""Fixed one-minute windows counted in the cache, for the API budget and for endpoints
open to the outside. With Redis every process shares the counters; the embedded
default's in-process cache counts per web worker, so the budget there is per worker."""

import time

from django.core.cache import cache

WINDOW = 60


def seconds_to_wait(bucket: str, limit: int) -> int:
    """Count one request in `bucket`; 0 when within `limit` per minute, else the seconds
    until the window ends. A limit of 0 means no limit."""
    if not limit:
        return 0
    now = time.time()
    key = f"ratelimit:{bucket}:{int(now // WINDOW)}"
    # add() then incr() keeps the counter atomic on Redis and within a process otherwise.
    cache.add(key, 0, timeout=2 * WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=2 * WINDOW)
        count = 1
    if count <= limit:
        return 0
    return max(1, WINDOW - int(now) % WINDOW)
