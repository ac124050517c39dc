from django.conf import settings
from django.db import models
from django.utils import timezone

from deskline.automation.models.triggers import RunOutcome, empty_conditions
from deskline.tickets.choices import Status


class ScheduledRule(models.Model):
    """Time-based automation: tickets of `desk` in `status` for at least `hours` hours
    (and matching the conditions) get the actions, once per time they entered the status."""

    desk = models.ForeignKey("desks.Desk", on_delete=models.CASCADE, related_name="scheduled_rules")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    hours = models.PositiveIntegerField()
    conditions = models.JSONField(default=empty_conditions)
    actions = models.JSONField(default=list)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["desk_id", "position", "id"]

    def __str__(self) -> str:
        return self.name


class ScheduledRuleRun(models.Model):
    """A rule acted on a ticket that entered its status at `since`: never again for it."""

    rule = models.ForeignKey(ScheduledRule, on_delete=models.CASCADE, related_name="runs")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    since = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=RunOutcome.choices)
    actions = models.JSONField(default=list)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "ticket", "since"], name="rule_once_per_state")
        ]
