"""The tasks API: `django.tasks` when Django has it (6.0+), else the django-tasks backport.

Importing `task` from here means moving to Django 6 is a settings change only.
"""

try:  # pragma: no cover - depends on the Django version installed
    from django.tasks import default_task_backend, task, task_backends  # type: ignore
except ImportError:
    from django_tasks import default_task_backend, task, task_backends

__all__ = ["default_task_backend", "task", "task_backends"]
