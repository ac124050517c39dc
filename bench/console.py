"""Agent console pages at scale: server time and queries of the home page (queue counts)
and of the ticket list for every queue and sort, first page and a deep page.

In-process through Django's test Client, so the figure is the server's time (middleware,
view, queries, template) without a network or a WSGI server in front. The database is
the one the app would use (DATABASE_URL, else SQLite under DESKLINE_DATA_DIR) and must
have been filled by bench/generate.py:

    createdb -h 127.0.0.1 deskline_bench_console
    DATABASE_URL=postgres://root@127.0.0.1:5432/deskline_bench_console \\
        .venv/bin/python bench/generate.py --tickets 1000000
    DATABASE_URL=postgres://root@127.0.0.1:5432/deskline_bench_console \\
        .venv/bin/python -u bench/console.py [--requests 100] [--only sla]

generate.py writes no SLA timers, so the SLA queue and sort would be empty; the first
run gives every active ticket the timers a policy would have started (resolution, and
first response while the ticket is new), due from its creation time, with the warned and
breached marks the scheduler would have set by now, and every solved or closed ticket
met timers (a desk with SLAs keeps those: most of its timers are met ones). Later runs
reuse them.
"""

import argparse
import json
import math
import os
import platform
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from load import it_agent  # same directory: the agent load.py measures

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
QUEUES = ("", "mine", "unassigned", "open", "waiting", "at_risk", "recent")
SORTS = ("-updated", "updated", "-created", "created", "priority", "sla")
# Minutes to resolve, by priority; first response gets a quarter of it.
TARGETS = {"urgent": 4 * 60, "high": 8 * 60, "normal": 24 * 60, "low": 72 * 60}
WARN_AT = 0.75


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deskline.settings")
    os.environ.setdefault("DESKLINE_LOG_LEVEL", "WARNING")
    import django

    django.setup()


def database_info() -> dict:
    from django.db import connection

    from deskline.tickets.models import Ticket

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SHOW server_version")
        else:
            cur.execute("SELECT sqlite_version()")
        version = cur.fetchone()[0]
    return {
        "vendor": connection.vendor,
        "version": version,
        "name": str(connection.settings_dict["NAME"]),
        "tickets": Ticket.objects.count(),
    }


