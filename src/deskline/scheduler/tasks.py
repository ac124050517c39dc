from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from deskline.core.tasks import task

KEEP_RESULTS_DAYS = 14


@task()
def prune_task_results() -> int:
    """Delete finished task results older than two weeks (database backend only)."""
    if "django_tasks_db" not in settings.TASKS["default"]["BACKEND"]:
        return 0
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - timedelta(days=KEEP_RESULTS_DAYS)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted
