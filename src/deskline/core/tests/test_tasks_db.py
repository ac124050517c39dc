"""The database task backend writes the row django-tasks' own backend writes, and a
worker runs it."""

import pytest
from django.db import connection
from django_tasks_db import DatabaseBackend as LibraryBackend
from django_tasks_db.models import DBTaskResult

from deskline.core.tasks import task_backends
from deskline.core.tasks_db import DatabaseBackend, in_database
from deskline.scheduler.tasks import prune_task_results

pytestmark = pytest.mark.skipif(not in_database(), reason="tasks go to Redis in this configuration")


def _stored(pk) -> dict:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM {quote(DBTaskResult._meta.db_table)} WHERE id = %s",  # noqa: S608
            [DBTaskResult._meta.pk.get_db_prep_value(pk, connection)],
        )
        columns = [c[0] for c in cursor.description]
        return dict(zip(columns, cursor.fetchone(), strict=True))


@pytest.mark.django_db
def test_the_row_is_the_one_the_library_writes():
    backend = task_backends["default"]
    assert isinstance(backend, DatabaseBackend)
    task = prune_task_results.using(priority=7)
    ours = backend._task_to_db_task(task, ("a", 1), {"when": [1, 2]})
    theirs = LibraryBackend._task_to_db_task(backend, task, ("a", 1), {"when": [1, 2]})
    assert ours.pk != theirs.pk
    mine, library = _stored(ours.pk), _stored(theirs.pk)
    for varying in ("id", "enqueued_at"):
        mine.pop(varying), library.pop(varying)
    assert mine == library
    assert DBTaskResult.objects.get(pk=ours.pk).task_result.task.priority == 7


@pytest.mark.django_db(transaction=True)
def test_a_task_queued_through_it_runs():
    result = prune_task_results.enqueue()
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == "READY" and row.enqueued_at is not None
    from django.core.management import call_command

    call_command("db_worker", batch=True, queue_name="*", reload=False, interval=0.1)
    row.refresh_from_db()
    assert row.status == "SUCCESSFUL", row.exception_class_path
