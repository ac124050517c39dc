"""SLA scheduler tick at scale: N open tickets with a running SLA timer each, D of them due.

Bulk-generates tickets and timers with SQL (INSERT ... SELECT over generate_series, so it
needs PostgreSQL), then times the scheduler's SLA pass (`check_due_timers`) until every
due timer is warned or breached. The database must be empty of tickets (a fresh one):

    createdb -h 127.0.0.1 deskline_bench_sla
    DATABASE_URL=postgres://root@127.0.0.1:5432/deskline_bench_sla \\
        .venv/bin/python bench/sla_tick.py --tickets 1000000 --due 2000
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
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("set DATABASE_URL to an empty PostgreSQL database")
    call_command("migrate", verbosity=0)
    from deskline.sla.models import SlaTimer
    from deskline.sla.services.breaches import check_due_timers

    if args.reuse:
        # The due timers are the `due` with the earliest due times.
        SlaTimer.objects.filter(breached_at__isnull=False).update(
            breached_at=None, check_at=models_f("due_at")
        )
        now = SlaTimer.objects.order_by("due_at").values_list("due_at", flat=True)[args.due - 1]
        args.tickets = SlaTimer.objects.count()
    else:
        now = load(args)
    print(f"{args.tickets:,} open tickets with a running timer, {args.due:,} due")
    timings = []
    for round_ in range(args.repeat):
        tick_started = time.perf_counter()
        handled = {"checked": 0, "breached": 0}
        while True:
            done = check_due_timers(now=now)
            handled["checked"] += done["checked"]
            handled["breached"] += done["breached"]
            if done["checked"] == 0:
                break
        elapsed = time.perf_counter() - tick_started
        timings.append(elapsed)
        print(
            f"tick {round_ + 1}: {handled['breached']:,} due timers breached "
            f"(events + notices written) in {elapsed * 1000:.0f} ms"
        )
        # Re-arm the same timers for the next round (not timed).
        SlaTimer.objects.filter(breached_at__isnull=False).update(
            breached_at=None, check_at=models_f("due_at")
        )
    idle_started = time.perf_counter()
    check_due_timers(now=now - timedelta(days=1))
    idle = (time.perf_counter() - idle_started) * 1000
    print(f"a tick with nothing due: {idle:.1f} ms")
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cores, "
        f"PostgreSQL {connection.pg_version // 10000}; best tick {min(timings) * 1000:.0f} ms"
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
            [desk.pk, requester.pk, now, now, args.tickets],
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
            [policy.pk, now, args.due],
        )
        cursor.execute("ANALYZE")
    loaded = time.perf_counter() - started
    print(f"loaded {args.tickets:,} tickets and timers in {loaded:.0f} s")

    return now


def models_f(name: str):  # noqa: ANN201 - a tiny helper so the import waits for setup
    from django.db.models import F

    return F(name)


if __name__ == "__main__":
    main()
