import os
import sys
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from deskline import __version__


class Command(BaseCommand):
    help = "Report configuration and connectivity; exit 1 if something needed is unreachable."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # Users type `deskline check`; deskline_check is only Django's name for it.
        return super().create_parser(prog_name, "check", **kwargs)

    def handle(self, *args: object, **options: object) -> None:
        problems = 0

        def line(name: str, ok: bool, detail: str) -> None:
            nonlocal problems
            problems += 0 if ok else 1
            self.stdout.write(f"{'ok  ' if ok else 'FAIL'} {name:<12} {detail}")

        self.stdout.write(f"Deskline {__version__}")
        data_dir = settings.DATA_DIR
        writable = data_dir.exists() and os.access(data_dir, os.W_OK)
        line("data dir", writable, str(data_dir))
        db = settings.DATABASES["default"]
        where = (
            db["NAME"]
            if "sqlite" in db["ENGINE"]
            else f"{db.get('HOST')}:{db.get('PORT')}/{db['NAME']}"
        )
        try:
            connection.ensure_connection()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            line("database", True, f"{connection.vendor} {where}")
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
            line(
                "migrations",
                not pending,
                "up to date" if not pending else f"{len(pending)} pending: run `deskline migrate`",
            )
        except Exception as exc:
            line("database", False, f"{connection.vendor} {where}: {exc}".strip())
        if settings.REDIS_URL:
            try:
                import redis

                redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
                line("redis", True, settings.REDIS_URL)
            except Exception as exc:
                line("redis", False, f"{settings.REDIS_URL}: {exc}")
        else:
            line("redis", True, "not configured (in-process cache, database task queue)")
        line("tasks", True, settings.TASKS["default"]["BACKEND"])
        messages = [m for m in checks.run_checks() if m.is_serious()]
        line(
            "django",
            not messages,
            "system checks pass" if not messages else "; ".join(str(m) for m in messages),
        )
        self.stdout.write(
            f"     {'debug':<12} {'ON (never in production)' if settings.DEBUG else 'off'}"
        )
        if problems:
            self.stdout.write(f"{problems} problem(s) found")
            sys.exit(1)
