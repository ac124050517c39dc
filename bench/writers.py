"""Ticket creates from several processes at once on one SQLite database, without HTTP.

Each process runs `POST /api/v1/tickets` through Django's WSGI handler in a loop (what a
gunicorn worker does per request, without the socket) and reports its CPU per create,
the time it waited for the writers' lock and the time it held it. Run alone, then two
at once on one copy of the database, then two at once each on its own copy: the
difference between the last two is what sharing the one writer costs.

    DESKLINE_DATA_DIR=/tmp/dl-sqlite-10k .venv/bin/python bench/generate.py --tickets 10000
    DESKLINE_DATA_DIR=/tmp/dl-sqlite-10k .venv/bin/python bench/writers.py [--creates 1500]

The source database is never written: each case runs on fresh copies under /tmp.
On a machine other work keeps busy, `chrt -r 10` in front gives these processes the CPU
whenever they can run (their children inherit it), as on an idle machine.
"""

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 200


def child(token: str, tag: str, creates: int, start_at: float) -> None:
    """One writer: warm up, wait for the common start, create, print one JSON line."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deskline.settings")
    from deskline.core.sqlite import base as sqlite_base
    from deskline.wsgi import application

    lock = {"wait": 0.0, "wait_cpu": 0.0, "held": 0.0, "since": None}
    acquire = sqlite_base.DatabaseWrapper._acquire_write_lock
    release = sqlite_base.DatabaseWrapper._release_write_lock

    def timed_acquire(self):  # type: ignore[no-untyped-def]
        wall, cpu = time.perf_counter(), time.process_time()
        acquire(self)
        lock["wait"] += time.perf_counter() - wall
        lock["wait_cpu"] += time.process_time() - cpu
        lock["since"] = time.perf_counter()

    def timed_release(self):  # type: ignore[no-untyped-def]
        if self._write_lock_held and lock["since"] is not None:
            lock["held"] += time.perf_counter() - lock["since"]
            lock["since"] = None
        release(self)

    sqlite_base.DatabaseWrapper._acquire_write_lock = timed_acquire
    sqlite_base.DatabaseWrapper._release_write_lock = timed_release

    def create(i: int) -> None:
        requester = (i * 31) % 400
        body = json.dumps(
            {
                "desk": "it",
                "subject": f"VPN drops every few minutes ({tag}-{i})",
                "requester": {
                    "email": f"bench.requester{requester}@corp.example",
                    "name": f"Bench Requester {requester}",
                },
                "message": {"body_text": f"Hello,\n\nCreated by bench/writers.py ({i}).\n"},
            }
        ).encode()
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/api/v1/tickets",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "HTTP_HOST": "127.0.0.1:8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_AUTHORIZATION": f"Bearer {token}",
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
        }
        status: list[str] = []
        response = application(environ, lambda s, headers, exc=None: status.append(s))
        b"".join(response)
        if not status[0].startswith("201"):
            raise SystemExit(f"create answered {status[0]}")

    for i in range(WARM_UP):
        create(i)
    time.sleep(max(0.0, start_at - time.time()))
    lock.update(wait=0.0, wait_cpu=0.0, held=0.0)
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(creates):
        create(10_000 + i)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    per = 1000 / creates
    print(
        json.dumps(
            {
                "tag": tag,
                "creates": creates,
                "per_second": round(creates / wall, 1),
                "cpu_ms": round(cpu * per, 3),
                "wall_ms": round(wall * per, 3),
                "lock_wait_ms": round(lock["wait"] * per, 3),
                "lock_wait_cpu_ms": round(lock["wait_cpu"] * per, 3),
                "lock_held_ms": round(lock["held"] * per, 3),
            }
        ),
        flush=True,
    )


def copy_database(source: Path) -> tuple[Path, str]:
    """A fresh copy of the data dir and an admin token on it."""
    target = Path(tempfile.mkdtemp(prefix="deskline-writers-"))
    shutil.rmtree(target)
    shutil.copytree(source, target)
    script = (
        "import django; django.setup()\n"
        "from deskline.accounts.services import create_admin, create_api_token\n"
        "u = create_admin('bench-writers@example.com', 'bench-writers-pw', name='Bench')\n"
        "print(create_api_token(u, name='bench'))\n"
    )
    token = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "deskline.settings",
            "DESKLINE_DATA_DIR": str(target),
        },
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return target, token


def run_case(name: str, source: Path, processes: int, separate: bool, creates: int) -> dict:
    copies = [copy_database(source) for _ in range(processes if separate else 1)]
    start_at = time.time() + 15  # after every process has started and warmed up
    children = []
    for n in range(processes):
        data_dir, token = copies[n if separate else 0]
        children.append(
            subprocess.Popen(  # noqa: S603
                [sys.executable, __file__, "--child", token, f"p{n}", str(creates), str(start_at)],
                env={**os.environ, "DESKLINE_DATA_DIR": str(data_dir)},
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    results = []
    for process in children:
        out, _ = process.communicate()
        if process.returncode:
            raise SystemExit(f"writers.py: a writer failed ({name})")
        results.append(json.loads(out.strip().splitlines()[-1]))
    for data_dir, _token in copies:
        shutil.rmtree(data_dir, ignore_errors=True)
    total = sum(r["per_second"] for r in results)
    print(f"== {name}: {total:.0f} creates/s in all", flush=True)
    for r in results:
        print(
            f"   {r['tag']}: {r['per_second']}/s, CPU {r['cpu_ms']} ms per create, lock held "
            f"{r['lock_held_ms']} ms, waited {r['lock_wait_ms']} ms "
            f"(CPU {r['lock_wait_cpu_ms']} ms)",
            flush=True,
        )
    return {"case": name, "creates_per_second": round(total, 1), "processes": results}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--creates", type=int, default=1500, help="per process, after warm-up")
    args = parser.parse_args()
    source = Path(os.environ.get("DESKLINE_DATA_DIR", ""))
    if not (source / "deskline.sqlite3").exists():
        raise SystemExit("writers.py: set DESKLINE_DATA_DIR to a database filled by generate.py")
    os.environ.setdefault("DESKLINE_API_RATE_LIMIT", "0")
    os.environ.setdefault("DESKLINE_LOG_LEVEL", "WARNING")
    os.chdir(ROOT)
    report = [
        run_case("one process", source, 1, False, args.creates),
        run_case("two processes, one database", source, 2, False, args.creates),
        run_case("two processes, a database each", source, 2, True, args.creates),
    ]
    out = ROOT / "bench" / "results" / f"writers-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"results: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
