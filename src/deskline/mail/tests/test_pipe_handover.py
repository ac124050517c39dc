"""`deskline mail ingest` handing its mail to a running worker (mail/pipe_client.py).

A real `deskline worker` process listens on its Unix socket; the commands run as real
subprocesses, as a mail server runs them, on a SQLite file of their own.
"""

import os
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from deskline.mail.tests.conftest import build_mail
from deskline.mail.tests.test_pipe import _env, migrated, query  # noqa: F401
from deskline.mail.tests.test_pipe import data_dir as data_dir  # noqa: F401 - migrated needs it

SOCKET = "mail-ingest.sock"


def start_worker(folder: Path, socket_path: Path | None = None, **env: str) -> subprocess.Popen:
    worker = subprocess.Popen(
        [sys.executable, "-m", "deskline", "worker", "--no-scheduler"],
        env=_env(folder, **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not listening(socket_path or folder / SOCKET):
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            pytest.fail("the worker did not listen")
        time.sleep(0.05)
    return worker


def listening(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
        return True


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


@pytest.fixture
def worker(migrated):  # noqa: F811
    running = start_worker(migrated)
    yield running
    stop_worker(running)


def ingest_traced(
    folder: Path, mail: bytes, *args: str, **env: str
) -> tuple[subprocess.CompletedProcess, set]:
    """`deskline mail ingest` with the modules it imported (-X importtime)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "deskline", "mail", "ingest", *args],
        input=mail,
        capture_output=True,
        env=_env(folder, **env),
        timeout=120,
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.decode().splitlines()}
    return done, imported


def without_trace(stderr: bytes) -> str:
    return "\n".join(x for x in stderr.decode().splitlines() if not x.startswith("import time:"))


def test_a_running_worker_takes_the_mail_without_django_starting(migrated, worker):  # noqa: F811
    mail = build_mail(message_id="<handover-1@example.com>", subject="Handed over")
    done, imported = ingest_traced(migrated, mail)
    assert done.returncode == 0, without_trace(done.stderr)
    assert b"\tprocessed\tIT-" in done.stdout
    assert "deskline.mail.pipe_client" in imported  # the trace is there
    assert "django" not in imported  # the worker did the intake
    assert "socket" not in imported  # its wrapper costs as much as the interpreter's start
    assert query(migrated, "select count(*) from tickets_ticket where subject='Handed over'") == [
        (1,)
    ]
    # The same mail again: recognised by the worker, acknowledged, not doubled.
    again, _ = ingest_traced(migrated, mail)
    assert again.returncode == 0 and b"(already received)" in again.stdout
    # A desk the mail server names that does not exist: 75, the mail stays queued there.
    other = build_mail(message_id="<handover-2@example.com>", subject="Nowhere")
    typo, imported = ingest_traced(migrated, other, "--desk", "no-such-desk")
    assert typo.returncode == 75 and "no desk 'no-such-desk'" in without_trace(typo.stderr)
    assert "django" not in imported
    assert query(migrated, "select count(*) from mail_rawmail where subject='Nowhere'") == [(0,)]


def test_only_the_same_install_gets_the_mail(migrated, tmp_path):  # noqa: F811
    """Two installs sharing one socket path: the worker refuses the other's mail, which
    that command then ingests into its own database."""
    shared = tmp_path / "shared.sock"
    other = tmp_path / "other"
    other.mkdir()
    with (
        sqlite3.connect(migrated / "deskline.sqlite3") as source,
        sqlite3.connect(other / "deskline.sqlite3") as copy,
    ):
        source.backup(copy)
    worker = start_worker(migrated, shared, DESKLINE_MAIL_SOCKET=str(shared))
    try:
        assert stat.S_IMODE(os.stat(shared).st_mode) == 0o600  # the worker's user only
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(str(shared))
            conn.sendall(b"HELO\n\n\n\n")
            assert conn.makefile("rb").readline() == b"REFUSED protocol\n"
        mail = build_mail(message_id="<handover-3@example.com>", subject="Elsewhere")
        done, imported = ingest_traced(other, mail, DESKLINE_MAIL_SOCKET=str(shared))
        assert done.returncode == 0 and b"\tprocessed\tIT-" in done.stdout
        assert "django" in imported  # refused: ingested by the command, in its own install
        subject = "select count(*) from mail_rawmail where subject='Elsewhere'"
        assert query(other, subject) == [(1,)]
        assert query(migrated, subject) == [(0,)]
    finally:
        stop_worker(worker)


# The fake runs as `nobody`, with a Python that user may run (not one under /root).
SYSTEM_PYTHON = "/usr/bin/python3"


@pytest.mark.skipif(
    os.getuid() != 0 or not os.path.exists(SYSTEM_PYTHON),
    reason="needs root, to run a listener as another user, and the system's Python",
)
def test_a_listener_of_another_user_is_not_trusted(migrated):  # noqa: F811
    """Whoever can put a socket where the command looks must not swallow mail."""
    # Not under tmp_path, whose parents only root may enter.
    folder = Path(tempfile.mkdtemp(prefix="deskline-open-"))
    folder.chmod(0o777)  # owned by root, writable by anyone
    path = folder / "fake.sock"
    fake = subprocess.Popen(
        [SYSTEM_PYTHON, "-c", FAKE_LISTENER, str(path)],
        user=65534,  # nobody
        stdout=subprocess.PIPE,
    )
    try:
        assert fake.stdout.readline() == b"listening\n"
        mail = build_mail(message_id="<handover-6@example.com>", subject="Not to a stranger")
        done, imported = ingest_traced(migrated, mail, DESKLINE_MAIL_SOCKET=str(path))
        assert done.returncode == 0 and b"\tprocessed\tIT-" in done.stdout
        assert "django" in imported
    finally:
        fake.kill()
        fake.wait()
        shutil.rmtree(folder)


# Answers every connection "exit 0, no output" without storing anything.
FAKE_LISTENER = """
import os, socket, sys
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777); server.listen(8)
print("listening", flush=True)
while True:
    conn, _ = server.accept()
    conn.recv(1 << 20); conn.sendall(b"0 0 0\\n"); conn.close()
"""


def test_a_socket_left_by_a_stopped_worker_is_no_obstacle(migrated):  # noqa: F811
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(migrated / SOCKET))
    stale.close()  # the file stays, nobody listens
    try:
        mail = build_mail(message_id="<handover-4@example.com>", subject="Stale socket")
        done, imported = ingest_traced(migrated, mail)
        assert done.returncode == 0 and b"\tprocessed\tIT-" in done.stdout
        assert "django" in imported  # ingested in-process
        # A worker starting now takes the path over.
        worker = start_worker(migrated)
        try:
            mail = build_mail(message_id="<handover-5@example.com>", subject="Taken over")
            done, imported = ingest_traced(migrated, mail)
            assert done.returncode == 0 and "django" not in imported
        finally:
            stop_worker(worker)
        assert not (migrated / SOCKET).exists()  # removed on a clean stop
    finally:
        if (migrated / SOCKET).exists():
            os.unlink(migrated / SOCKET)


def test_worker_killed_mid_ingest_the_command_finishes_it_exactly_once(migrated):  # noqa: F811
    worker = start_worker(migrated, DESKLINE_MAIL_CRASH_AT="after-store")
    try:
        mail = build_mail(message_id="<handover-crash@example.com>", subject="Worker crash")
        done, imported = ingest_traced(migrated, mail)
        worker.wait(timeout=30)
        assert worker.returncode == -signal.SIGKILL  # the worker died with the mail stored
        assert done.returncode == 0, without_trace(done.stderr)
        assert "django" in imported  # the command took over
        assert b"\tprocessed\tIT-" in done.stdout and b"already received" in done.stdout
    finally:
        stop_worker(worker)
        if (migrated / SOCKET).exists():
            os.unlink(migrated / SOCKET)  # the killed worker could not remove it
    tickets = "select count(*) from tickets_ticket where subject='Worker crash'"
    assert query(migrated, tickets) == [(1,)]
    rows = "select count(*), max(state) from mail_rawmail where subject='Worker crash'"
    assert query(migrated, rows) == [(1, "processed")]
