"""Deskline load benchmark: hello-world baseline, list latency, ticket creation.

Starts its own servers on 127.0.0.1 (gunicorn, like `deskline serve`), measures and
stops them. The database is the one the app would use (DATABASE_URL, else SQLite
under DESKLINE_DATA_DIR) and must have been filled by bench/generate.py.

    DESKLINE_DATA_DIR=/tmp/dl-sqlite-10k .venv/bin/python bench/load.py
    DATABASE_URL=postgres://root@127.0.0.1:5432/deskline_bench_10k \\
        DESKLINE_DATA_DIR=/tmp/dl-pg-10k .venv/bin/python bench/load.py

Phases run in this order: hello (baseline), list (latency), floor (Deskline's stack
without ticket work), create (throughput), so that list latency is measured on exactly
the generated data set. Tickets created by the create phase are deleted afterwards
unless --keep-created is given.
Needs wrk (`apt-get install wrk`).
"""

import argparse
import hashlib
import http.client
import json
import math
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable

# --- wrk scripts ----------------------------------------------------------------------

# Shared by both scripts: per-thread status counters summed in done(), printed as JSON.
WRK_COMMON = r"""
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  ok = 0
  bad = 0
  n = 0
end
function response(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1 else bad = bad + 1 end
end
function done(summary, latency, requests)
  local good, fail = 0, 0
  for _, t in ipairs(threads) do
    good = good + t:get("ok")
    fail = fail + t:get("bad")
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "ok_2xx": %d, "non_2xx": %d, ' ..
    '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, ' ..
    '"wrk_status_errors": %d, "latency_ms": {"mean": %.2f, "p50": %.2f, ' ..
    '"p90": %.2f, "p99": %.2f, "max": %.2f}}\n',
    summary.requests, summary.duration, good, fail, e.connect, e.read, e.write,
    e.timeout, e.status, latency.mean / 1000, latency:percentile(50) / 1000,
    latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
"""

WRK_GET = r"""
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
"""

WRK_CREATE = r"""
wrk.method = "POST"
wrk.path = "/api/v1/tickets"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
local subjects = {
  "VPN drops every few minutes",
  "لا أستطيع الاتصال بالشبكة الافتراضية الخاصة",
  "打印机卡纸了",
  "Laptop will not boot after update",
}
function request()
  n = n + 1
  -- 400 requesters, so most requests reuse a known person and some create one.
  local r = (tid * 7919 + n * 31) % 400
  local body = string.format(
    '{"desk": "it", "subject": "%s (bench %d-%d)", ' ..
    '"requester": {"email": "bench.requester%d@corp.example", "name": "Bench Requester %d"}, ' ..
    '"message": {"body_text": "Hello,\\n\\nCreated by bench/load.py, thread %d request %d.' ..
    '\\n\\nThanks"}}',
    subjects[(n % #subjects) + 1], tid, n, r, r, tid, n)
  return wrk.format(nil, nil, nil, body)
end
"""


def wrk_binary() -> str:
    path = shutil.which("wrk")
    if path is None:
        sys.exit(
            "load.py: wrk is not installed. Install it with `apt-get install wrk` "
            "(Debian/Ubuntu; run `apt-get update` first) and run again."
        )
    return path


def run_wrk(
    url: str, script: str, *, threads: int, connections: int, duration: int, env: dict | None = None
) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(WRK_COMMON + script)
        lua = handle.name
    try:
        command = [
            wrk_binary(),
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "-s",
            lua,
            url,
        ]
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            timeout=duration + 60,
            check=False,
        )
    finally:
        os.unlink(lua)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if done.returncode != 0 or line is None:
        sys.exit(f"load.py: wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    result = json.loads(line.removeprefix("WRKJSON "))
    result["rps"] = round(result["requests"] / (result["duration_us"] / 1e6), 1)
    result["command"] = " ".join(command[:-3] + ["<script>.lua", url])
    return result


# --- servers ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def machine_cpu() -> tuple[int, int]:
    """(busy, total) clock ticks of the whole machine so far, from /proc/stat."""
    with open("/proc/stat") as handle:
        ticks = [int(x) for x in handle.readline().split()[1:9]]
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)


