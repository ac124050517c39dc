"""Email intake throughput on the shared corpus repeated to >= 10,000 messages.

    .venv/bin/python bench/mail_ingest.py [--total 10000] [--smtp 10000] [--pipe 50] [--procs N]
        [--smtp-processes N] [--smtp-connections N] [--pipe-jobs N] [--pipe-no-bytecode]

Runs on a fresh SQLite database in a temporary data dir (DATABASE_URL=postgres://... to
measure PostgreSQL instead; the database must be empty). Message-IDs are made unique per
repetition so every copy is a new mail, not a duplicate. Three measures:
in-process store_raw + process (what the pipe and the poller run), the real
`deskline mail ingest` command for a sample, and SMTP (smtplib against `deskline smtpd`).
With --procs N the in-process part runs in N processes at once (each one every Nth
mail), as N pipe deliveries or pollers would; the wall time is until the last one ends.
With --smtp-processes N the SMTP server processes stored mail in N worker processes
(`deskline smtpd --processes N`; without it, DESKLINE_SMTPD_PROCESSES or the default);
with --smtp-connections N the mail is sent over N connections at once (a mail server
delivering its queue), each a batch of 100 mails per connection as with one.
With --pipe-jobs N the `deskline mail ingest` sample runs N commands at once, as a mail
server runs its pipe deliveries (Postfix: up to 20 per destination); the sample is the
corpus repeated to --pipe mails. The commands run with their bytecode cached in a
temporary directory (as an installed package has it) unless --pipe-no-bytecode.
With --pipe-worker a `deskline worker` runs meanwhile: the commands hand their mail to it
over its Unix socket (mail/pipe_client.py), as under `deskline serve`; its CPU is counted.
"""

import argparse
import os
import re
import resource
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mail"
SKIP_SUFFIXES = {".json", ".md", ".py", ".yaml", ".yml", ".csv", ".html", ".png", ".jpg"}
_MESSAGE_ID = re.compile(rb"^message-id:[^\n]*\n(?:[ \t][^\n]*\n)*", re.IGNORECASE | re.MULTILINE)


def corpus() -> list[bytes]:
    mails = []
    for path in sorted(CORPUS.rglob("*")):
        if not path.is_file() or path.suffix.lower() in SKIP_SUFFIXES:
            continue
        if path.name.upper().startswith(("SOURCE", "README", "LICENSE", "EXPECTED")):
            continue
        if "zbateson_mmp/files" in str(path) or path.stat().st_size > 10_000_000:
            continue
        mails.append(path.read_bytes())
    return mails


def unique_copy(raw: bytes, tag: str) -> bytes:
    """The mail with a Message-ID of its own (every repetition is a new mail)."""
    header = f"Message-ID: <bench-{tag}@bench.test>\n".encode()
    stripped = _MESSAGE_ID.sub(b"", raw, count=1)
    return header + stripped


def workload(total: int) -> list[bytes]:
    base = corpus()
    return [unique_copy(base[i % len(base)], f"{i}") for i in range(total)]


def setup_django(data_dir: str) -> None:
    os.environ["DESKLINE_DATA_DIR"] = data_dir
    os.environ.setdefault("DESKLINE_SECRET_KEY", "bench")
    os.environ["DESKLINE_LOG_LEVEL"] = "ERROR"
    os.environ["DJANGO_SETTINGS_MODULE"] = "deskline.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_desk():  # type: ignore[no-untyped-def]
    from deskline.desks.services import create_desk
    from deskline.mail.models import DeskAddress

    desk = create_desk(name="Bench", slug="bench", prefix="BN", visibility="external")
    DeskAddress.objects.create(desk=desk, email="help@bench.test", primary=True)
    return desk


def states() -> Counter:
    from deskline.mail.models import RawMail

    return Counter(RawMail.objects.values_list("state", flat=True))


def bench_in_process(mails: list[bytes], desk) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(wall seconds, CPU seconds of this process): on a shared machine the CPU time
    says what the intake costs, the wall time what it got."""
    from deskline.mail.services.intake import ingest

    start, cpu = time.perf_counter(), time.process_time()
    for raw in mails:
        ingest(raw, "pipe", default_desk=desk)
    return time.perf_counter() - start, time.process_time() - cpu


def _ingest_share(args: tuple[list[bytes], int]) -> float:
    """One process's share: every Nth mail; returns its CPU seconds."""
    from django.db import connections

    from deskline.desks.models import Desk
    from deskline.mail.services.intake import ingest

    mails, desk_id = args
    desk = Desk.objects.get(pk=desk_id)
    cpu = time.process_time()
    for raw in mails:
        ingest(raw, "pipe", default_desk=desk)
    connections.close_all()
    return time.process_time() - cpu


