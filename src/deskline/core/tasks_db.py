"""django-tasks' database backend, with the task row written in plain SQL.

Every ticket change queues one hook task inside its transaction (tickets/services/
hooks.py); on SQLite that transaction holds the one write lock, and building the row's
INSERT with the ORM cost more than the ticket's own rows (docs/benchmarks.md). The row
written is the one `DBTaskResult.objects.create()` writes, and the result returned and
sent with `task_enqueued` is the one the library builds (core/tests/test_tasks_db.py).
"""

from typing import Any

from django.utils.module_loading import import_string
from django_tasks_db import DatabaseBackend as _DatabaseBackend
from django_tasks_db.backend import TaskResult
from django_tasks_db.compat import (
    Task,
    TaskError,
    TaskResultStatus,
    normalize_json,
    task_enqueued,
)
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import normalize_uuid

from deskline.core import rows


def _json(value: Any) -> Any:
    """normalize_json(value), with the plain JSON types (a ticket change's arguments)
    handled without its pattern matching against the abstract Mapping and Sequence."""
    kind = type(value)
    if value is None or kind is str or kind is int or kind is bool or kind is float:
        return value
    if kind is dict:
        return {_json(k): _json(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [_json(v) for v in value]
    return normalize_json(value)


# (task function, takes_context) -> whether importing the task's path gives it back.
_round_trips: dict[tuple[Any, bool], bool] = {}


def _imports_back(task: Task) -> bool:
    """Whether `DBTaskResult.task` (the task imported from its path, then `.using()`
    the row's values) equals `task`, so the task in hand can stand in for it."""
    key = (task.func, task.takes_context)
    found = _round_trips.get(key)
    if found is None:
        try:
            imported = import_string(task.module_path)
        except ImportError:
            imported = None
        found = _round_trips[key] = (
            isinstance(imported, Task)
            and imported.func is task.func
            and imported.takes_context == task.takes_context
        )
    return found


class DatabaseBackend(_DatabaseBackend):
    def _task_to_db_task(self, task: Any, args: Any, kwargs: Any) -> DBTaskResult:
        result = DBTaskResult(
            id=self._get_id(),
            args_kwargs=_json({"args": args, "kwargs": kwargs}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            run_after=task.run_after,
            backend_name=self.alias,
        )
        rows.insert(result)
        return result

    def enqueue(self, task: Any, args: Any, kwargs: Any) -> TaskResult:
        """The library's enqueue(), which builds `db_result.task_result` twice (for the
        signal, then for the caller), each time importing the task back from its path
        and validating it again: here once, from the task in hand."""
        self.validate_task(task)
        row = self._task_to_db_task(task, args, kwargs)
        result = self._result_of(row, task)
        task_enqueued.send(type(self), task_result=result)
        return result

    def _result_of(self, row: DBTaskResult, task: Any) -> TaskResult:
        """`row.task_result` for a row just written from `task`."""
        if task.run_after is not None or task.backend != self.alias or not _imports_back(task):
            return row.task_result  # the library's own way
        result = TaskResult(
            db_result=row,
            task=task,
            id=normalize_uuid(row.id),
            status=TaskResultStatus[row.status],
            enqueued_at=row.enqueued_at,
            started_at=row.started_at,
            last_attempted_at=row.started_at,
            finished_at=row.finished_at,
            args=row.args_kwargs["args"],
            kwargs=row.args_kwargs["kwargs"],
            backend=row.backend_name,
            errors=[],
            worker_ids=row.worker_ids,
        )
        if row.status == TaskResultStatus.FAILED:
            result.errors.append(
                TaskError(exception_class_path=row.exception_class_path, traceback=row.traceback)
            )
        object.__setattr__(result, "_return_value", row.return_value)
        return result


def in_database() -> bool:
    """Whether tasks are rows of this database (written in the caller's transaction)."""
    from deskline.core.tasks import task_backends

    return isinstance(task_backends["default"], _DatabaseBackend)
