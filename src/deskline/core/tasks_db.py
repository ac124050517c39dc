"""django-tasks' database backend, with the task row written in plain SQL.

Every ticket change queues one hook task inside its transaction (tickets/services/
hooks.py); on SQLite that transaction holds the one write lock, and building the row's
INSERT with the ORM cost more than the ticket's own rows (docs/benchmarks.md). The row
written is the one `DBTaskResult.objects.create()` writes (core/tests/test_tasks_db.py).
"""

from typing import Any

from django_tasks.utils import normalize_json
from django_tasks_db import DatabaseBackend as _DatabaseBackend
from django_tasks_db.models import DBTaskResult

from deskline.core import rows


class DatabaseBackend(_DatabaseBackend):
    def _task_to_db_task(self, task: Any, args: Any, kwargs: Any) -> DBTaskResult:
        result = DBTaskResult(
            id=self._get_id(),
            args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            run_after=task.run_after,
            backend_name=self.alias,
        )
        rows.insert(result)
        return result


def in_database() -> bool:
    """Whether tasks are rows of this database (written in the caller's transaction)."""
    from deskline.core.tasks import task_backends

    return isinstance(task_backends["default"], _DatabaseBackend)
