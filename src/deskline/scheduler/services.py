"""Run the schedule table: enqueue the tasks that are due, advance their next run.

Safe with several workers: on PostgreSQL due rows are claimed with SKIP LOCKED, on
SQLite the immediate transaction already admits one writer. Only due rows are read
(indexed next_run_at), never the whole table.
"""

import logging
from datetime import datetime

from croniter import croniter
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from deskline.scheduler.models import Schedule
from deskline.scheduler.registry import DEFAULT_SCHEDULES

logger = logging.getLogger(__name__)


def next_run(cron: str, after: datetime) -> datetime:
    return croniter(cron, after).get_next(datetime)


def ensure_default_schedules() -> None:
    now = timezone.now()
    for name, task_path, cron in DEFAULT_SCHEDULES:
        Schedule.objects.get_or_create(
            name=name,
            defaults={"task_path": task_path, "cron": cron, "next_run_at": next_run(cron, now)},
        )


def run_due_schedules(now: datetime | None = None) -> list[str]:
    """Enqueue every due schedule once; return the names enqueued."""
    now = now or timezone.now()
    ran: list[str] = []
    with transaction.atomic():
        due = Schedule.objects.filter(enabled=True, next_run_at__lte=now).order_by("next_run_at")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        for schedule in due[:100]:
            try:
                task = import_string(schedule.task_path)
                transaction.on_commit(task.enqueue)
                schedule.last_error = ""
            except Exception as exc:  # a bad row must not stop the others
                logger.exception("schedule %s failed to enqueue", schedule.name)
                schedule.last_error = f"{type(exc).__name__}: {exc}"
            schedule.last_run_at = now
            schedule.next_run_at = next_run(schedule.cron, now)
            schedule.save(update_fields=["last_run_at", "next_run_at", "last_error"])
            ran.append(schedule.name)
    return ran