def process_cpu(pgid: int, database: str | None) -> tuple[int, int]:
    """Clock ticks used so far by the live processes of one process group, and by
    PostgreSQL for one database: its live backends (their titles name it) plus the
    postmaster's finished children (parallel workers come and go within a query)."""
    group = backends = 0
    marker = f" {database} " if database else None
    postmasters = set()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            title = ""
            if marker:
                with open(f"/proc/{entry.name}/cmdline", "rb") as handle:
                    title = handle.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        ticks = int(fields[11]) + int(fields[12])
        if int(fields[2]) == pgid:
            group += ticks
        elif marker and title.startswith("postgres:") and marker in title:
            backends += ticks
            postmasters.add(fields[1])
    for pid in postmasters:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        backends += int(fields[13]) + int(fields[14])
    return group, backends


class CpuMeter:
    """How busy the machine was during a phase, and how much of that was not ours.

    Ours: the server's process group, this script and its waited-for children (wrk).
    Anything else (another job on the machine) skews the figures, so it is reported.
    """

    database: str | None = None  # PostgreSQL database whose backends count as ours

    def __init__(self, server: "Server | None" = None) -> None:
        self.server = server
        self.hz = os.sysconf("SC_CLK_TCK")

    def _ticks(self) -> tuple[int, int]:
        return process_cpu(self.server.process.pid if self.server else -1, self.database)

    def __enter__(self) -> "CpuMeter":
        self.machine = machine_cpu()
        self.server_ticks, self.db_ticks = self._ticks()
        self.own = time.process_time()
        self.children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return self

    def __exit__(self, *exc: object) -> None:
        busy, total = (b - a for a, b in zip(self.machine, machine_cpu(), strict=True))
        server, db = (
            b - a for a, b in zip((self.server_ticks, self.db_ticks), self._ticks(), strict=True)
        )
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        ours_s = (
            (server + db) / self.hz
            + time.process_time()
            - self.own
            + children.ru_utime
            - self.children.ru_utime
            + children.ru_stime
            - self.children.ru_stime
        )
        total_s = max(total / self.hz, 1e-9)
        self.server_cpu_s = server / self.hz
        self.result = {
            "machine_busy_pct": round(100 * busy / max(total, 1), 1),
            "foreign_busy_pct": round(max(0.0, 100 * (busy / self.hz - ours_s) / total_s), 1),
            "server_cpu_s": round(self.server_cpu_s, 2),
            "db_cpu_s": round(db / self.hz, 2),
        }


def measured(args: argparse.Namespace, server: "Server", run) -> tuple[dict, dict]:
    """run() under a CpuMeter, repeated (up to --retries times) while other work on the
    machine took more than --quiet-pct of it; returns the cleanest attempt."""
    best = None
    for attempt in range(1, args.retries + 2):
        idle = wait_for_quiet(args.quiet_pct, args.quiet_timeout)
        with CpuMeter(server) as meter:
            result = run()
        cpu = {**meter.result, "busy_before_pct": idle, "attempts": attempt}
        if best is None or cpu["foreign_busy_pct"] < best[1]["foreign_busy_pct"]:
            best = (result, cpu)
        if cpu["foreign_busy_pct"] <= args.quiet_pct:
            break
        print(
            f"   ! other work took {cpu['foreign_busy_pct']}% of the machine during the "
            f"measurement (attempt {attempt})",
            flush=True,
        )
    return best


def wait_for_quiet(limit_pct: float, timeout: float) -> float:
    """Wait (up to timeout s) until other work uses under limit_pct of the machine."""
    deadline = time.monotonic() + timeout
    warned = False
    while True:
        before = machine_cpu()
        time.sleep(3)
        busy, total = (b - a for a, b in zip(before, machine_cpu(), strict=True))
        pct = 100 * busy / max(total, 1)
        if pct <= limit_pct or time.monotonic() > deadline:
            if pct > limit_pct:
                print(
                    f"   ! machine still {pct:.0f}% busy with other work; measuring anyway",
                    flush=True,
                )
            return round(pct, 1)
        if not warned:
            print(
                f"   machine {pct:.0f}% busy with other work; waiting for it to settle...",
                flush=True,
            )
            warned = True


