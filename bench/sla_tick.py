"""SLA scheduler tick at scale: N open tickets with a running SLA timer each, D of them due.

Bulk-generates tickets and timers with SQL (INSERT ... SELECT over generate_series on
PostgreSQL; rows built in Python on SQLite), then times the scheduler's SLA pass
(`check_due_timers`) until every due timer is warned or breached. The database must be
empty of tickets (a fresh one). `--actions notify,raise_priority` sets the policy's
breach actions; `--profile` prints where the first tick's time goes (cProfile and time
per SQL statement).

    createdb -h 127.0.0.1 deskline_bench_sla
    DATABASE_URL=postgres://root@127.0.0.1:5432/deskline_bench_sla \\
        .venv/bin/python bench/sla_tick.py --tickets 1000000 --due 2000
    DESKLINE_DATA_DIR=$(mktemp -d) .venv/bin/python bench/sla_tick.py --tickets 100000
"""

import argparse
import os
import platform
import sys
import time
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deskline.settings")
os.environ.setdefault("DESKLINE_SECRET_KEY", "bench")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=2000, help="timers due at the tick")
    parser.add_argument("--repeat", type=int, default=3, help="ticks measured (re-arming)")
    parser.add_argument("--reuse", action="store_true", help="use tickets loaded by a past run")
    parser.add_argument("--profile", action="store_true", help="print where the first tick goes")
    parser.add_argument(
        "--actions", default="notify", help="the policy's breach actions, comma-separated"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from deskline.sla.models import SlaPolicy, SlaTimer
    from deskline.sla.services.breaches import check_due_timers

    if args.reuse:
        # The due timers are the `due` with the earliest due times.
        rearm()
        now = SlaTimer.objects.order_by("due_at").values_list("due_at", flat=True)[args.due - 1]
        args.tickets = SlaTimer.objects.count()
    else:
        now = load(args)
    SlaPolicy.objects.update(breach_actions=args.actions.split(","))
    print(
        f"{args.tickets:,} open tickets with a running timer, {args.due:,} due; "
        f"breach actions: {args.actions}"
    )
    timings = []
    for round_ in range(args.repeat):
        profiler = start_profile() if args.profile and round_ == 0 else None
        tick_started = time.perf_counter()
        handled = {"checked": 0, "breached": 0}
        while True:
            done = check_due_timers(now=now)
            handled["checked"] += done["checked"]
            handled["breached"] += done["breached"]
            if done["checked"] == 0:
                break
        elapsed = time.perf_counter() - tick_started
        if profiler is not None:
            stop_profile(*profiler)
        timings.append(elapsed)
        print(
            f"tick {round_ + 1}: {handled['breached']:,} due timers breached "
            f"(events + notices written) in {elapsed * 1000:.0f} ms"
        )
        rearm()  # the same timers for the next round (not timed)
    idle_started = time.perf_counter()
    check_due_timers(now=now - timedelta(days=1))
    idle = (time.perf_counter() - idle_started) * 1000
    print(f"a tick with nothing due: {idle:.1f} ms")
    database = (
        f"PostgreSQL {connection.pg_version // 10000}"
        if connection.vendor == "postgresql"
        else f"SQLite {connection.Database.sqlite_version}"
    )
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cores, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}, {database}; "
        f"best tick {min(timings) * 1000:.0f} ms"
    )


def load(args: argparse.Namespace):  # noqa: ANN201
    """Tickets and timers by SQL; returns the tick's moment."""
    from django.db import connection
    from django.utils import timezone

    from deskline.accounts.models import User
    from deskline.desks.models import DeskMembership, Role
    from deskline.desks.services import create_desk
    from deskline.sla.models import SlaPolicy
    from deskline.tickets.models import Ticket

    if Ticket.objects.exists():
        sys.exit("the database already holds tickets; use a fresh one")
    desk = create_desk(name="Bench", slug="bench", prefix="B")
    requester = User.objects.create_user("requester@bench.test")
    supervisor = User.objects.create_user("supervisor@bench.test")
    DeskMembership.objects.create(desk=desk, user=supervisor, role=Role.SUPERVISOR)
    policy = SlaPolicy.objects.create(
        desk=desk, name="Standard", resolution_minutes=8 * 60, breach_actions=["notify"]
    )
    now = timezone.now()
    started = time.perf_counter()
    if connection.vendor != "postgresql":
        load_rows(args, desk.pk, requester.pk, policy.pk, now)
    else:
        load_sql(args, desk.pk, requester.pk, policy.pk, now)
    loaded = time.perf_counter() - started
    print(f"loaded {args.tickets:,} tickets and timers in {loaded:.0f} s")
    return now


