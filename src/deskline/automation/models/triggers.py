from django.conf import settings
from django.db import models
from django.utils import timezone


def empty_conditions() -> dict:
    return {"all": [], "any": []}


class Trigger(models.Model):
    """When a ticket event happens and the conditions hold, do the actions.

    Conditions and actions are JSON checked by automation.conditions/actions when saved.
    A desk's triggers run in `position` order, each at most once per chain of changes.
    """

    desk = models.ForeignKey("desks.Desk", on_delete=models.CASCADE, related_name="triggers")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    events = models.JSONField(default=list)
    conditions = models.JSONField(default=empty_conditions)
    actions = models.JSONField(default=list)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["desk_id", "position", "id"]
        indexes = [models.Index(fields=["desk", "is_active", "position"], name="trigger_desk")]

    def __str__(self) -> str:
        return self.name


class RunOutcome(models.TextChoices):
    APPLIED = "applied", "Applied"
    FAILED = "failed", "Failed"


class TriggerRun(models.Model):
    """One firing of a trigger on a ticket. (trigger, ticket, chain) is unique: a trigger
    fires at most once for one change and the changes it causes."""

    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="runs")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=40)
    chain = models.CharField(max_length=36)
    depth = models.PositiveSmallIntegerField(default=0)
    outcome = models.CharField(max_length=16, choices=RunOutcome.choices)
    actions = models.JSONField(default=list)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["trigger", "ticket", "chain"], name="trigger_once_per_chain"
            )
        ]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="triggerrun_ticket"),
            models.Index(fields=["trigger", "created_at"], name="triggerrun_trigger"),
        ]
