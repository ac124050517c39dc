"""A real `deskline serve` (gunicorn + the WebSocket process) on demo data, for the
browser tests and bench/screenshots.py. Its data lives in a temporary SQLite folder,
whatever database the rest of the suite uses."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "demo-password"
# Employees who sign in to the portal in the tests: English, Arabic, Chinese.
REQUESTERS = (
    "james.wilson@meridian.example",
    "ahmed.alrashid@meridian.example",
    "liu.yang@meridian.example",
)


@dataclass
class Served:
    url: str
    data_dir: Path


def _free_port_pair() -> int:
    """A port p with p and p + 1 free (web and WebSocket)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port >= 65535:
            continue
        with socket.socket() as second:
            try:
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two adjacent free ports")


def _wait_for(url: str, port: int, process: subprocess.Popen, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"deskline serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    with socket.create_connection(("127.0.0.1", port + 1), timeout=2):
                        return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("deskline serve did not start in time")


@contextmanager
def demo_server(tickets: int = 12, requesters: tuple[str, ...] = REQUESTERS) -> Iterator[Served]:
    data_dir = Path(tempfile.mkdtemp(prefix="deskline-browser-"))
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DESKLINE_DATA_DIR=str(data_dir),
        DESKLINE_SECRET_KEY="browser-test-secret",
        DESKLINE_CACHE_PREFIX=f"browser-{os.getpid()}",
        DESKLINE_LOG_LEVEL="WARNING",
        DESKLINE_ADMIN_PASSWORD="admin-password-1",
        # The site runs without a worker (--no-worker below keeps SQLite's one writer
        # for the pages), so the other apps' reactions to a change run in the request.
        DESKLINE_TICKET_HOOKS_INLINE="true",
    )
    command = [sys.executable, "-m", "deskline"]
    process = None
    try:
        subprocess.run([*command, "migrate", "-v0"], env=env, check=True)
        subprocess.run([*command, "demo", "--tickets", str(tickets), "-v0"], env=env, check=True)
        # Demo requesters have no password (they write in by mail): give the ones the
        # tests sign in as the demo password.
        script = (
            "from deskline.accounts.models import User\n"
            f"for u in User.objects.filter(email__in={list(requesters)!r}):\n"
            f"    u.set_password({DEMO_PASSWORD!r}); u.save()\n"
        )
        subprocess.run([*command, "shell", "-c", script], env=env, check=True)
        port = _free_port_pair()
        process = subprocess.Popen(
            [*command, "serve", "--port", str(port), "--no-migrate", "--no-worker"],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        _wait_for(url, port, process)
        yield Served(url=url, data_dir=data_dir)
    finally:
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(data_dir, ignore_errors=True)


def sign_in(page, base_url: str, email: str, password: str = DEMO_PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("#login-submit")
    page.wait_for_url(lambda url: "/login/" not in url)


def browser_marks(*, again_with_redis: bool = True) -> list:
    """The marks of every browser test module: skipped without Chromium, and on a
    PostgreSQL run (the served site keeps its data in its own SQLite folder, so that run
    would repeat the SQLite one). With Redis, pages that use the channel layer run again."""
    import pytest

    skipped_on_postgres = bool(os.environ.get("DATABASE_URL"))
    if again_with_redis:
        skipped_on_postgres = skipped_on_postgres and not os.environ.get("REDIS_URL")
    return [
        pytest.mark.skipif(
            not CHROMIUM.exists(),
            reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)",
        ),
        pytest.mark.skipif(
            skipped_on_postgres,
            reason="browser tests serve SQLite; the SQLite (and Redis) CI passes cover them",
        ),
    ]


@contextmanager
def chromium() -> Iterator:  # type: ignore[type-arg]
    """Debian's Chromium under Playwright, headless, for one test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
