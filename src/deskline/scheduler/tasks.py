from datetime import timedelta

from django.utils import timezone

from deskline.core.tasks import task

KEEP_RESULTS_DAYS = 14


@task()
def prune_task_results() -> int:
    """Delete finished task results older than two weeks (database backend only)."""
    from deskline.core.tasks_db import in_database

    if not in_database():
        return 0
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - timedelta(days=KEEP_RESULTS_DAYS)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted
