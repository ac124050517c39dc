"""The SQLite backend queues writers on a file lock: a second writer waits for the first
one's commit (not for SQLite's sleeping busy handler), and gives up with "database is
locked" after the configured timeout."""

import fcntl
import os
import threading
import time
from pathlib import Path

import pytest
from django.db import OperationalError

from deskline.core.sqlite.base import DatabaseWrapper


def _connection(path: Path, timeout: float = 5) -> DatabaseWrapper:
    settings = {
        "ENGINE": "deskline.core.sqlite",
        "NAME": str(path),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": timeout,
            "init_command": "PRAGMA journal_mode=WAL;",
        },
        "ATOMIC_REQUESTS": False,
        "AUTOCOMMIT": True,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "TIME_ZONE": None,
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "TEST": {},
    }
    return DatabaseWrapper(settings, alias=f"writers-{id(settings)}")


def _begin(conn: DatabaseWrapper) -> None:
    conn.ensure_connection()
    conn.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def _commit(conn: DatabaseWrapper) -> None:
    conn.commit()
    conn.set_autocommit(True)


@pytest.fixture(autouse=True)
def _own_connections(django_db_blocker):
    # These connections are the test's own, to a file of its own, not Django's test DB.
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "writers.sqlite3"
    first = _connection(path)
    with first.cursor() as cursor:
        cursor.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, who TEXT)")
    first.close()
    return path


def _in_thread(work) -> tuple[threading.Thread, dict]:
    result: dict = {}

    def run() -> None:
        started = time.monotonic()
        try:
            work()
        except Exception as error:  # the test reads it back
            result["error"] = error
        result["waited"] = time.monotonic() - started

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


@pytest.mark.parametrize("second_in_transaction", [True, False])
def test_second_writer_waits_for_the_first_commit(database, second_in_transaction):
    holder = _connection(database)
    _begin(holder)
    with holder.cursor() as cursor:
        cursor.execute("INSERT INTO item (who) VALUES ('first')")

    def second_writer() -> None:
        other = _connection(database)
        if second_in_transaction:
            _begin(other)
        with other.cursor() as cursor:
            cursor.execute("INSERT INTO item (who) VALUES ('second')")
        if second_in_transaction:
            _commit(other)
        other.close()

    thread, result = _in_thread(second_writer)
    time.sleep(0.3)
    assert thread.is_alive(), "the second writer went ahead while the first held the lock"
    _commit(holder)
    thread.join(5)
    assert "error" not in result
    assert 0.3 <= result["waited"] < 1.0
    with holder.cursor() as cursor:
        cursor.execute("SELECT who FROM item ORDER BY id")
        assert [row[0] for row in cursor.fetchall()] == ["first", "second"]
    holder.close()


def test_a_writer_gives_up_after_the_timeout(database):
    holder = _connection(database)
    _begin(holder)

    def impatient() -> None:
        other = _connection(database, timeout=0.2)
        try:
            _begin(other)
        finally:
            other.close()

    thread, result = _in_thread(impatient)
    thread.join(5)
    assert isinstance(result.get("error"), OperationalError)
    assert "locked" in str(result["error"])
    assert 0.2 <= result["waited"] < 1.0
    _commit(holder)
    holder.close()


def test_readers_do_not_wait_for_a_writer(database):
    holder = _connection(database)
    _begin(holder)
    with holder.cursor() as cursor:
        cursor.execute("INSERT INTO item (who) VALUES ('uncommitted')")
    reader = _connection(database)
    started = time.monotonic()
    with reader.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM item")
        assert cursor.fetchone()[0] == 0
    assert time.monotonic() - started < 0.2
    _commit(holder)
    reader.close()
    holder.close()


def _lock_is_free(database: Path) -> bool:
    fd = os.open(f"{database}-writers.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_a_transaction_holds_the_writers_lock_until_it_ends(database, end):
    holder = _connection(database)
    assert _lock_is_free(database)
    _begin(holder)
    assert not _lock_is_free(database)
    if end == "commit":
        _commit(holder)
    elif end == "rollback":
        holder.rollback()
        holder.set_autocommit(True)
    else:
        holder.close()
    assert _lock_is_free(database)
    holder.close()


def test_the_checkpoint_copies_committed_pages_back_while_a_writer_holds_the_lock(database):
    from deskline.core.sqlite.checkpoint import checkpoint

    writer = _connection(database)
    with writer.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint=0")  # only our checkpoint copies pages
        cursor.execute("INSERT INTO item (who) VALUES ('committed')")
    holder = _connection(database)
    _begin(holder)
    with holder.cursor() as cursor:
        cursor.execute("INSERT INTO item (who) VALUES ('in flight')")
    checkpointer = _connection(database)
    started = time.monotonic()
    busy, in_wal, copied = checkpoint(checkpointer)
    assert time.monotonic() - started < 0.5  # PASSIVE: no waiting for the writer
    assert busy == 0 and in_wal > 0 and copied == in_wal
    _commit(holder)
    # The in-flight row went to the WAL after that checkpoint: the next one copies it.
    busy, in_wal_after, copied = checkpoint(checkpointer)
    assert busy == 0 and in_wal_after > in_wal and copied == in_wal_after
    for conn in (writer, holder, checkpointer):
        conn.close()
