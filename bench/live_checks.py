"""Cost of the access check each live-update event gets before a socket passes it on.

A fresh SQLite database in a temporary data directory (or DATABASE_URL), one desk, an
agent, a requester, a colleague (organization shares tickets) and a follower; each
check is timed over --checks calls after one warm-up, in the process (no socket):

    .venv/bin/python bench/live_checks.py [--checks 3000]
"""

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Callable

os.environ.setdefault("DESKLINE_DATA_DIR", tempfile.mkdtemp(prefix="deskline-bench-live-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deskline.settings")

import django  # noqa: E402

django.setup()

from channels.db import database_sync_to_async  # noqa: E402
from django.core.management import call_command  # noqa: E402

from deskline.accounts.models import Organization, User  # noqa: E402
from deskline.desks.services import create_desk, set_desk_role  # noqa: E402
from deskline.tickets.access import live_desk_access, live_ticket_role  # noqa: E402
from deskline.tickets.models import TicketFollower  # noqa: E402
from deskline.tickets.services import open_ticket  # noqa: E402


def timed(label: str, check: Callable[[], object], count: int) -> None:
    check()
    start = time.perf_counter()
    for _ in range(count):
        check()
    print(f"{label:<58} {(time.perf_counter() - start) / count * 1e6:7.0f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=3000)
    count = parser.parse_args().checks
    call_command("migrate", verbosity=0)
    desk = create_desk(name="IT", slug="it-bench", prefix="ITB", visibility="internal")
    agent = User.objects.create_user("agent@bench.invalid")
    set_desk_role(desk, agent, "agent", actor=None)
    shared = Organization.objects.create(name="Bench Co", shared_tickets=True)
    requester = User.objects.create_user("req@bench.invalid", organization=shared)
    colleague = User.objects.create_user("col@bench.invalid", organization=shared)
    follower = User.objects.create_user("fol@bench.invalid")
    ticket = open_ticket(desk=desk, subject="bench", requester=requester, body_text="bench")
    TicketFollower.objects.create(ticket=ticket, user=follower)

    desk_check = lambda: live_desk_access(agent.pk, desk.pk)  # noqa: E731
    timed("desk socket, agent: live_desk_access", desk_check, count)
    for name, user in (
        ("agent", agent),
        ("requester", requester),
        ("colleague", colleague),
        ("follower", follower),
    ):
        label = f"ticket socket, {name}: live_ticket_role"
        timed(label, lambda user=user: live_ticket_role(user.pk, ticket.pk), count)

    async def through_thread() -> None:
        check = database_sync_to_async(live_desk_access)
        await check(agent.pk, desk.pk)
        start = time.perf_counter()
        for _ in range(count):
            await check(agent.pk, desk.pk)
        per = (time.perf_counter() - start) / count * 1e6
        print(f"{'desk socket, agent, as consumers call it (thread hop)':<58} {per:7.0f} µs")

    asyncio.run(through_thread())


if __name__ == "__main__":
    main()
