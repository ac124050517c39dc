"""The `deskline` command as a user runs it: a real process, a real SQLite file."""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from deskline.web.tests.served import _free_port_pair


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["DESKLINE_DATA_DIR"] = str(tmp_path / "data")
    env.update(extra)
    return env


def deskline(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "deskline", *args],
        env=_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_no_command_prints_usage_and_fails(tmp_path):
    result = deskline(tmp_path)
    assert result.returncode == 2
    assert "usage: deskline" in result.stdout


def test_the_cli_module_runs_as_the_package_does(tmp_path):
    """`python -m deskline.cli` is the same command as `python -m deskline`."""
    for args in (["--help"], ["check", "--bogus"]):
        package = deskline(tmp_path, *args)
        module = subprocess.run(
            [sys.executable, "-m", "deskline.cli", *args],
            env=_env(tmp_path), capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert package.stdout or package.stderr
        assert (module.returncode, module.stdout, module.stderr) == (
            package.returncode, package.stdout, package.stderr,
        )  # fmt: skip


def test_unknown_option_is_rejected(tmp_path):
    result = deskline(tmp_path, "createadmin", "--email", "a@example.com")
    assert result.returncode != 0
    assert "--password" in result.stderr


def test_check_usage_is_under_the_name_users_type(tmp_path):
    result = deskline(tmp_path, "check", "--bogus")
    assert result.returncode == 2
    assert "deskline check: error: unrecognized arguments: --bogus" in result.stderr
    assert "deskline_check" not in result.stderr


def test_bad_email_gives_a_clear_error(tmp_path):
    assert deskline(tmp_path, "migrate").returncode == 0
    result = deskline(tmp_path, "createadmin", "--email", "nope", "--password", "long-enough-1")
    assert result.returncode == 1
    assert "not a valid email" in result.stderr


def test_unreachable_database_is_reported(tmp_path):
    unreachable = "postgres://root@127.0.0.1:1/nowhere"
    check = deskline(tmp_path, "check", DATABASE_URL=unreachable)
    assert check.returncode == 1
    assert "FAIL database" in check.stdout
    migrate = deskline(tmp_path, "migrate", DATABASE_URL=unreachable)
    assert migrate.returncode == 1
    assert "cannot use the database" in migrate.stderr
    assert "Traceback" not in migrate.stderr


def test_bad_setting_is_a_configuration_error(tmp_path):
    result = deskline(tmp_path, "check", DESKLINE_WEB_WORKERS="many")
    assert result.returncode == 2
    assert "DESKLINE_WEB_WORKERS" in result.stderr


@pytest.mark.parametrize("url", ["garbage", "mysql://root@127.0.0.1/x", "redis://127.0.0.1/0"])
def test_a_database_url_deskline_cannot_use_is_a_configuration_error(tmp_path, url):
    result = deskline(tmp_path, "check", DATABASE_URL=url)
    assert result.returncode == 2
    assert "DATABASE_URL must be a postgres://" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_redis_url_that_is_no_redis_url_is_a_configuration_error(tmp_path):
    result = deskline(tmp_path, "check", REDIS_URL="localhost:6379")
    assert result.returncode == 2
    assert "REDIS_URL must be a redis://" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_trusted_proxy_that_is_no_address_is_a_configuration_error(tmp_path):
    result = deskline(tmp_path, "check", DESKLINE_TRUSTED_PROXIES="10.0.0.1, proxy.local")
    assert result.returncode == 2
    assert "DESKLINE_TRUSTED_PROXIES" in result.stderr and "proxy.local" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_data_dir_that_cannot_be_made_is_a_configuration_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = deskline(tmp_path, "check", DESKLINE_DATA_DIR=str(blocker / "data"))
    assert result.returncode == 2
    assert f"DESKLINE_DATA_DIR {blocker / 'data'} cannot be used" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("taken", [0, 1])  # the web port, the WebSocket port (+1)
def test_serve_on_a_taken_port_says_so_and_starts_nothing(tmp_path, taken):
    port = _free_port_pair()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port + taken))
        holder.listen()
        result = deskline(tmp_path, "serve", "--port", str(port))
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1 port {port + taken}" in result.stderr
    assert "is running" not in result.stdout
    assert not (tmp_path / "data" / "deskline.sqlite3").exists()  # stopped before migrating


def test_check_reports_a_healthy_install(tmp_path):
    assert deskline(tmp_path, "migrate").returncode == 0
    result = deskline(tmp_path, "check")
    assert result.returncode == 0, result.stdout
    assert "ok   migrations   up to date" in result.stdout


