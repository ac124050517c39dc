import logging
import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.db.utils import OperationalError

from deskline.core.sqlite.checkpoint import start_checkpointer
from deskline.scheduler.services import ensure_default_schedules, run_due_schedules

logger = logging.getLogger("deskline.worker")


def run_scheduler(stop: threading.Event, interval: float) -> None:
    while not stop.is_set():
        try:
            ran = run_due_schedules()
            if ran:
                logger.info("enqueued scheduled jobs: %s", ", ".join(ran))
        except Exception:  # the next tick tries again; a database blip must not kill it
            logger.exception("scheduler tick failed")
        finally:
            close_old_connections()
        stop.wait(interval)


class Command(BaseCommand):
    help = "Run background tasks and the schedule table."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help="only run tasks (when another process runs the schedule)",
        )
        parser.add_argument("--scheduler-interval", type=float, default=15.0)
        parser.add_argument(
            "--batch",
            action="store_true",
            help="run the tasks waiting now, then exit",
        )
        parser.add_argument(
            "--no-fork",
            action="store_true",
            help="Redis backend: run each task in the worker process instead of a fork",
        )

    def handle(self, *args: object, **options: object) -> None:
        stop = threading.Event()
        pipe = None
        if not options["batch"]:
            start_checkpointer(stop)
        if not options["no_scheduler"] and not options["batch"]:
            ensure_default_schedules()
            thread = threading.Thread(
                target=run_scheduler,
                args=(stop, options["scheduler_interval"]),
                name="deskline-scheduler",
                daemon=True,
            )
            thread.start()
        try:
            if not options["batch"]:
                # `deskline mail ingest` hands its mail to this process rather than start
                # Django for each one (mail/pipe_client.py).
                from deskline.mail.pipe_server import start_pipe_server

                pipe = start_pipe_server()
            backend = settings.TASKS["default"]["BACKEND"]
            if "django_tasks_rq" in backend:
                extra = {"worker_class": "rq.worker.SimpleWorker"} if options["no_fork"] else {}
                call_command(
                    "rqworker",
                    "default",
                    job_class="django_tasks_rq.Job",
                    burst=bool(options["batch"]),
                    **extra,
                )
            else:
                run_database_worker(batch=bool(options["batch"]))
        finally:
            stop.set()
            if pipe is not None:
                pipe.stop()


def run_database_worker(*, batch: bool) -> None:
    """django-tasks' database worker, taken up again when it stops on a busy database.

    It claims each task in a write transaction opened outside its own error handling: a
    writer holding SQLite's lock past the busy timeout (a very large mail, a bulk import)
    ended the process, and with it `deskline serve`. Waiting and claiming again loses
    nothing: the claim had not happened, and a task already running is not affected."""
    while True:
        try:
            call_command("db_worker", queue_name="*", batch=batch, reload=False, interval=1)
            return
        except OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            logger.warning("worker: the database stayed busy (%s); claiming tasks again", exc)
            close_old_connections()
            time.sleep(1)