def bench_processes(mails: list[bytes], desk, procs: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(wall seconds until every process ended, CPU seconds of them all)."""
    import multiprocessing

    from django.db import connections

    connections.close_all()  # a forked child must open its own connection
    shares = [(mails[n::procs], desk.pk) for n in range(procs)]
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(procs) as pool:
        cpu = sum(pool.map(_ingest_share, shares))
    return time.perf_counter() - start, cpu


def load() -> str:
    return "load average " + " ".join(f"{n:.2f}" for n in os.getloadavg())


# The installed `deskline` script, as a mail server's pipe runs it (docs/configuration.md);
# `python -m deskline` costs the command some 8 ms more CPU to start.
SCRIPT = Path(sys.executable).with_name("deskline")
PIPE_COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "deskline"]


def _pipe_one(raw: bytes, env: dict) -> None:
    done = subprocess.run(
        [*PIPE_COMMAND, "mail", "ingest", "--desk", "bench"],
        input=raw,
        capture_output=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr


def bench_pipe(mails: list[bytes], env: dict, jobs: int = 1) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the commands) for one `deskline mail ingest` per
    mail, `jobs` of them running at once."""
    cpu = children_cpu()
    start = time.perf_counter()
    if jobs > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(jobs) as deliveries:
            list(deliveries.map(lambda raw: _pipe_one(raw, env), mails))
    else:
        for raw in mails:
            _pipe_one(raw, env)
    return time.perf_counter() - start, children_cpu() - cpu


def start_pipe_worker(env: dict) -> subprocess.Popen:
    """A `deskline worker` listening on the pipe's socket, once it listens."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "deskline", "worker", "--no-scheduler"], env=env
    )
    path = Path(env["DESKLINE_DATA_DIR"]) / "mail-ingest.sock"
    deadline = time.monotonic() + 60
    while True:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(str(path))
                return worker
            except OSError:
                if worker.poll() is not None or time.monotonic() > deadline:
                    sys.exit("the worker did not start listening")
        time.sleep(0.05)


def pipe_env(env: dict, bytecode: bool) -> dict:
    """The commands' environment: with bytecode, compiled modules are cached in a
    temporary directory, as `pip install` leaves them beside an installed package (a
    checkout run with PYTHONDONTWRITEBYTECODE compiles every Deskline module each time)."""
    if not bytecode:
        return env
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="deskline-bench-pyc-")
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a running process and its children (Linux /proc;
    0 elsewhere)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _send_share(port: int, mails: list[bytes]) -> int:
    """Send mails over SMTP as a mail server does (a batch per connection); the refused count."""
    refused = 0
    client = smtplib.SMTP("127.0.0.1", port, local_hostname="bench", timeout=120)
    for n, raw in enumerate(mails):
        if n and n % 100 == 0:  # a mail server sends a batch per connection
            client.quit()
            client = smtplib.SMTP("127.0.0.1", port, local_hostname="bench", timeout=120)
        try:
            client.sendmail("sender@bench.test", ["help@bench.test"], raw)
        except smtplib.SMTPException:
            refused += 1
    client.quit()
    return refused


def bench_smtp(
    mails: list[bytes], env: dict, processes: int | None = None, connections: int = 1
) -> tuple[float, float, int, float, float]:
    """(seconds until every 250, seconds until every mail processed, refused count,
    CPU seconds of the server process and its workers: what the intake cost, whatever
    the load; and of that, the CPU seconds spent starting before the first mail)."""
    from deskline.mail.models import RawMail

    cpu = children_cpu()
    port = free_port()
    command = [sys.executable, "-m", "deskline", "smtpd", "--port", str(port)]
    if processes:
        command += ["--processes", str(processes)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE)
    server.stdout.readline()  # "SMTP intake listening..." (its workers started)
    startup = process_tree_cpu(server.pid)
    before = RawMail.objects.count()
    refused = 0
    try:
        start = time.perf_counter()
        if connections > 1:
            # As a mail server delivers a queue: several connections at once.
            from concurrent.futures import ThreadPoolExecutor

            shares = [mails[n::connections] for n in range(connections)]
            with ThreadPoolExecutor(connections) as senders:
                refused = sum(senders.map(lambda share: _send_share(port, share), shares))
        else:
            refused = _send_share(port, mails)
        accepted = time.perf_counter() - start
        while RawMail.objects.filter(pk__gt=0, state="received").exists() or (
            RawMail.objects.count() - before < len(mails) - refused
        ):
            time.sleep(0.2)
        processed = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=60)
    return accepted, processed, refused, children_cpu() - cpu, startup


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--total", type=int, default=10_000, help="in-process messages")
    parser.add_argument("--smtp", type=int, default=10_000, help="messages sent over SMTP")
    parser.add_argument("--pipe", type=int, default=50, help="`deskline mail ingest` runs")
    parser.add_argument(
        "--pipe-jobs", type=int, default=1, help="`deskline mail ingest` commands at once"
    )
    parser.add_argument(
        "--pipe-worker",
        action="store_true",
        help="run a `deskline worker` that the commands hand their mail to",
    )
    parser.add_argument(
        "--pipe-no-bytecode",
        action="store_true",
        help="run the commands without cached bytecode (every module compiled each time)",
    )
    parser.add_argument("--procs", type=int, default=1, help="in-process ingesting processes")
    parser.add_argument(
        "--smtp-processes", type=int, default=None, help="`deskline smtpd --processes`"
    )
    parser.add_argument(
        "--smtp-connections", type=int, default=1, help="SMTP connections sending at once"
    )
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"corpus not found at {CORPUS}")
    data_dir = tempfile.mkdtemp(prefix="deskline-bench-mail-")
    setup_django(data_dir)
    desk = make_desk()
    base = corpus()
    print(f"corpus: {len(base)} files; database: {os.environ.get('DATABASE_URL') or 'SQLite'}")
    env = {**os.environ}

    mails = workload(args.total)
    print(f"in-process start: {time.strftime('%H:%M:%S', time.gmtime())} UTC, {load()}")
    if args.procs > 1:
        seconds, cpu = bench_processes(mails, desk, args.procs)
    else:
        seconds, cpu = bench_in_process(mails, desk)
    seconds, cpu = seconds or 1e-9, cpu or 1e-9
    print(f"in-process store_raw+process, {args.procs} process(es): {len(mails)} mails "
          f"in {seconds:.1f} s "
          f"= {len(mails) / seconds:.0f} mails/s ({cpu:.1f} s CPU = {len(mails) / cpu:.0f} "
          f"mails per CPU second); states {dict(states())}; end {load()}")  # fmt: skip

    if args.pipe:
        sample = [unique_copy(base[i % len(base)], f"pipe-{i}") for i in range(args.pipe)]
        bytecode = not args.pipe_no_bytecode
        commands_env = pipe_env(env, bytecode)
        if bytecode:
            bench_pipe(sample[:1], commands_env)  # compiles and caches the modules
        worker = start_pipe_worker(commands_env) if args.pipe_worker else None
        worker_cpu = process_tree_cpu(worker.pid) if worker else 0.0
        print(f"pipe start: {time.strftime('%H:%M:%S', time.gmtime())} UTC, {load()}")
        seconds, cpu = bench_pipe(sample[bytecode:], commands_env, args.pipe_jobs)
        if worker:
            worker_cpu = process_tree_cpu(worker.pid) - worker_cpu
            print(f"commands {cpu / (len(sample) - bytecode) * 1000:.1f} ms CPU per mail, "
                  f"worker {worker_cpu / (len(sample) - bytecode) * 1000:.1f} ms (with the "
                  f"new tickets' hook tasks it runs meanwhile)")  # fmt: skip
            cpu += worker_cpu
            worker.terminate()
            worker.wait(timeout=60)
        n = len(sample) - bytecode
        print(f"`deskline mail ingest` subprocess, {args.pipe_jobs} at once"
              f"{', handed to a running worker (its CPU included)' if worker else ''} "
              f"({'bytecode cached' if bytecode else 'no bytecode cache'}): {n} mails "
              f"in {seconds:.1f} s = {n / seconds:.1f} mails/s, "
              f"{seconds / n * 1000:.0f} ms per mail of wall time, "
              f"{cpu / n * 1000:.0f} ms CPU per mail, start-up included; "
              f"states {dict(states())}; end {load()}")  # fmt: skip

    if args.smtp:
        smtp_mails = [unique_copy(base[i % len(base)], f"smtp-{i}") for i in range(args.smtp)]
        print(f"SMTP start: {time.strftime('%H:%M:%S', time.gmtime())} UTC, {load()}")
        accepted, processed, refused, cpu, startup = bench_smtp(
            smtp_mails, env, args.smtp_processes, args.smtp_connections
        )
        n = len(smtp_mails)
        processes = args.smtp_processes or env.get("DESKLINE_SMTPD_PROCESSES") or "default"
        print(f"SMTP ({processes} processing process(es), {args.smtp_connections} "
              f"connection(s) at once): {n} mails answered 250 "
              f"in {accepted:.1f} s = {n / accepted:.0f} mails/s; "
              f"all processed after {processed:.1f} s = {n / processed:.0f} mails/s; "
              f"server {cpu:.1f} s CPU (start-up included) = {cpu / n * 1000:.1f} ms per mail, "
              f"{(cpu - startup) / n * 1000:.1f} ms without the {startup:.1f} s of start-up; "
              f"refused {refused}; states {dict(states())}; end {load()}")  # fmt: skip


if __name__ == "__main__":
    main()
