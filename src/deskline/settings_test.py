"""Settings for the test suite: the real settings plus a fast password hasher.

Tests run against real SQLite by default and real PostgreSQL/Redis when
DATABASE_URL/REDIS_URL are set, exactly like a deployment.
"""

import os
import tempfile

os.environ.setdefault("DESKLINE_DATA_DIR", tempfile.mkdtemp(prefix="deskline-test-"))
os.environ.setdefault("DESKLINE_SECRET_KEY", "test-secret-key-not-for-production")

from deskline.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
API_RATE_LIMIT = 0

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    # One test database per pytest run, so that two runs on one server (two checkouts,
    # CI beside a developer) never drop each other's database; xdist workers share the
    # run's name and pytest-django adds _gw0, _gw1...
    _run = os.getppid() if os.environ.get("PYTEST_XDIST_WORKER") else os.getpid()
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": f"test_{DATABASES['default']['NAME']}_{_run}"  # noqa: F405
    }
