"""Queries and CPU per mail through the intake, by outcome, with an optional profile.

    .venv/bin/python bench/mail_profile.py [--warm 912] [--mails 912] [--profile OUT]

On a fresh SQLite database: `--warm` mails first (not measured: the desks, requesters
and tickets that later mail answers), then `--mails` more through `ingest`, as
bench/mail_ingest.py builds them (the corpus repeated, a Message-ID of its own per copy).
Every statement is counted with an execute wrapper (BEGIN and savepoints included;
COMMIT is not a statement Django executes), per mail and by kind of mail: a new ticket,
a reply, a rejection. With --profile, cProfile runs over the measured mails only and its
stats are written to OUT (and the top of them printed); CPU per mail is then inflated.
It also times, by mail size, the UPDATE that marks a stored mail processed (SQLite
writes the whole row again, the bytes included) and the commits (wall time), and splits
the CPU time of `store_raw` and `process` into what runs while the connection holds the
SQLite writers' lock (deskline.core.sqlite: from BEGIN to COMMIT) and what runs outside
it: the share inside is what several intake processes cannot overlap.
"""

import argparse
import collections
import cProfile
import pstats
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mail_ingest import make_desk, setup_django, workload  # noqa: E402

_IN_LIST = re.compile(r"IN \([^)]*\)")
_SAVEPOINT = re.compile(r'"s\d+_x\d+"')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warm", type=int, default=912)
    parser.add_argument("--mails", type=int, default=912)
    parser.add_argument("--profile", default="")
    args = parser.parse_args()
    setup_django(tempfile.mkdtemp(prefix="deskline-bench-mail-profile-"))
    from django.db import connection

    import deskline
    from deskline.mail.services.intake import ingest
    from deskline.tickets.models import Message

    print("code:", deskline.__file__)
    desk = make_desk()
    mails = workload(args.warm + args.mails)
    for raw in mails[: args.warm]:
        ingest(raw, "pipe", default_desk=desk)

    statements: collections.Counter = collections.Counter()
    counting = True

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if counting:
            statements[_SAVEPOINT.sub("sp", _IN_LIST.sub("IN (...)", " ".join(sql.split())))] += 1
        return execute(sql, params, many, context)

    size = 0
    row_update: dict[str, list[float]] = collections.defaultdict(list)
    commits: dict[str, float] = collections.defaultdict(float)

    def bucket() -> str:
        limits = ((64 << 10, "< 64 KB"), (1 << 20, "64 KB - 1 MB"))
        return next((name for limit, name in limits if size < limit), ">= 1 MB")

    def timed(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if sql.startswith('UPDATE "mail_rawmail"'):
                row_update[bucket()].append(time.perf_counter() - start)

    commit = connection._commit

    def timed_commit():  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return commit()
        finally:
            commits[bucket()] += time.perf_counter() - start

    connection._commit = timed_commit

    # CPU while this connection holds the writers' lock, by step (store / process).
    step = "other"
    held: dict[str, float] = collections.defaultdict(float)
    step_cpu: dict[str, float] = collections.defaultdict(float)
    taken_at = None
    acquire, release = connection._acquire_write_lock, connection._release_write_lock

    def timed_acquire():  # type: ignore[no-untyped-def]
        nonlocal taken_at
        acquire()
        taken_at = time.process_time()

    def timed_release():  # type: ignore[no-untyped-def]
        nonlocal taken_at
        if taken_at is not None:
            held[step] += time.process_time() - taken_at
            taken_at = None
        release()

    connection._acquire_write_lock = timed_acquire
    connection._release_write_lock = timed_release
    from deskline.mail.services import intake

    def in_step(name, func):  # type: ignore[no-untyped-def]
        def run(*args, **kwargs):  # type: ignore[no-untyped-def]
            nonlocal step
            outer, step = step, name
            start = time.process_time()
            try:
                return func(*args, **kwargs)
            finally:
                step_cpu[name] += time.process_time() - start
                step = outer

        return run

    intake.store_raw = in_step("store", intake.store_raw)
    intake.process = in_step("process", intake.process)
    by_kind: dict[str, list[int]] = collections.defaultdict(list)
    profile = cProfile.Profile() if args.profile else None
    cpu = 0.0
    with connection.execute_wrapper(count), connection.execute_wrapper(timed):
        for raw in mails[args.warm :]:
            size = len(raw)
            before = sum(statements.values())
            start = time.process_time()
            if profile:
                profile.enable()
            raw_mail = ingest(raw, "pipe", default_desk=desk)
            if profile:
                profile.disable()
            cpu += time.process_time() - start
            used = sum(statements.values()) - before
            counting = False  # what kind of mail it was: not the intake's queries
            kind = raw_mail.state
            if kind == "processed":
                first = (
                    Message.objects.filter(ticket_id=raw_mail.ticket_id)
                    .order_by("id")
                    .values_list("id", flat=True)
                    .first()
                )
                kind = "new ticket" if first == raw_mail.ticket_message_id else "reply"
            counting = True
            by_kind[kind].append(used)
    n = args.mails
    total = sum(statements.values())
    note = " (under cProfile)" if profile else ""
    print(f"{n} mails after {args.warm}: {cpu:.2f} s CPU = {cpu / n * 1000:.2f} ms per mail"
          f"{note}; {total / n:.2f} statements per mail")  # fmt: skip
    for kind, counts in sorted(by_kind.items()):
        print(f"  {kind}: {len(counts)} mails, {sum(counts) / len(counts):.2f} statements each")
    for name in ("store", "process"):
        inside = held[name]
        print(f"  {name}: {step_cpu[name] / n * 1000:.2f} ms CPU per mail, "
              f"{inside / n * 1000:.2f} ms of it holding the write lock, "
              f"{(step_cpu[name] - inside) / n * 1000:.2f} ms outside")  # fmt: skip
    for name, seconds in row_update.items():
        print(f"  mail {name}: {len(seconds)} mails, processed-state UPDATE "
              f"{sum(seconds) / len(seconds) * 1000:.3f} ms, its two commits "
              f"{commits[name] / len(seconds) * 1000:.3f} ms (wall)")  # fmt: skip
    for sql, times in statements.most_common(30):
        print(f"{times / n:6.2f}  {sql[:150]}")
    if profile:
        profile.dump_stats(args.profile)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
