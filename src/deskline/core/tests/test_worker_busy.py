"""`deskline worker` outlives a database that stays locked past the busy timeout."""

import fcntl
import os
import subprocess
import sys
import time

from deskline.mail.tests.test_pipe import _env, migrated, query  # noqa: F401
from deskline.mail.tests.test_pipe import data_dir as data_dir  # noqa: F401 - migrated needs it
from deskline.mail.tests.test_pipe_handover import start_worker, stop_worker


def test_the_worker_waits_out_a_long_write_lock_and_goes_on(migrated):  # noqa: F811
    worker = start_worker(migrated, DESKLINE_SQLITE_TIMEOUT="1")
    try:
        # Another writer holds the lock three times the busy timeout (a huge mail, an
        # import): the worker's task claims time out meanwhile.
        lock = os.open(migrated / "deskline.sqlite3-writers.lock", os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            time.sleep(3.5)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            os.close(lock)
        assert worker.poll() is None, "the worker ended on a busy database"
        enqueue = "from deskline.core.tests.tasks import pause; print(pause.enqueue(0).id)"
        done = subprocess.run(
            [sys.executable, "-m", "deskline", "shell", "-c", enqueue],
            env=_env(migrated),
            capture_output=True,
            text=True,
            timeout=120,
        )
        task_id = done.stdout.strip().splitlines()[-1].replace("-", "")
        status = f"select status from django_tasks_database_dbtaskresult where id = '{task_id}'"
        deadline = time.monotonic() + 60
        while query(migrated, status) != [("SUCCESSFUL",)]:
            assert time.monotonic() < deadline, "the worker took no task after the lock"
            time.sleep(0.2)
    finally:
        stop_worker(worker)
