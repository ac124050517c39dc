from django.db import models
from django.utils import timezone


class Schedule(models.Model):
    """One periodic job: a task run on a cron expression.

    This is the one schedule table of the install. Code declares the default rows
    (scheduler.registry); admins may change the cron or disable a row.
    """

    name = models.CharField(max_length=100, unique=True)
    task_path = models.CharField(max_length=200, help_text="dotted path to a task")
    cron = models.CharField(max_length=100, help_text="five-field cron expression, in UTC")
    enabled = models.BooleanField(default=True)
    next_run_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.cron})"