def load_sql(args: argparse.Namespace, desk: int, requester: int, policy: int, now) -> None:  # noqa: ANN001
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO tickets_ticket (desk_id, sequence, number, subject, requester_id,
                status, impact, urgency, priority, ticket_type, tier, channel, custom_fields,
                created_at, updated_at)
            SELECT %s, i, 'B-' || i, 'ticket ' || i, %s, 'open', 'medium', 'medium',
                'normal', 'question', 1, 'api', '{}'::jsonb,
                %s - (i * interval '1 second'), %s - (i * interval '1 second')
            FROM generate_series(1, %s) AS i
            """,
            [desk, requester, now, now, args.tickets],
        )
        # Timers due from `due` seconds ago up to weeks ahead; the first `due` are due now.
        cursor.execute(
            """
            INSERT INTO sla_slatimer (ticket_id, metric, policy_id, state, target, consumed,
                started_at, running_since, due_at, warn_at, check_at, warned_at)
            SELECT t.id, 'resolution', %s, 'running', interval '8 hours', interval '0',
                t.created_at, t.created_at, d.due, d.due - interval '2 hours', d.due,
                d.due - interval '2 hours'
            FROM tickets_ticket t,
                LATERAL (SELECT %s + ((t.sequence - %s) * interval '2 seconds') AS due) d
            """,
            [policy, now, args.due],
        )
        cursor.execute("ANALYZE")


def load_rows(args: argparse.Namespace, desk: int, requester: int, policy: int, now) -> None:  # noqa: ANN001
    """The same rows as load_sql, built in Python (SQLite has no generate_series)."""
    from django.db import connection, transaction

    adapt = connection.ops.adapt_datetimefield_value
    hours2, hours8 = timedelta(hours=2), timedelta(hours=8)
    chunk = 5000
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(1, args.tickets + 1, chunk):
            numbers = range(start, min(start + chunk, args.tickets + 1))
            cursor.executemany(
                "INSERT INTO tickets_ticket (desk_id, sequence, number, subject, requester_id,"
                " status, impact, urgency, priority, ticket_type, tier, channel, custom_fields,"
                " created_at, updated_at) VALUES"
                " (%s, %s, %s, %s, %s, 'open', 'medium', 'medium', 'normal', 'question', 1,"
                " 'api', '{}', %s, %s)",
                [
                    (desk, i, f"B-{i}", f"ticket {i}", requester, at, at)
                    for i in numbers
                    for at in [adapt(now - timedelta(seconds=i))]
                ],
            )
        cursor.execute("SELECT id, sequence, created_at FROM tickets_ticket")
        tickets = cursor.fetchall()
        for start in range(0, len(tickets), chunk):
            rows = []
            for pk, sequence, created in tickets[start : start + chunk]:
                due = now + (sequence - args.due) * timedelta(seconds=2)
                rows.append(
                    (pk, policy, hours8.total_seconds() * 1_000_000, created, created)
                    + (adapt(due), adapt(due - hours2), adapt(due), adapt(due - hours2))
                )
            cursor.executemany(
                "INSERT INTO sla_slatimer (ticket_id, metric, policy_id, state, target,"
                " consumed, started_at, running_since, due_at, warn_at, check_at, warned_at)"
                " VALUES (%s, 'resolution', %s, 'running', %s, 0, %s, %s, %s, %s, %s, %s)",
                rows,
            )
        cursor.execute("ANALYZE")


def start_profile():  # noqa: ANN201
    import cProfile

    from django.db import connection

    spent: dict[str, list[float]] = {}

    def timed(execute, sql, params, many, context):  # noqa: ANN001, ANN202
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            key = " ".join(sql.split()[:4])[:60]
            spent.setdefault(key, []).append(time.perf_counter() - began)

    wrapper = connection.execute_wrapper(timed)
    wrapper.__enter__()
    profiler = cProfile.Profile()
    profiler.enable()
    return profiler, wrapper, spent


def stop_profile(profiler, wrapper, spent) -> None:  # noqa: ANN001
    import pstats

    profiler.disable()
    wrapper.__exit__(None, None, None)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    print("SQL statements (count, total ms), slowest first:")
    for key, times in sorted(spent.items(), key=lambda kv: -sum(kv[1])):
        print(f"  {len(times):5d} {sum(times) * 1000:8.1f}  {key}")


def rearm() -> None:
    """Breached timers due again, their tickets back at normal priority (raise_priority)."""
    from deskline.sla.models import SlaTimer
    from deskline.tickets.models import Ticket

    breached = SlaTimer.objects.filter(breached_at__isnull=False)
    Ticket.objects.filter(pk__in=breached.values("ticket_id")).exclude(priority="normal").update(
        priority="normal"
    )
    breached.update(breached_at=None, check_at=models_f("due_at"))


def models_f(name: str):  # noqa: ANN201 - a tiny helper so the import waits for setup
    from django.db.models import F

    return F(name)


if __name__ == "__main__":
    main()
