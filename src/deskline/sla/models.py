from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from deskline.accounts.models import validate_time_zone


class Calendar(models.Model):
    """Business hours in a time zone, public holidays of a country, and extra closing days."""

    name = models.CharField(max_length=200, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # {"mon": [["09:00", "17:00"]], ...}; see sla.calendar.parse_hours.
    hours = models.JSONField(default=dict)
    country = models.CharField(max_length=8, blank=True)
    subdivision = models.CharField(max_length=16, blank=True)
    # Bumped on every change, so cached calendar objects know they are stale.
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CalendarHoliday(models.Model):
    class Source(models.TextChoices):
        MANUAL = "manual", "Entered by hand"
        ICAL = "ical", "Imported from iCalendar"

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="holiday_dates")
    date = models.DateField()
    name = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MANUAL)

    class Meta:
        ordering = ["calendar_id", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="one_holiday_per_date")
        ]


class CustomerTier(models.Model):
    """The service tier an organization bought (gold, silver...), for policy conditions."""

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, related_name="customer_tier"
    )
    tier = models.CharField(max_length=50)


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    NEXT_RESPONSE = "next_response", "Next response"
    RESOLUTION = "resolution", "Resolution"


class BreachAction(models.TextChoices):
    NOTIFY = "notify", "Notify the desk's supervisors"
    RAISE_PRIORITY = "raise_priority", "Raise the priority one step"
    REASSIGN = "reassign", "Reassign to another available agent"
    ESCALATE = "escalate", "Escalate to the next tier"


class SlaPolicy(models.Model):
    """Targets for the desk's tickets that match every non-empty condition.

    The first matching policy by position applies; an empty condition matches anything.
    """

    desk = models.ForeignKey("desks.Desk", on_delete=models.CASCADE, related_name="sla_policies")
    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    calendar = models.ForeignKey(Calendar, null=True, blank=True, on_delete=models.PROTECT)
    priorities = models.JSONField(default=list, blank=True)
    types = models.JSONField(default=list, blank=True)
    # Category paths; a path also matches its subcategories.
    categories = models.JSONField(default=list, blank=True)
    organizations = models.JSONField(default=list, blank=True)
    customer_tiers = models.JSONField(default=list, blank=True)
    first_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    next_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True)
    warning_percent = models.PositiveSmallIntegerField(default=75)
    breach_actions = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["desk_id", "position", "id"]
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return f"{self.desk_id}: {self.name}"

    def target_minutes(self, metric: str) -> int | None:
        return getattr(self, f"{metric}_minutes")


class TimerState(models.TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    MET = "met", "Met"
    STOPPED = "stopped", "Stopped"


class SlaTimer(models.Model):
    """One SLA metric of one ticket. `check_at` is the next moment the scheduler must look
    at it (warning, then breach); null once nothing more can happen while it waits."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="sla_timers"
    )
    metric = models.CharField(max_length=16, choices=Metric.choices)
    policy = models.ForeignKey(SlaPolicy, null=True, on_delete=models.SET_NULL)
    state = models.CharField(max_length=8, choices=TimerState.choices, default=TimerState.RUNNING)
    target = models.DurationField()
    # Business time used before the current run began.
    consumed = models.DurationField(default=timedelta(0))
    started_at = models.DateTimeField(default=timezone.now)
    running_since = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    check_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    met_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "metric"], name="one_timer_per_metric")
        ]
        indexes = [
            models.Index(fields=["check_at"], name="slatimer_check"),
            models.Index(fields=["due_at"], name="slatimer_due"),
            # Met and stopped timers keep their due time and soon outnumber the live ones
            # (two or three per closed ticket): the SLA order and the at-risk queue read
            # only running or paused timers through these.
            models.Index(
                fields=["due_at", "id"],
                name="slatimer_running_due",
                condition=models.Q(state="running"),
            ),
            models.Index(
                fields=["ticket"],
                name="slatimer_live",
                condition=models.Q(state__in=["running", "paused"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} of {self.ticket_id} ({self.state})"


class Notification(models.Model):
    """An in-app notice for one person (a supervisor told of a breach or a slipping ticket)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sla_notifications"
    )
    ticket = models.ForeignKey("tickets.Ticket", null=True, on_delete=models.CASCADE)
    kind = models.CharField(max_length=40)
    text = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"], name="notification_user")]


class SlipRule(models.TextChoices):
    UNASSIGNED = "unassigned", "Unassigned too long"
    NO_FIRST_RESPONSE = "no_first_response", "No first response"
    IDLE = "idle", "No activity"


class SlipLimits(models.Model):
    """Per desk: after how many minutes (wall-clock) a ticket counts as slipping; null: never."""

    desk = models.OneToOneField("desks.Desk", on_delete=models.CASCADE, related_name="slip_limits")
    unassigned_minutes = models.PositiveIntegerField(null=True, blank=True, default=60)
    no_first_response_minutes = models.PositiveIntegerField(null=True, blank=True, default=240)
    idle_minutes = models.PositiveIntegerField(null=True, blank=True, default=3 * 24 * 60)


class SlipWatch(models.Model):
    """A ticket watched for one "nothing slips" rule until `due_at`; flagged once."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="slips")
    rule = models.CharField(max_length=20, choices=SlipRule.choices)
    due_at = models.DateTimeField()
    flagged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "rule"], name="one_watch_per_rule")
        ]
        indexes = [models.Index(fields=["flagged_at", "due_at"], name="slipwatch_due")]