def _request(url: str, token: str, data: dict | None = None, method: str = "GET") -> tuple:
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_serve_runs_web_worker_and_scheduler_on_a_fresh_data_dir(tmp_path):
    """The README's first-run path: serve, first admin, token, desk and tickets over HTTP."""
    port = _free_port_pair()  # serve also opens port + 1 for WebSockets
    server = subprocess.Popen(
        [sys.executable, "-m", "deskline", "serve", "--port", str(port)],
        env=_env(tmp_path, DESKLINE_ADMIN_PASSWORD="first-admin-pw"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # A fresh data dir migrates first: a minute or more on a busy 2-core machine.
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if server.poll() is not None:
                pytest.fail(
                    f"deskline serve exited with {server.returncode}:\n{server.stdout.read()}"
                )
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("deskline serve did not answer within 240 s")
        note = (tmp_path / "data" / "first-admin.txt").read_text()
        assert "admin@localhost" in note and "first-admin-pw" in note

        token = deskline(tmp_path, "token", "create", "--email", "admin@localhost").stdout.strip()
        status, desk = _request(
            f"{base}/api/v1/desks",
            token,
            {"name": "IT", "slug": "it", "prefix": "IT", "visibility": "internal"},
            "POST",
        )
        assert status == 201, desk
        for subject in ["VPN down", "打印机无法连接"]:
            status, ticket = _request(
                f"{base}/api/v1/tickets",
                token,
                {
                    "desk": "it",
                    "subject": subject,
                    "requester": {"email": "sam@example.com", "name": "Sam"},
                    "message": {"body_text": "please help"},
                },
                "POST",
            )
            assert status == 201, ticket
        status, page = _request(f"{base}/api/v1/tickets?desk=it&status=new", token)
        assert status == 200
        assert [t["number"] for t in page["items"]] == ["IT-2", "IT-1"]
        status, updated = _request(
            f"{base}/api/v1/tickets/IT-1", token, {"status": "pending"}, "PATCH"
        )
        assert status == 200 and updated["status"] == "pending"

        # The worker process started with serve seeds the schedule table.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            listed = deskline(
                tmp_path,
                "shell",
                "-c",
                "from deskline.scheduler.models import Schedule;print(Schedule.objects.count())",
            )
            if listed.stdout.strip() not in ("", "0"):
                break
            time.sleep(0.5)
        else:
            pytest.fail("the worker did not seed the schedule table")

        # Stopped while the worker runs a task: it finishes the task, and everything
        # exits 0 (a second SIGTERM from serve used to make the worker abandon it).
        enqueue = "from deskline.core.tests.tasks import pause; print(pause.enqueue(4).id)"
        # The last line: Django's shell may first say what it imported.
        task_id = deskline(tmp_path, "shell", "-c", enqueue).stdout.strip().splitlines()[-1]
        database = sqlite3.connect(tmp_path / "data" / "deskline.sqlite3")
        status = "select status from django_tasks_database_dbtaskresult where id = ?"
        deadline = time.monotonic() + 60
        while database.execute(status, [task_id.replace("-", "")]).fetchone() != ("RUNNING",):
            assert time.monotonic() < deadline, "the worker did not start the task"
            time.sleep(0.1)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
    assert server.returncode == 0, server.stdout.read() if server.stdout else ""
    assert database.execute(status, [task_id.replace("-", "")]).fetchone() == ("SUCCESSFUL",)


_SIGN_IN = """
from django.test import Client
client = Client()
assert client.login(username="admin@example.com", password="a-long-pass-phrase-1")
print(client.cookies["sessionid"].value)
"""
_PAGE = """
from django.test import Client
client = Client(HTTP_HOST="127.0.0.1")
client.cookies["sessionid"] = {key!r}
print(client.get("/preferences/").status_code)
"""


def test_a_rotated_secret_key_keeps_users_signed_in_while_it_is_a_fallback(tmp_path):
    old, new = {"DESKLINE_SECRET_KEY": "old-key-" + "o" * 40}, "new-key-" + "n" * 40
    assert deskline(tmp_path, "migrate", "-v0", **old).returncode == 0
    made = deskline(
        tmp_path, "createadmin", "--email", "admin@example.com",
        "--password", "a-long-pass-phrase-1", **old,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    session = deskline(tmp_path, "shell", "-c", _SIGN_IN, **old).stdout.split()[-1]
    page = _PAGE.format(key=session)

    retired = f"spare, {old['DESKLINE_SECRET_KEY']}"
    kept = deskline(
        tmp_path, "shell", "-c", page,
        DESKLINE_SECRET_KEY=new, DESKLINE_SECRET_KEY_FALLBACKS=retired,
    )  # fmt: skip
    assert kept.stdout.split()[-1] == "200", kept.stderr
    session = deskline(tmp_path, "shell", "-c", _SIGN_IN, **old).stdout.split()[-1]
    dropped = deskline(tmp_path, "shell", "-c", _PAGE.format(key=session), DESKLINE_SECRET_KEY=new)
    assert dropped.stdout.split()[-1] == "302", dropped.stderr  # to the sign-in page
