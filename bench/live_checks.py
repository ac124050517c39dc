"""Cost of the access check each live-update event gets before a socket passes it on
(the session it opened with, read afresh, then the user's access).

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
from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402

from deskline.accounts.models import Organization, User  # noqa: E402
from deskline.accounts.sessions import live_session_user  # noqa: E402
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


def signed_in(user: User) -> str:
    """A session as signing in writes it: every check reads the session first."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


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

    keys = {user.pk: signed_in(user) for user in (agent, requester, colleague, follower)}

    session_check = lambda: live_session_user(keys[agent.pk], agent.pk)  # noqa: E731
    timed("user socket: live_session_user", session_check, count)
    desk_check = lambda: live_desk_access(keys[agent.pk], agent.pk, desk.pk)  # noqa: E731
    timed("desk socket, agent: live_desk_access", desk_check, count)
    for name, user in (
        ("agent", agent),
        ("requester", requester),
        ("colleague", colleague),
        ("follower", follower),
    ):
        label = f"ticket socket, {name}: live_ticket_role"
        check = lambda user=user: live_ticket_role(keys[user.pk], user.pk, ticket.pk)  # noqa: E731
        timed(label, check, count)

    async def through_thread() -> None:
        check = database_sync_to_async(live_desk_access)
        await check(keys[agent.pk], agent.pk, desk.pk)
        start = time.perf_counter()
        for _ in range(count):
            await check(keys[agent.pk], agent.pk, desk.pk)
        per = (time.perf_counter() - start) / count * 1e6
        print(f"{'desk socket, agent, as consumers call it (thread hop)':<58} {per:7.0f} µs")

    asyncio.run(through_thread())


if __name__ == "__main__":
    main()
