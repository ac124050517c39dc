"""scikit-learn (with numpy and scipy) takes a second or more to import: the triage
services import it at first use, so the web app's URLconf, which imports every API
router and through the triage router these services, starts without it."""

import os
import subprocess
import sys

_PROGRAM = (
    "import sys, django\n"
    "django.setup()\n"
    "import deskline.urls, deskline.triage.services\n"
    "print([m for m in ('sklearn', 'scipy', 'numpy') if m in sys.modules])\n"
)


def test_urlconf_and_triage_services_do_not_import_scikit_learn(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="deskline.settings",
        DESKLINE_DATA_DIR=str(tmp_path),
        DESKLINE_SECRET_KEY="lazy-imports-test",
    )
    done = subprocess.run(
        [sys.executable, "-c", _PROGRAM], capture_output=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.strip() == b"[]"
