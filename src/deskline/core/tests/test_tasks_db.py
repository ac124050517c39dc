"""The database task backend writes the row django-tasks' own backend writes, and a
worker runs it."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone
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
    args, kwargs = ("a", 1, (2.5, None), {"k": (True,)}), {"when": [1, 2], "n": {"x": ()}}
    ours = backend._task_to_db_task(task, args, kwargs)
    theirs = LibraryBackend._task_to_db_task(backend, task, args, kwargs)
    assert ours.pk != theirs.pk
    mine, library = _stored(ours.pk), _stored(theirs.pk)
    for varying in ("id", "enqueued_at"):
        mine.pop(varying), library.pop(varying)
    assert mine == library
    assert DBTaskResult.objects.get(pk=ours.pk).task_result.task.priority == 7


@pytest.mark.django_db
@pytest.mark.parametrize("deferred", [False, True])
def test_enqueue_returns_and_announces_the_result_the_library_builds(deferred):
    from django_tasks_db.compat import task_enqueued

    from deskline.tickets.tasks import run_ticket_hooks

    heard = []

    def receiver(sender, task_result, **kwargs):
        heard.append((sender, task_result))

    # run_after takes the library's own way (the task read back from the row).
    task = run_ticket_hooks.using(priority=3)
    if deferred:
        task = task.using(run_after=timezone.now() + datetime.timedelta(hours=1))
    task_enqueued.connect(receiver)
    try:
        result = task.enqueue({"kind": "ticket_opened", "fields": ("a",), "n": 1.5})
    finally:
        task_enqueued.disconnect(receiver)
    stored = DBTaskResult.objects.get(pk=result.id)
    assert result == stored.task_result
    assert result.args == [{"kind": "ticket_opened", "fields": ["a"], "n": 1.5}]
    assert result.task.priority == 3 and result.db_result.pk == stored.pk
    assert heard == [(DatabaseBackend, result)]


@pytest.mark.django_db(transaction=True)
def test_a_task_queued_through_it_runs():
    result = prune_task_results.enqueue()
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == "READY" and row.enqueued_at is not None
    from django.core.management import call_command

    call_command("db_worker", batch=True, queue_name="*", reload=False, interval=0.1)
    row.refresh_from_db()
    assert row.status == "SUCCESSFUL", row.exception_class_path
