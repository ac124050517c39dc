from django.db import models
from django.utils import timezone

from deskline.core.email_fields import EmailAddressField


class OutboundKind(models.TextChoices):
    REPLY = "reply", "Agent reply"
    ACKNOWLEDGEMENT = "ack", "Automatic acknowledgement"
    AUTOMATION = "auto", "Automation mail (trigger or scheduled rule)"


# Mail no person wrote: capped per address and per ticket (loops.suppression_reason).
AUTOMATIC_KINDS = (OutboundKind.ACKNOWLEDGEMENT, OutboundKind.AUTOMATION)


class OutboundState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (gave up)"
    SUPPRESSED = "suppressed", "Suppressed (loop or bounce protection)"


class OutboundMail(models.Model):
    """A mail Deskline sends; its Message-ID lets the answers find their ticket."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    ticket_message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=OutboundKind.choices)
    to = EmailAddressField(max_length=254)
    message_id = models.CharField(max_length=998, unique=True)
    state = models.CharField(
        max_length=10, choices=OutboundState.choices, default=OutboundState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Automation mail's own text, rendered when the trigger or rule acted (replies read
    # their ticket message, acknowledgements their template).
    subject = models.CharField(max_length=998, blank=True)
    body = models.TextField(blank=True)
    language = models.CharField(max_length=16, blank=True)
    # The rows of one automatic mail to several recipients share it: the per-ticket cap
    # counts mails, not recipients (blank: a mail of its own).
    batch = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["to", "kind", "created_at"], name="outbound_to"),
            models.Index(fields=["ticket", "created_at"], name="outbound_ticket"),
            models.Index(fields=["state", "next_attempt_at"], name="outbound_state"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to} ({self.state})"