class Server:
    """A gunicorn master on 127.0.0.1, in its own process group, stopped on exit."""

    def __init__(
        self,
        app: str,
        *,
        workers: int = 2,
        threads: int = 1,
        env: dict | None = None,
        name: str = "server",
    ) -> None:
        self.port = free_port()
        self.name = name
        worker_class = "gthread" if threads > 1 else "sync"
        self.command = [
            PYTHON,
            "-m",
            "gunicorn",
            app,
            "--chdir",
            str(ROOT),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            worker_class,
            "--timeout",
            "60",
            "--graceful-timeout",
            "10",
            "--log-level",
            "warning",
        ]
        handle, self.log_path = tempfile.mkstemp(prefix="deskline-bench-", suffix=f"-{name}.log")
        self.process = subprocess.Popen(  # noqa: S603
            self.command,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        os.close(handle)
        self.url = f"http://127.0.0.1:{self.port}"
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                sys.exit(f"load.py: {self.name} exited early:\n{self.log_text()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/")
                conn.getresponse().read()
                conn.close()
                time.sleep(1)  # let every worker finish booting
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        sys.exit(f"load.py: {self.name} did not start in {timeout}s:\n{self.log_text()}")

    def log_text(self) -> str:
        return Path(self.log_path).read_text()[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if os.path.exists(self.log_path):
            os.unlink(self.log_path)

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def deskline_env() -> dict:
    return {
        "DJANGO_SETTINGS_MODULE": "deskline.settings",
        # One token does all the requests of a run; the default budget (1200/min) would
        # turn most of them into 429s.
        "DESKLINE_API_RATE_LIMIT": "0",
        "DESKLINE_LOG_LEVEL": "WARNING",
    }


# --- Django side: users, tokens, sample parameters, cursors --------------------------


def setup_django() -> None:
    for key, value in deskline_env().items():
        os.environ.setdefault(key, value)
    import django

    django.setup()


def database_info() -> dict:
    from django.db import connection

    from deskline.tickets.models import Ticket

    info = {"vendor": connection.vendor, "tickets": Ticket.objects.count()}
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SHOW server_version")
            info["version"] = cur.fetchone()[0]
            info["name"] = connection.settings_dict["NAME"]
        else:
            cur.execute("SELECT sqlite_version()")
            info["version"] = cur.fetchone()[0]
            info["name"] = str(connection.settings_dict["NAME"])
    return info


def it_agent(script: str):  # type: ignore[no-untyped-def]
    """The agent the benchmarks act as: an agent of the IT desk and of no other desk."""
    from django.db.models import Count

    from deskline.desks.models import DeskMembership

    single_desk = (
        DeskMembership.objects.values("user_id")
        .annotate(n=Count("id"))
        .filter(n=1)
        .values("user_id")
    )
    membership = (
        DeskMembership.objects.filter(desk__slug="it", role="agent", user_id__in=single_desk)
        .select_related("user")
        .order_by("user__email")[5:6]
        .first()
    )
    if membership is None:
        sys.exit(f"{script}: no IT agent found; fill the database with bench/generate.py first")
    return membership.user


def bench_users() -> dict:
    """An admin, an agent of one desk (IT) and tokens for both, through the app's services."""
    from django.db.models import Count

    from deskline.accounts.models import User
    from deskline.accounts.services import create_admin, create_api_token
    from deskline.tickets.models import Tag, Ticket

    admin = create_admin("bench-admin@example.com", "bench-admin-password", name="Bench Admin")
    agent = it_agent("load.py")
    requester_id = (
        Ticket.objects.filter(desk__slug="it")
        .values("requester_id")
        .annotate(n=Count("id"))
        .order_by("-n", "requester_id")[0]["requester_id"]
    )
    tag = Tag.objects.annotate(n=Count("tickettag")).order_by("-n", "name").first()
    return {
        "admin": {"user": admin, "token": create_api_token(admin, name="bench")},
        "agent": {"user": agent, "token": create_api_token(agent, name="bench")},
        "params": {
            "agent_email": agent.email,
            "requester_email": User.objects.get(pk=requester_id).email,
            "tag": tag.name if tag else "vip",
        },
    }


def list_queries(params: dict) -> list[tuple[str, dict]]:
    return [
        ("all", {}),
        ("desk=it&status=open", {"desk": "it", "status": "open"}),
        ("assignee=<agent>", {"assignee": params["agent_email"]}),
        ("priority=urgent", {"priority": "urgent"}),
        ("tag=<top tag>", {"tag": params["tag"]}),
        ("requester=<email>", {"requester": params["requester_email"]}),
    ]


def deep_cursor(user: object, filters: dict, depth_pages: int, limit: int) -> dict:
    """A cursor `depth_pages` pages deep (or half-way for smaller result sets), built
    from the row the API would end that page on, plus the id that must follow it."""
    from deskline.api.pagination import encode_cursor
    from deskline.api.routers.tickets import TicketFilters, _apply_filters
    from deskline.tickets.access import visible_tickets_for_user

    queryset = _apply_filters(visible_tickets_for_user(user), user, TicketFilters(**filters))
    queryset = queryset.order_by("-updated_at", "-id")
    total = queryset.count()
    offset = min(depth_pages * limit, total // 2) - 1
    if offset < 1:
        return {"total": total, "offset": 0, "cursor": None, "expect_id": None}
    rows = list(queryset.values_list("updated_at", "id")[offset : offset + 2])
    return {
        "total": total,
        "offset": offset + 1,
        "cursor": encode_cursor(rows[0][0], rows[0][1]),
        "expect_id": rows[1][1] if len(rows) > 1 else None,
    }


# --- measurements -------------------------------------------------------------------


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def time_get(port: int, token: str, path: str, count: int, warmup: int) -> dict:
    """Sequential GETs on one client connection (reopened when the server closes it)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    samples, errors, items, first_id = [], 0, None, None
    for i in range(warmup + count):
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            errors += 1
            if errors == 1:
                print(f"    ! {response.status} for {path}: {body[:200]!r}", flush=True)
            continue
        if i >= warmup:
            samples.append(elapsed)
        if items is None:
            page = json.loads(body)
            items = len(page["items"])
            first_id = page["items"][0]["id"] if page["items"] else None
    conn.close()
    samples.sort()
    return {
        "n": len(samples),
        "errors": errors,
        "items": items,
        "first_id": first_id,
        "p50": round(percentile(samples, 50), 2) if samples else None,
        "p95": round(percentile(samples, 95), 2) if samples else None,
        "p99": round(percentile(samples, 99), 2) if samples else None,
        "max": round(samples[-1], 2) if samples else None,
    }


def phase_hello(args: argparse.Namespace) -> dict:
    print("== hello world: gunicorn 2 sync workers, bench/hello.py", flush=True)
    with Server("bench.hello:application", workers=2, name="hello") as server:
        result, cpu = measured(
            args,
            server,
            lambda: run_wrk(
                server.url + "/",
                "",
                threads=args.wrk_threads,
                connections=args.connections,
                duration=args.duration,
            ),
        )
    result.update(server="gunicorn -w 2 (sync) bench.hello:application", **cpu)
    print(
        f"   {result['rps']:.0f} req/s, non-2xx {result['non_2xx']}, p50 "
        f"{result['latency_ms']['p50']} ms (other work: {cpu['foreign_busy_pct']}% "
        "of the machine)",
        flush=True,
    )
    return result


def phase_list(args: argparse.Namespace, users: dict) -> dict:
    print(
        f"== list latency: {args.requests} sequential requests per query "
        f"(+{args.warmup} warm-up), gunicorn 2 sync workers",
        flush=True,
    )
    results: dict = {}
    with Server(
        "deskline.wsgi:application", workers=2, env=deskline_env(), name="deskline"
    ) as server:
        for role in ("admin", "agent"):
            user, token = users[role]["user"], users[role]["token"]
            results[role] = {}
            for name, filters in list_queries(users["params"]):
                deep = deep_cursor(user, filters, args.depth, args.limit)
                for kind in ("first", "deep"):
                    query = {**filters, "limit": args.limit}
                    if kind == "deep":
                        if deep["cursor"] is None:
                            continue
                        query["cursor"] = deep["cursor"]
                    path = "/api/v1/tickets?" + urllib.parse.urlencode(query)
                    timing, cpu = measured(
                        args,
                        server,
                        lambda p=path, t=token: time_get(
                            server.port, t, p, args.requests, args.warmup
                        ),
                    )
                    sent = args.requests + args.warmup
                    timing.update(
                        matching=deep["total"],
                        path=path,
                        **cpu,
                        server_cpu_ms_per_request=round(1000 * cpu["server_cpu_s"] / sent, 2),
                        db_cpu_ms_per_request=round(1000 * cpu["db_cpu_s"] / sent, 2),
                    )
                    if kind == "deep":
                        timing["offset"] = deep["offset"]
                        timing["cursor_ok"] = timing["first_id"] == deep["expect_id"]
                    results[role][f"{name} [{kind}]"] = timing
                    depth = f" @row {deep['offset']:,}" if kind == "deep" else ""
                    print(
                        f"   {role:5} {name:20} {kind:5}{depth:15} p50 {timing['p50']:7.2f}"
                        f"  p95 {timing['p95']:7.2f}  p99 {timing['p99']:7.2f} ms"
                        f"  ({deep['total']:,} match, {timing['errors']} errors, other "
                        f"work {cpu['foreign_busy_pct']}%)",
                        flush=True,
                    )
    return results


def phase_floor(args: argparse.Namespace, users: dict, hello_rps: float | None) -> dict:
    """What Deskline's own stack costs before any ticket work: /health (middleware and a
    SELECT 1) and GET /api/v1/users/me (token auth and two small queries), with the
    same load as the create phase. The ceiling a create could reach on this machine."""
    print("== floor: Deskline under gunicorn 2 sync workers, no ticket work", flush=True)
    results = {}
    with Server(
        "deskline.wsgi:application", workers=2, env=deskline_env(), name="deskline"
    ) as server:
        for name, path in (("health", "/health"), ("users/me", "/api/v1/users/me")):
            result, cpu = measured(
                args,
                server,
                lambda p=path: run_wrk(
                    server.url + p,
                    WRK_GET,
                    threads=args.wrk_threads,
                    connections=args.connections,
                    duration=args.duration,
                    env={"BENCH_TOKEN": users["admin"]["token"]},
                ),
            )
            result.update(
                **cpu, ratio_to_hello=round(result["rps"] / hello_rps, 3) if hello_rps else None
            )
            ratio = f", {result['ratio_to_hello']:.1%} of hello" if hello_rps else ""
            print(
                f"   {name:9} {result['rps']:.0f} req/s{ratio}, non-2xx {result['non_2xx']}, "
                f"other work {cpu['foreign_busy_pct']}%",
                flush=True,
            )
            results[name] = result
    return results


def drain_hooks(limit_seconds: float = 120.0) -> dict | None:
    """Time `deskline worker --batch` over the tasks the create phase queued, for at
    most limit_seconds; what is left counts as not drained."""
    from deskline.core.tasks_db import in_database

    if not in_database():
        return None
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    def ready() -> dict[str, int]:
        rows = DBTaskResult.objects.ready().values("task_path").annotate(n=Count("id"))
        return {row["task_path"].rsplit(".", 1)[-1]: row["n"] for row in rows}

    queued = ready()
    started = time.perf_counter()
    worker = subprocess.Popen(
        [PYTHON, "-m", "deskline", "worker", "--batch", "--no-scheduler"],
        env={**os.environ, **deskline_env()},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        worker.wait(timeout=limit_seconds)
    except subprocess.TimeoutExpired:
        worker.terminate()
        worker.wait(timeout=30)
    seconds = time.perf_counter() - started
    left = ready()
    drained = {name: n - left.get(name, 0) for name, n in queued.items()}
    for name, n in queued.items():
        print(
            f"   worker, {name}: {drained[name]} of {n} queued tasks in {seconds:.0f} s "
            f"(= {drained[name] / seconds:.0f}/s, start-up included)",
            flush=True,
        )
    return {"queued": queued, "drained": drained, "seconds": round(seconds, 1)}


def phase_create(args: argparse.Namespace, users: dict, hello_rps: float | None) -> dict:
    from deskline.tickets.models import Ticket

    def run(server: Server) -> dict:
        before_max = Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0
        result = run_wrk(
            server.url + "/api/v1/tickets",
            WRK_CREATE,
            threads=args.wrk_threads,
            connections=args.connections,
            duration=args.duration,
            env={"BENCH_TOKEN": users["admin"]["token"]},
        )
        time.sleep(2)  # let requests still in flight when wrk stopped finish
        created = Ticket.objects.filter(pk__gt=before_max).count()
        result.update(db_created=created, db_minus_wrk_2xx=created - result["ok_2xx"])
        # The request only queues the other apps' work (SLA, routing, triggers, search):
        # how fast the worker then catches up is part of the honest figure.
        result["hooks"] = drain_hooks(args.drain_seconds) if args.drain_seconds > 0 else None
        if not args.keep_created:
            Ticket.objects.filter(pk__gt=before_max).delete()
        return result

    results = {}
    for variant in args.create_variants.split(","):
        workers, _, threads = variant.partition("x")
        workers, threads = int(workers), int(threads or 1)
        label = f"gunicorn -w {workers}" + (
            f" --threads {threads} (gthread)" if threads > 1 else " (sync)"
        )
        print(
            f"== create tickets: {label}, wrk -t{args.wrk_threads} -c{args.connections} "
            f"-d{args.duration}s",
            flush=True,
        )
        with Server(
            "deskline.wsgi:application",
            workers=workers,
            threads=threads,
            env=deskline_env(),
            name="deskline",
        ) as server:
            result, cpu = measured(args, server, lambda s=server: run(s))
        result.update(
            server=label,
            **cpu,
            server_cpu_ms_per_request=round(1000 * cpu["server_cpu_s"] / result["requests"], 2)
            if result["requests"]
            else None,
            db_cpu_ms_per_request=round(1000 * cpu["db_cpu_s"] / result["requests"], 2)
            if result["requests"]
            else None,
            ratio_to_hello=round(result["rps"] / hello_rps, 3) if hello_rps else None,
        )
        ratio = f", {result['ratio_to_hello']:.1%} of hello" if hello_rps else ""
        print(
            f"   {result['rps']:.0f} tickets/s{ratio}, non-2xx {result['non_2xx']}, socket "
            f"errors {sum(result['socket_errors'].values())}, p50 "
            f"{result['latency_ms']['p50']} ms p99 {result['latency_ms']['p99']} ms; "
            f"DB created {result['db_created']} vs wrk 2xx {result['ok_2xx']}; machine "
            f"busy {cpu['machine_busy_pct']}%, other work {cpu['foreign_busy_pct']}%",
            flush=True,
        )
        results[variant] = result
    return results


def git_state() -> dict:
    def git(*argv: str) -> str:
        done = subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    diff = git("diff", "HEAD")
    return {
        "commit": git("rev-parse", "HEAD"),
        "changed_files": git("status", "--porcelain").splitlines(),
        "diff_sha256": hashlib.sha256(diff.encode()).hexdigest() if diff else None,
    }


def print_table(report: dict) -> None:
    db = report["database"]
    print(f"\nDeskline benchmark — {db['vendor']} {db['version']}, {db['tickets']:,} tickets")
    hello = report.get("hello")
    if hello:
        print(
            f"hello world        {hello['rps']:>7.0f} req/s      non-2xx {hello['non_2xx']}"
            f"  p50 {hello['latency_ms']['p50']} ms  (other work {hello['foreign_busy_pct']}%)"
        )
    for name, r in report.get("floor", {}).items():
        ratio = f"{r['ratio_to_hello']:.1%}" if r.get("ratio_to_hello") else "-"
        print(
            f"floor {name:12} {r['rps']:>7.0f} req/s      non-2xx {r['non_2xx']}  ratio {ratio}"
            f"  (other work {r['foreign_busy_pct']}%)"
        )
    for variant, r in report.get("create", {}).items():
        ratio = f"{r['ratio_to_hello']:.1%}" if r.get("ratio_to_hello") else "-"
        print(
            f"create [{variant:>4}]    {r['rps']:>7.1f} tickets/s  non-2xx {r['non_2xx']}"
            f"  ratio {ratio}  p50 {r['latency_ms']['p50']} ms  p99 "
            f"{r['latency_ms']['p99']} ms  DB {r['db_created']} / wrk 2xx {r['ok_2xx']}"
            f"  (machine busy {r['machine_busy_pct']}%, other work {r['foreign_busy_pct']}%)"
        )
    if report.get("list"):
        print(
            f"\n{'user':6} {'query':30} {'p50':>7} {'p95':>7} {'p99':>7} {'matching':>10}"
            f" {'from row':>9}  other%"
        )
        for role, queries in report["list"].items():
            for name, t in queries.items():
                flag = "  > 50 ms" if t["p95"] > 50 else ""
                if t.get("cursor_ok") is False:
                    flag += "  CURSOR MISMATCH"
                print(
                    f"{role:6} {name:30} {t['p50']:>7.2f} {t['p95']:>7.2f} {t['p99']:>7.2f}"
                    f" {t['matching']:>10,} {t.get('offset', 0):>9,}  "
                    f"{t['foreign_busy_pct']:>5}{flag}"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phases", default="hello,list,floor,create")
    parser.add_argument("--duration", type=int, default=15, help="wrk seconds")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per query")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--limit", type=int, default=25)
    parser.add_argument("--depth", type=int, default=2000, help="deep page number")
    parser.add_argument(
        "--create-variants",
        default="2,2x4",
        help="comma list of WORKERS[xTHREADS] gunicorn set-ups",
    )
    parser.add_argument("--keep-created", action="store_true")
    parser.add_argument(
        "--drain-seconds",
        type=float,
        default=120.0,
        help="time the worker over the queued hook tasks after each create run (0: skip)",
    )
    parser.add_argument("--label", default="")
    parser.add_argument(
        "--quiet-pct",
        type=float,
        default=10.0,
        help="wait before each measurement until the machine is this idle",
    )
    parser.add_argument("--quiet-timeout", type=float, default=600.0)
    parser.add_argument(
        "--retries",
        type=int,
        default=3,
        help="re-measure when other work took more than --quiet-pct",
    )
    args = parser.parse_args()
    phases = set(args.phases.split(","))
    wrk_binary()

    # A plain kill (SIGTERM) still stops the servers this script started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    setup_django()
    database = database_info()
    if database["vendor"] == "postgresql":
        CpuMeter.database = database["name"]
    if not database["tickets"]:
        sys.exit("load.py: no tickets in this database; run bench/generate.py first")
    print(
        f"database: {database['vendor']} {database['version']} {database['name']}, "
        f"{database['tickets']:,} tickets",
        flush=True,
    )
    users = bench_users()
    report: dict = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "database": database,
        "params": users["params"],
        "git": git_state(),
        "settings": vars(args),
    }
    if "hello" in phases:
        report["hello"] = phase_hello(args)
    if "list" in phases:
        report["list"] = phase_list(args, users)
    hello_rps = report.get("hello", {}).get("rps")
    if "floor" in phases:
        report["floor"] = phase_floor(args, users, hello_rps)
    if "create" in phases:
        report["create"] = phase_create(args, users, hello_rps)

    RESULTS.mkdir(parents=True, exist_ok=True)
    label = args.label or f"{database['vendor']}-{database['tickets']}"
    out = RESULTS / f"{label}-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(report, indent=2, default=str))
    print_table(report)
    print(f"\nresults: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
