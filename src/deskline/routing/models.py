from django.conf import settings
from django.db import models
from django.utils import timezone

from deskline.core.email_fields import EmailAddressField


class Mode(models.TextChoices):
    MANUAL = "manual", "Manual (a person assigns)"
    ROUND_ROBIN = "round_robin", "Round-robin"
    LOAD_BALANCED = "load_balanced", "Fewest open tickets, weighted by priority"
    SKILLS = "skills", "Best matching skills, then fewest open tickets"


class DeskRouting(models.Model):
    """How a desk's new tickets find a team and an agent."""

    desk = models.OneToOneField("desks.Desk", on_delete=models.CASCADE, related_name="routing")
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.MANUAL)
    # Where tickets without a category route go (usually the L1 team).
    default_team = models.ForeignKey(
        "desks.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # An agent away or off shift this long loses their open tickets to the queue; null: never.
    reassign_after_minutes = models.PositiveIntegerField(null=True, blank=True, default=60)


class TeamRouting(models.Model):
    """A team's own assignment mode, overriding the desk's. Its row is also the lock that
    makes choosing an agent of the team one at a time."""

    team = models.OneToOneField("desks.Team", on_delete=models.CASCADE, related_name="routing")
    mode = models.CharField(max_length=16, choices=Mode.choices, blank=True)


class CategoryRoute(models.Model):
    """Tickets of this category (and its subcategories) go to this team."""

    desk = models.ForeignKey("desks.Desk", on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey("desks.Category", on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("desks.Team", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["desk", "category"], name="one_route_per_category")
        ]


class Availability(models.TextChoices):
    ONLINE = "online", "Online"
    AWAY = "away", "Away"
    OFF_SHIFT = "off_shift", "Off shift"


class AgentProfile(models.Model):
    """An agent's availability, working hours, capacity and skills. Agents without a
    profile count as online at any hour, without a cap and without skills."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile"
    )
    status = models.CharField(
        max_length=10, choices=Availability.choices, default=Availability.ONLINE
    )
    status_since = models.DateTimeField(default=timezone.now)
    # Hours in the agent's own time zone (users.time_zone), same shape as SLA calendars;
    # empty: any hour.
    working_hours = models.JSONField(default=dict, blank=True)
    # Most open tickets at once; null: no cap.
    capacity = models.PositiveIntegerField(null=True, blank=True)
    # "category:network", "language:ar", "product:vpn"...
    skills = models.JSONField(default=list, blank=True)
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "status_since"], name="agent_status_since")]


class WaitingTicket(models.Model):
    """A ticket waiting for automatic assignment. Workers claim rows with SKIP LOCKED, so
    two of them never assign the same ticket."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    enqueued_at = models.DateTimeField(default=timezone.now, db_index=True)
    attempts = models.PositiveIntegerField(default=0)


class Vendor(models.Model):
    """An outside company that takes tickets at L4."""

    desk = models.ForeignKey("desks.Desk", on_delete=models.CASCADE, related_name="vendors")
    name = models.CharField(max_length=200)
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.SET_NULL
    )
    contact_email = EmailAddressField()
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["desk_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["desk", "name"], name="vendor_name_per_desk")
        ]

    def __str__(self) -> str:
        return self.name


class VendorCase(models.Model):
    """A ticket handed to a vendor, with the vendor's own reference number for it."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="cases")
    reference = models.CharField(max_length=100, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["ticket", "opened_at"], name="vendorcase_ticket")]
