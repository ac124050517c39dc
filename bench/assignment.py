"""Assignment at scale: T new tickets across A agents of one team, by the desk's mode.

Tickets are bulk-inserted and queued; the timed part is `assign_waiting` (claim a queued
ticket, choose an agent under the team lock, assign through the ticket service with its
events). Other apps' ticket hooks are switched off so routing alone is measured.
Reports throughput and the spread between the busiest and the idlest agent.

    DESKLINE_DATA_DIR=/tmp/dl-bench-assign .venv/bin/python bench/assignment.py
    DATABASE_URL=postgres://root@127.0.0.1:5432/deskline_bench_assign \\
        .venv/bin/python bench/assignment.py --mode load_balanced
"""

import argparse
import os
import platform
import random
import sys
import time
from collections import Counter

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deskline.settings")
os.environ.setdefault("DESKLINE_SECRET_KEY", "bench")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--mode", default="round_robin")
    parser.add_argument("--profile", action="store_true", help="print where the time goes")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from deskline.accounts.models import User
    from deskline.desks.models import DeskMembership, Role, TeamMembership
    from deskline.desks.services import create_desk, create_team
    from deskline.routing.models import DeskRouting, WaitingTicket
    from deskline.routing.services.assignment import assign_waiting
    from deskline.tickets.models import Ticket
    from deskline.tickets.services import hooks

    if Ticket.objects.exists():
        sys.exit("the database already holds tickets; use a fresh one")
    # Both tables: deferred handlers would otherwise queue a hooks task per change.
    for table in (hooks._inline, hooks._deferred):
        for kind in hooks.KINDS:
            table[kind].clear()
    rng = random.Random(5)
    desk = create_desk(name="Bench", slug="bench", prefix="B")
    team = create_team(desk, name="Front line", slug="front", tier=1)
    requester = User.objects.create_user("requester@bench.test")
    agents = User.objects.bulk_create(
        [User(email=f"agent{i}@bench.test") for i in range(args.agents)]
    )
    DeskMembership.objects.bulk_create(
        [DeskMembership(desk=desk, user=a, role=Role.AGENT) for a in agents]
    )
    TeamMembership.objects.bulk_create([TeamMembership(team=team, user=a) for a in agents])
    DeskRouting.objects.create(desk=desk, mode=args.mode, default_team=team)
    now = timezone.now()
    priorities = ["low", "normal", "normal", "high", "urgent"]
    with transaction.atomic():
        tickets = Ticket.objects.bulk_create(
            [
                Ticket(
                    desk=desk,
                    sequence=i,
                    number=f"B-{i}",
                    subject=f"ticket {i}",
                    requester=requester,
                    priority=rng.choice(priorities),
                    created_at=now,
                    updated_at=now,
                )
                for i in range(1, args.tickets + 1)
            ],
            batch_size=2000,
        )
        WaitingTicket.objects.bulk_create(
            [WaitingTicket(ticket=t, enqueued_at=now) for t in tickets], batch_size=2000
        )

    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    assigned = assign_waiting(limit=args.tickets + 1)
    elapsed = time.perf_counter() - started
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    per_agent = Counter(Ticket.objects.filter(desk=desk).values_list("assignee_id", flat=True))
    counts = [per_agent.get(a.pk, 0) for a in agents]
    weights = {"low": 1, "normal": 2, "high": 3, "urgent": 4}
    weighted = Counter()
    for assignee, priority in Ticket.objects.values_list("assignee_id", "priority"):
        weighted[assignee] += weights[priority]
    loads = [weighted.get(a.pk, 0) for a in agents]
    print(
        f"{connection.vendor}, mode {args.mode}: {assigned:,} of {args.tickets:,} tickets to "
        f"{args.agents} agents in {elapsed:.1f} s ({assigned / elapsed:.0f}/s, "
        f"{elapsed / assigned * 1000:.2f} ms each)"
    )
    print(
        f"tickets per agent: busiest {max(counts)}, idlest {min(counts)}, "
        f"spread {max(counts) - min(counts)}; weighted load: busiest {max(loads)}, "
        f"idlest {min(loads)}, spread {max(loads) - min(loads)}"
    )
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    )


if __name__ == "__main__":
    main()
