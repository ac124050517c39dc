"""What one rate-limit check costs, in process (core.ratelimit.seconds_to_wait).

    PYTHONPATH=src .venv/bin/python bench/ratelimit.py            # embedded: the file
    REDIS_URL=redis://127.0.0.1:6379/9 PYTHONPATH=src .venv/bin/python bench/ratelimit.py

Prints µs per check (the best of 5 rounds of 20,000, and their median) for limits whose
share is 1 (every check one statement) and larger, and with two processes checking at
once (each process's best µs per check).
"""

import multiprocessing
import os
import platform
import sys
import tempfile
import timeit
import uuid

ROUNDS, CHECKS = 5, 20_000


def _setup() -> None:
    os.environ.setdefault("DESKLINE_DATA_DIR", tempfile.mkdtemp(prefix="bench-ratelimit-"))
    os.environ.setdefault("DESKLINE_SECRET_KEY", "bench-ratelimit")
    os.environ["DJANGO_SETTINGS_MODULE"] = "deskline.settings"
    import django

    django.setup()


def _per_check(limit: int) -> tuple[float, float]:
    """µs per check of clients within their budget: the checks go round enough buckets
    that none reaches half its limit in a round (a refused client costs less: its
    process remembers the refusal until the window ends)."""
    from deskline.core.ratelimit import seconds_to_wait

    count = max(1, 2 * CHECKS // limit)
    results = []
    for _ in range(ROUNDS):
        buckets = [f"bench-{uuid.uuid4().hex}" for _ in range(count)] * (CHECKS // count + 1)
        started = timeit.default_timer()
        for bucket in buckets[:CHECKS]:
            seconds_to_wait(bucket, limit)
        results.append((timeit.default_timer() - started) / CHECKS * 1e6)
    results.sort()
    return results[0], results[len(results) // 2]


def _contended(limit: int, queue: multiprocessing.Queue) -> None:
    _setup()
    queue.put(_per_check(limit)[0])


def main() -> None:
    _setup()
    from django.conf import settings

    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    where = "Redis" if backend == "RedisCache" else "file (ratelimit.sqlite3)"
    print(f"counters: {where}; {platform.machine()} {os.cpu_count()} cores, load average "
          + " ".join(f"{n:.2f}" for n in os.getloadavg()))  # fmt: skip
    for limit in (100, 300, 1200, 5000):
        best, median = _per_check(limit)
        share = max(1, min(limit // 100, 50))
        print(f"limit {limit:>10}/min (share {share:>2}): {best:6.1f} µs (median {median:.1f})")
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    for limit in (100, 1200):
        workers = [context.Process(target=_contended, args=(limit, queue)) for _ in range(2)]
        for worker in workers:
            worker.start()
        results = [queue.get() for _ in workers]
        for worker in workers:
            worker.join()
        print(f"2 processes at once, limit {limit}: " + ", ".join(f"{r:.1f} µs" for r in results))


if __name__ == "__main__":
    sys.exit(main())
