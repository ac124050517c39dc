import os
import secrets
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Migrate, then run the web server, the background worker and the scheduler."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("DESKLINE_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("DESKLINE_PORT", 8000)))
        parser.add_argument("--workers", type=int, default=settings.WEB_WORKERS)
        parser.add_argument(
            "--ws-port",
            type=int,
            default=settings.WS_PORT or None,
            help="port of the WebSocket (ASGI) process; default: --port + 1; 0 turns it off",
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="web only (workers run elsewhere)"
        )
        parser.add_argument("--no-migrate", action="store_true")

    def _first_admin(self) -> None:
        """On a fresh install, create the first admin so someone can sign in at once."""
        from deskline.accounts.models import User
        from deskline.accounts.services import create_admin

        if User.objects.filter(is_superuser=True).exists():
            return
        email = os.environ.get("DESKLINE_ADMIN_EMAIL", "admin@localhost")
        password = os.environ.get("DESKLINE_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        create_admin(email, password, name="Admin")
        note = settings.DATA_DIR / "first-admin.txt"
        note.write_text(f"email: {email}\npassword: {password}\n")
        note.chmod(0o600)
        self.stdout.write(
            f"Created the first admin — email: {email}  password: {password}\n"
            f"(also written to {note}; change it after signing in)"
        )

    def _exit_if_taken(self, host: str, ports: list[int]) -> None:
        """Stop before starting anything when a port is taken: gunicorn said so only
        after "Deskline is running" was printed, among five retries of log lines."""
        for port in ports:
            with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
                # As gunicorn and uvicorn bind: a closed connection's TIME_WAIT is no user.
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind((host, port))
                except OSError as exc:
                    self.stderr.write(
                        f"deskline: cannot listen on {host} port {port}: {exc.strerror or exc}"
                        " (is Deskline already running? --port chooses another, and"
                        " --ws-port the WebSocket one)"
                    )
                    sys.exit(1)

    def handle(self, *args: object, **options: object) -> None:
        if not 0 < int(options["port"]) < 65536:  # type: ignore[call-overload]
            self.stderr.write("--port must be between 1 and 65535")
            sys.exit(2)
        ws_port = options["ws_port"]
        ws_port = int(options["port"]) + 1 if ws_port is None else int(ws_port)  # type: ignore[call-overload]
        host = str(options["host"])
        port = int(options["port"])  # type: ignore[call-overload]
        self._exit_if_taken(host.strip("[]"), [port, *([ws_port] if ws_port else [])])
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        self._first_admin()
        bind = (
            f"[{host}]:{options['port']}"
            if ":" in host and not host.startswith("[")
            else (f"{host}:{options['port']}")
        )
        # Measured: a WSGI server serves Django several times faster than an ASGI one
        # here, so HTTP goes through gunicorn; WebSockets get their own ASGI process.
        web = [
            sys.executable,
            "-m",
            "gunicorn",
            "deskline.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(options["workers"]),
            "--threads",
            str(settings.WEB_THREADS),
            "--worker-class",
            "gthread" if settings.WEB_THREADS > 1 else "sync",
            "--timeout",
            "60",
            "--graceful-timeout",
            "10",
            "--log-level",
            "warning",
        ]
        # Pages learn where to open their WebSocket from this variable (web/live.py).
        child_env = {**os.environ, "DESKLINE_WS_PORT": str(ws_port)}
        children = [subprocess.Popen(web, env=child_env)]  # noqa: S603
        if ws_port:
            # WebSockets only: a small ASGI process beside gunicorn (see docs/architecture.md).
            asgi = [sys.executable, "-m", "uvicorn", "deskline.asgi:application"]
            asgi += [
                "--host",
                host.strip("[]"),
                "--port",
                str(ws_port),
                "--ws",
                "websockets-sansio",
            ]
            asgi += ["--lifespan", "off", "--log-level", "warning", "--no-access-log"]
            children.append(subprocess.Popen(asgi, env=child_env))  # noqa: S603
        if settings.RUN_WORKER_IN_SERVE and not options["no_worker"]:
            children.append(
                subprocess.Popen([sys.executable, "-m", "deskline", "worker"])  # noqa: S603
            )
        if os.environ.get("DESKLINE_SMTPD_PORT"):
            # The SMTP intake server (mail app), on DESKLINE_SMTPD_HOST/PORT.
            smtpd = [sys.executable, "-m", "deskline", "smtpd"]
            children.append(subprocess.Popen(smtpd))  # noqa: S603
        self.stdout.write(f"Deskline is running at http://{bind}/ (Ctrl+C stops it)")
        self.stdout.flush()

        signalled: set[int] = set()

        def stop(signum: int, frame: object) -> None:
            # Once per child: the worker finishes the task it is running on the first
            # SIGTERM, and a second one makes it abandon the task and exit 1.
            for child in children:
                if child.poll() is None and child.pid not in signalled:
                    signalled.add(child.pid)
                    child.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        finally:
            stop(signal.SIGTERM, None)
            deadline = time.monotonic() + 15
            for child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
        codes = [child.returncode for child in children]
        sys.exit(0 if all(code in (0, -signal.SIGTERM) for code in codes) else 1)
