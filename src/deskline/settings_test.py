"""Settings for the test suite: the real settings plus a fast password hasher.

Tests run against real SQLite by default and real PostgreSQL/Redis when
DATABASE_URL/REDIS_URL are set, exactly like a deployment.
"""

import atexit
import os
import shutil
import tempfile

if "DESKLINE_DATA_DIR" not in os.environ:
    # Made once, by the first process (xdist workers and the test's subprocesses inherit
    # it), and removed when that process ends: every run used to leave dozens behind.
    _data_dir = tempfile.mkdtemp(prefix="deskline-test-")
    os.environ["DESKLINE_DATA_DIR"] = _data_dir
    atexit.register(shutil.rmtree, _data_dir, ignore_errors=True)
os.environ.setdefault("DESKLINE_SECRET_KEY", "test-secret-key-not-for-production")


def _redis_database_per_worker() -> None:
    """One Redis database per xdist worker: a test that runs `deskline worker --batch`
    must never run (and so steal) the jobs another worker's test just queued."""
    from urllib.parse import urlsplit, urlunsplit

    url = os.environ.get("REDIS_URL")
    if not url:
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = 1 + int(worker[2:]) if worker[2:].isdigit() else 1
    parts = urlsplit(url)
    os.environ["REDIS_URL"] = urlunsplit(parts._replace(path=f"/{index}"))


_redis_database_per_worker()

from deskline.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
API_RATE_LIMIT = 0
INBOUND_HOOK_RATE_LIMIT = 0  # tests of the limit turn it on with their own addresses
PUBLIC_RATE_LIMIT = 0  # the same: the test client is always 127.0.0.1
# Tests see the other apps' reactions at once; tests/test_deferred_hooks.py covers the
# worker path, and the browser tests' `deskline serve` runs it for real.
TICKET_HOOKS_INLINE = True

if DATABASES["default"]["ENGINE"] == "deskline.core.sqlite":  # noqa: F405
    # In memory, as Django does for its own SQLite backend: pytest-django recognizes only
    # that backend by name and would otherwise name each worker's database after the file.
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}  # noqa: F405

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    # One test database per pytest run, so that two runs on one server (two checkouts,
    # CI beside a developer) never drop each other's database; xdist workers share the
    # run's name and pytest-django adds _gw0, _gw1...
    _run = os.getppid() if os.environ.get("PYTEST_XDIST_WORKER") else os.getpid()
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": f"test_{DATABASES['default']['NAME']}_{_run}"  # noqa: F405
    }
