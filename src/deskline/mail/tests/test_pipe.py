"""`deskline mail ingest` as a mail server runs it: exit codes, and a crash mid-way.

The commands run as real subprocesses on a SQLite file of their own (a copy of the
migrated test database when the tests run on SQLite, a fresh migrate otherwise).
"""

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from deskline.mail.tests.conftest import build_mail

SETUP = (
    "from deskline.desks.services import create_desk; "
    "from deskline.mail.models import DeskAddress; "
    "d = create_desk(name='IT', slug='it', prefix='IT', visibility='internal'); "
    "DeskAddress.objects.create(desk=d, email='it@desk.test', primary=True)"
)


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="deskline.settings",
        DESKLINE_DATA_DIR=str(data_dir),
        DESKLINE_SECRET_KEY="pipe-test",
        DESKLINE_LOG_LEVEL="WARNING",
        **extra,
    )
    env.pop(  # the crash hook is set per call only
        "DESKLINE_MAIL_CRASH_AT", None
    ) if "DESKLINE_MAIL_CRASH_AT" not in extra else None
    return env


def deskline(data_dir: Path, *args: str, stdin: bytes = b"", **env: str):
    return subprocess.run(
        [sys.executable, "-m", "deskline", *args],
        input=stdin,
        capture_output=True,
        env=_env(data_dir, **env),
        timeout=120,
    )


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pipe-data")


@pytest.fixture
def migrated(data_dir: Path, transactional_db: None) -> Path:
    """The module's data folder with a migrated database and an IT desk (made once)."""
    database = data_dir / "deskline.sqlite3"
    if not database.exists():
        if connection.vendor == "sqlite":
            # The test database is migrated already: copy it rather than migrate again.
            connection.ensure_connection()
            with sqlite3.connect(database) as copy:
                connection.connection.backup(copy)
        else:
            assert deskline(data_dir, "migrate").returncode == 0
        done = deskline(data_dir, "shell", "-c", SETUP)
        assert done.returncode == 0, done.stderr.decode()
    return data_dir


def query(data_dir: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(data_dir / "deskline.sqlite3") as db:
        return db.execute(sql).fetchall()


def test_ingest_exit_codes(migrated, tmp_path):
    data_dir = migrated
    mail = build_mail(message_id="<pipe-1@example.com>", subject="Pipe one")
    first = deskline(data_dir, "mail", "ingest", stdin=mail)
    assert first.returncode == 0, first.stderr.decode()
    assert b"processed" in first.stdout and b"IT-" in first.stdout
    assert query(data_dir, "select count(*) from tickets_ticket where subject='Pipe one'") == [(1,)]
    # Could not be stored (no database there): the mail server must keep it and retry.
    empty_dir = tmp_path / "no-database"
    empty_dir.mkdir()
    unstored = deskline(empty_dir, "mail", "ingest", "--desk", "it", stdin=mail)
    assert unstored.returncode == 75, unstored.stderr.decode()
    assert b"could not store" in unstored.stderr


@pytest.mark.parametrize(
    ("folder", "broken"),
    [
        ("", {"DESKLINE_SQLITE_TIMEOUT": "soon"}),  # a malformed setting
        ("/proc/no-such-folder", {}),  # a data folder that cannot be made
    ],
    ids=["malformed-setting", "unusable-data-folder"],
)
def test_ingest_that_cannot_start_asks_the_mail_server_to_retry(tmp_path, folder, broken):
    # Postfix bounces the mail back to its sender for any exit but 0 and 75: a
    # configuration the admin has yet to fix must keep the mail queued, not bounce it.
    data_dir = Path(folder) if folder else tmp_path
    mail = build_mail(message_id="<pipe-broken@example.com>")
    done = deskline(data_dir, "mail", "ingest", stdin=mail, DESKLINE_MAIL_SOCKET="off", **broken)
    assert done.returncode == 75, done.stderr.decode()
    assert b"deskline mail ingest:" in done.stderr
    # A mistyped option in the pipe command (--dsk): the same.
    typo = deskline(tmp_path, "mail", "ingest", "--dsk", "it", stdin=mail)
    assert typo.returncode == 75, typo.stderr.decode()


@pytest.mark.parametrize("point", ["after-store", "before-commit"])
def test_killed_mid_ingest_the_mail_is_ingested_exactly_once(migrated, point):
    data_dir = migrated
    subject = f"Crash {point}"
    message_id = f"crash-{point}@example.com"
    mail = build_mail(message_id=f"<{message_id}>", subject=subject)
    tickets = f"select count(*) from tickets_ticket where subject='{subject}'"
    state = f"select state from mail_rawmail where message_id='{message_id}'"
    killed = deskline(data_dir, "mail", "ingest", stdin=mail, DESKLINE_MAIL_CRASH_AT=point)
    assert killed.returncode == -signal.SIGKILL
    assert query(data_dir, state) == [("received",)]  # stored: the kill lost nothing
    assert query(data_dir, tickets) == [(0,)]  # and half a ticket was never committed
    if point == "after-store":
        # The mail server retries the delivery: recognised, processed once.
        recovered = deskline(data_dir, "mail", "ingest", stdin=mail)
        assert recovered.returncode == 0 and b"processed" in recovered.stdout
    else:
        # The worker's process_pending_mail job, as a command.
        recovered = deskline(data_dir, "mail", "pending")
        assert recovered.returncode == 0 and b"processed 1" in recovered.stdout
    assert query(data_dir, tickets) == [(1,)]
    assert query(data_dir, state) == [("processed",)]


HEAVY = {"deskline.urls", "deskline.api.api", "sklearn", "scipy", "numpy"}


def test_ingest_starts_without_the_web_side(migrated):
    """The pipe starts a process per mail: it must not run the system checks, whose URL
    checks import the URLconf (every API router, and through triage scikit-learn), over
    half of its start-up. The mail is still stored, processed and reported, and the
    command exits 0 (it ends without the interpreter's teardown: its output must be
    flushed first)."""
    mail = build_mail(message_id="<pipe-light@example.com>", subject="Pipe light")
    # Buffered output, as under a mail server (the test runner may set it unbuffered).
    env = {k: v for k, v in _env(migrated).items() if k != "PYTHONUNBUFFERED"}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "deskline", "mail", "ingest"],
        input=mail,
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert b"processed" in done.stdout and b"IT-" in done.stdout
    # -X importtime writes a line per module imported: "... | cumulative | name".
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.decode().splitlines()}
    assert "deskline.mail.services.intake" in imported  # the trace is there
    assert not imported & HEAVY
    subject = "select count(*) from tickets_ticket where subject='Pipe light'"
    assert query(migrated, subject) == [(1,)]
