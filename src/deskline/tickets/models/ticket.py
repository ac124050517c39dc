from django.conf import settings
from django.db import models
from django.utils import timezone

from deskline.tickets.choices import (
    ACTIVE_STATUSES,
    Channel,
    Level,
    Priority,
    Status,
    TicketType,
    Tier,
)
from deskline.tickets.lookups import LiteralIn

# The agent's queues list only tickets still being worked (a few % of them at 1M): these
# partial indexes let a queue page in any date order read just those.
ACTIVE_VALUES = [str(s) for s in ACTIVE_STATUSES]
ACTIVE = models.Q(status__in=ACTIVE_VALUES)
# What queries write to use those indexes on SQLite too (see tickets/lookups.py).
ACTIVE_LITERAL = models.Q(status__literal_in=ACTIVE_VALUES)


class Ticket(models.Model):
    # No index of their own on desk, requester, organization, team, assignee and
    # category: each leads a list index (ticket_<name>_updated in Meta), which serves
    # the same lookups; six more B-trees to write on every create cost it ~20 % of its
    # index writes (docs/benchmarks.md).
    desk = models.ForeignKey(
        "desks.Desk", on_delete=models.PROTECT, related_name="tickets", db_index=False
    )
    sequence = models.PositiveBigIntegerField()
    # Human number, e.g. "IT-1042": the desk prefix and the sequence.
    number = models.CharField(max_length=32, unique=True)
    subject = models.CharField(max_length=500)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="requested_tickets",
        db_index=False,
    )
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    team = models.ForeignKey(
        "desks.Team", null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        db_index=False,
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    # Indexed only where set (Meta.indexes): nearly every ticket has none, and a full
    # index took one more page under the write lock for every ticket opened.
    custom_status = models.ForeignKey(
        "tickets.StatusDefinition",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,
    )
    impact = models.CharField(max_length=8, choices=Level.choices, default=Level.MEDIUM)
    urgency = models.CharField(max_length=8, choices=Level.choices, default=Level.MEDIUM)
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    category = models.ForeignKey(
        "desks.Category", null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    ticket_type = models.CharField(
        max_length=20, choices=TicketType.choices, default=TicketType.QUESTION
    )
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, default=Tier.L1)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.API)
    custom_fields = models.JSONField(default=dict, blank=True)
    tags = models.ManyToManyField("tickets.Tag", through="tickets.TicketTag", blank=True)
    followers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="tickets.TicketFollower",
        related_name="followed_tickets",
        blank=True,
    )
    # Indexed only where set, as custom_status.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_tickets",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    first_response_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # When the ticket's SLA first needs attention (a live timer warned or late); kept by
    # sla.services.attention whenever timers change, so the "SLA at risk" queue is one
    # index range instead of a probe of every active ticket's timers.
    sla_attention_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the soonest running SLA timer is due, kept the same way: the list's SLA order.
    sla_due_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["desk", "sequence"], name="ticket_sequence_per_desk")
        ]
        # Keyset pagination walks (updated_at, id) backwards; each common filter gets
        # its own index ending in that pair so a deep page costs what the first does.
        indexes = [
            models.Index(fields=["updated_at", "id"], name="ticket_updated"),
            models.Index(fields=["desk", "updated_at", "id"], name="ticket_desk_updated"),
            models.Index(
                fields=["desk", "status", "updated_at", "id"], name="ticket_desk_status_upd"
            ),
            models.Index(fields=["status", "updated_at", "id"], name="ticket_status_updated"),
            models.Index(fields=["assignee", "updated_at", "id"], name="ticket_assignee_updated"),
            models.Index(fields=["team", "updated_at", "id"], name="ticket_team_updated"),
            models.Index(fields=["requester", "updated_at", "id"], name="ticket_requester_updated"),
            models.Index(fields=["organization", "updated_at", "id"], name="ticket_org_updated"),
            models.Index(fields=["category", "updated_at", "id"], name="ticket_category_updated"),
            models.Index(fields=["priority", "updated_at", "id"], name="ticket_priority_updated"),
            models.Index(fields=["created_at", "id"], name="ticket_created"),
            models.Index(
                fields=["custom_status"],
                name="ticket_custom_status",
                condition=models.Q(custom_status__isnull=False),
            ),
            models.Index(
                fields=["merged_into"],
                name="ticket_merged_into",
                condition=models.Q(merged_into__isnull=False),
            ),
            models.Index(
                fields=["updated_at", "id"], name="ticket_active_updated", condition=ACTIVE
            ),
            models.Index(
                fields=["created_at", "id"], name="ticket_active_created", condition=ACTIVE
            ),
            # "Unassigned in my teams": without it the database intersected three large
            # indexes (no assignee, the desk's active, the team's) for a few hundred rows.
            models.Index(
                fields=["team", "updated_at", "id"],
                name="ticket_unassigned_team",
                condition=ACTIVE & models.Q(assignee__isnull=True),
            ),
            models.Index(
                fields=["desk", "sla_attention_at", "id"],
                name="ticket_sla_attention",
                condition=ACTIVE & models.Q(sla_attention_at__isnull=False),
            ),
            # The SLA order: the broad lists walk the first, a status's queue (waiting
            # on the requester, where timers are mostly paused) the second. Only active
            # tickets have running timers; saying so in the condition (and in the query,
            # web/ordering.py) keeps PostgreSQL from multiplying the two conditions'
            # selectivities as if they were independent, which made it sort instead.
            models.Index(
                fields=["sla_due_at", "id"],
                name="ticket_sla_due",
                condition=ACTIVE & models.Q(sla_due_at__isnull=False),
            ),
            models.Index(
                fields=["status", "sla_due_at", "id"],
                name="ticket_status_sla_due",
                condition=ACTIVE & models.Q(sla_due_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"


Ticket._meta.get_field("status").register_lookup(LiteralIn)


class Tag(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TicketTag(models.Model):
    # Both keys are found by the two-column indexes below, which start with them.
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, db_index=False)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, db_index=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "tag"], name="one_tag_per_ticket")]
        indexes = [models.Index(fields=["tag", "ticket"], name="tickettag_tag")]


class TicketFollower(models.Model):
    """A user copied on a ticket (CC): they see it and are told of public replies."""

    # Both keys are found by the two-column indexes below, which start with them.
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="one_follow_per_ticket")
        ]
        indexes = [models.Index(fields=["user", "ticket"], name="follower_user")]