def add_sla_timers() -> int:
    """Timers for every active ticket, as policies would have started them; returns how
    many were written (0 when the database already has timers)."""
    from django.db import connection
    from django.utils import timezone

    from deskline.desks.models import Desk
    from deskline.sla.models import SlaPolicy, SlaTimer, TimerState
    from deskline.sla.services.attention import refresh
    from deskline.tickets.choices import ACTIVE_STATUSES, Status
    from deskline.tickets.models import Ticket

    if SlaTimer.objects.exists():
        return 0
    policies = {}
    for desk in Desk.objects.all():
        policies[desk.pk] = SlaPolicy.objects.create(
            desk=desk,
            name="Bench standard",
            first_response_minutes=TARGETS["normal"] // 4,
            resolution_minutes=TARGETS["normal"],
        ).pk
    now = timezone.now()
    rows = Ticket.objects.filter(status__in=ACTIVE_STATUSES).values_list(
        "pk", "desk_id", "status", "priority", "created_at"
    )
    timers = []
    for pk, desk_id, status, priority, created in rows.iterator(chunk_size=10_000):
        minutes = TARGETS.get(priority, TARGETS["normal"])
        metrics = [("resolution", minutes)]
        if status == Status.NEW:
            metrics.append(("first_response", minutes // 4))
        for metric, target_minutes in metrics:
            target = timedelta(minutes=target_minutes)
            due, warn = created + target, created + target * WARN_AT
            paused = status in (Status.PENDING, Status.ON_HOLD)
            timers.append(
                SlaTimer(
                    ticket_id=pk,
                    metric=metric,
                    policy_id=policies[desk_id],
                    state=TimerState.PAUSED if paused else TimerState.RUNNING,
                    target=target,
                    started_at=created,
                    running_since=None if paused else created,
                    due_at=None if paused else due,
                    warn_at=None if paused else warn,
                    check_at=None if paused or due <= now else (warn if warn > now else due),
                    warned_at=warn if not paused and warn <= now else None,
                    breached_at=due if not paused and due <= now else None,
                )
            )
    SlaTimer.objects.bulk_create(timers, batch_size=5000)
    # The services keep each ticket's SLA attention moment; timers written here bypass
    # them, so compute it as a data migration would.
    refresh()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return len(timers)


def add_sla_history() -> int:
    """Met timers for the tickets already solved or closed (resolution, and first
    response), as a desk with SLAs accumulates them: most timers of a large desk are met
    ones, which still have a due time. Returns how many were written (0 if already there)."""
    from django.db import connection

    from deskline.sla.models import SlaTimer, TimerState
    from deskline.tickets.choices import ACTIVE_STATUSES

    if SlaTimer.objects.filter(state=TimerState.MET).exists():
        return 0
    day, hour = timedelta(days=1), timedelta(hours=1)
    if connection.vendor == "postgresql":
        due, met = "t.created_at + %s", "t.created_at + %s"
        params = [day, hour * 6]
    else:
        # SQLite keeps datetimes as ISO text and durations as microseconds.
        due = "strftime('%%Y-%%m-%%d %%H:%%M:%%f', t.created_at, '+1 day')"
        met = "strftime('%%Y-%%m-%%d %%H:%%M:%%f', t.created_at, '+6 hours')"
        params = []
    target = day if connection.vendor == "postgresql" else int(day.total_seconds() * 1e6)
    consumed = hour * 6 if connection.vendor == "postgresql" else int(6 * 3600 * 1e6)
    active = ", ".join(["%s"] * len(ACTIVE_STATUSES))
    with connection.cursor() as cur:
        for metric in ("resolution", "first_response"):
            cur.execute(
                "INSERT INTO sla_slatimer (ticket_id, metric, policy_id, state, target, consumed,"
                " started_at, due_at, met_at)"
                f" SELECT t.id, %s, NULL, %s, %s, %s, t.created_at, {due}, {met}"
                f" FROM tickets_ticket t WHERE t.status NOT IN ({active})",
                [metric, TimerState.MET, target, consumed, *params, *ACTIVE_STATUSES],
            )
        cur.execute("ANALYZE")
    return SlaTimer.objects.filter(state=TimerState.MET).count()


def bench_users() -> dict:
    """An admin and an agent of the IT desk only (load.py's choice), signed in."""
    from django.test import Client

    from deskline.accounts.models import User
    from deskline.accounts.services import create_admin

    # Reused when there: create_admin would set the password again, which signs out the
    # admin's sessions of a run going on at the same time.
    admin = User.objects.filter(email="bench-admin@example.com", is_superuser=True).first()
    if admin is None:
        admin = create_admin("bench-admin@example.com", "bench-admin-password", name="Bench Admin")
    users = {}
    for role, user in (("agent", it_agent("console.py")), ("admin", admin)):
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        users[role] = {"user": user, "client": client}
    return users


def pages(args: argparse.Namespace) -> list[tuple[str, str, str]]:
    """(queue, sort, page) to measure; every queue in every sort unless --only narrows it."""
    chosen = [("home", "", "first")]
    for queue in QUEUES:
        for sort in SORTS:
            for page in ("first", "deep"):
                chosen.append((queue or "all", sort, page))
    if args.only:
        wanted = args.only.split(",")
        chosen = [p for p in chosen if any(w in " ".join(p) for w in wanted)]
    return chosen


def list_params(queue: str, sort: str) -> dict:
    params = {"sort": sort}
    if queue != "all":
        params["queue"] = queue
    return params


def deep_cursor(user: object, params: dict, rows_deep: int) -> dict:
    """The cursor the list would give after `rows_deep` rows (half-way for smaller lists),
    found with the list's own paging code."""
    from django.http import QueryDict

    from deskline.web.ordering import page_tickets
    from deskline.web.queues import filtered_tickets, sort_of

    query = QueryDict(urlencode(params))
    tickets = filtered_tickets(user, query)
    total = tickets.count()
    depth = min(rows_deep, total // 2)
    if depth < 1:
        return {"total": total, "depth": 0, "cursor": None}
    sort_key, field, descending = sort_of(query)
    slim = tickets.only("pk", "updated_at", "created_at", "priority")
    found, cursor = page_tickets(slim, sort_key, field, descending, None, depth)
    return {"total": total, "depth": len(found), "cursor": cursor}


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def time_page(client: object, path: str, requests: int, warmup: int) -> dict:
    from django.db import connection

    spent: list[float] = []

    def counted(execute, sql, params, many, context):  # noqa: ANN001, ANN202
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent.append(time.perf_counter() - began)

    samples, queries, sql_ms = [], set(), []
    for i in range(warmup + requests):
        spent.clear()
        with connection.execute_wrapper(counted):
            started = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            sys.exit(f"console.py: {response.status_code} for {path}")
        if i >= warmup:
            samples.append(elapsed)
            queries.add(len(spent))
            sql_ms.append(sum(spent) * 1000)
    samples.sort()
    sql_ms.sort()
    return {
        "n": len(samples),
        "p50": round(percentile(samples, 50), 1),
        "p95": round(percentile(samples, 95), 1),
        "max": round(samples[-1], 1),
        "sql_p50": round(percentile(sql_ms, 50), 1),
        "queries": sorted(queries),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument(
        "--deep-rows", type=int, default=20_000, help="rows before the deep page (at most)"
    )
    parser.add_argument("--roles", default="agent,admin")
    parser.add_argument("--only", default="", help="comma list: measure pages naming these")
    parser.add_argument("--label", default="")
    parser.add_argument(
        "--no-history", action="store_true", help="no met timers for solved and closed tickets"
    )
    args = parser.parse_args()

    setup_django()
    database = database_info()
    if not database["tickets"]:
        sys.exit("console.py: no tickets in this database; run bench/generate.py first")
    started = time.perf_counter()
    added = add_sla_timers()
    if added:
        print(f"added {added:,} SLA timers in {time.perf_counter() - started:.0f} s", flush=True)
    if not args.no_history:
        started = time.perf_counter()
        added = add_sla_history()
        if added:
            print(f"added {added:,} met SLA timers in {time.perf_counter() - started:.0f} s")
    users = bench_users()
    print(
        f"database: {database['vendor']} {database['version']} {database['name']}, "
        f"{database['tickets']:,} tickets; agent {users['agent']['user'].email}; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        flush=True,
    )
    results: dict = {}
    for role in args.roles.split(","):
        user, client = users[role]["user"], users[role]["client"]
        results[role] = {}
        deeps: dict[tuple[str, str], dict] = {}
        for queue, sort, page in pages(args):
            if queue == "home":
                path, matching, depth = "/", None, 0
            else:
                params = list_params(queue, sort)
                if (queue, sort) not in deeps:
                    deeps[queue, sort] = deep_cursor(user, params, args.deep_rows)
                deep = deeps[queue, sort]
                matching, depth = deep["total"], 0
                if page == "deep":
                    if deep["cursor"] is None:
                        continue
                    params["cursor"], depth = deep["cursor"], deep["depth"]
                path = "/tickets/?" + urlencode(params)
            timing = time_page(client, path, args.requests, args.warmup)
            timing.update(path=path, matching=matching, depth=depth)
            timing["load1"] = round(os.getloadavg()[0], 2)
            name = "home" if queue == "home" else f"{queue} {sort} {page}"
            results[role][name] = timing
            flag = "  > 100 ms" if timing["p95"] > 100 else ""
            print(
                f"{role:5} {name:28} p50 {timing['p50']:7.1f}  p95 {timing['p95']:7.1f} ms"
                f"  sql p50 {timing['sql_p50']:6.1f}  queries {timing['queries']}"
                f"  match {matching if matching is not None else '-'}"
                f"  @row {depth}  load {timing['load1']}{flag}",
                flush=True,
            )
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "database": database,
        "settings": vars(args),
        "results": results,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    label = args.label or f"console-{database['vendor']}-{database['tickets']}"
    out = RESULTS / f"{label}-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(report, indent=2, default=str))
    print(f"results: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
