from django.db import models
from django.utils import timezone


class RawState(models.TextChoices):
    RECEIVED = "received", "Received (waiting to be processed)"
    PROCESSED = "processed", "Processed"
    FAILED = "failed", "Failed"
    REJECTED = "rejected", "Rejected (recorded, no ticket)"
    DUPLICATE = "duplicate", "Duplicate"


class RawMail(models.Model):
    """A mail exactly as it arrived, stored before anything reads it.

    `dedupe_key` ("mc:" + hash of the Message-ID with the sender, date, subject and
    body, else "sha:<sha256>" of the bytes) is unique: the same mail from two mailboxes,
    a re-poll or an SMTP retry is stored, and acted on, once; another mail reusing a
    Message-ID is not taken for it (services.intake.identity).
    """

    dedupe_key = models.CharField(max_length=80, unique=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    message_id = models.CharField(max_length=998, blank=True, db_index=True)
    # The bytes themselves live in the database so that storing is one commit.
    raw = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    source = models.CharField(max_length=64, help_text="pipe, smtp or imap:<mailbox id>")
    # Where mail that matches no desk address goes (pipe --desk, the mailbox's desk).
    default_desk = models.ForeignKey(
        "desks.Desk", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Envelope recipients when known (SMTP RCPT TO), for choosing the desk.
    envelope_to = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=10, choices=RawState.choices, default=RawState.RECEIVED)
    reason = models.CharField(max_length=64, blank=True, help_text="why rejected")
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket_message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sender = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=998, blank=True)
    # The verdict on From by our boundary mail server (services.authentication), taken
    # at the first processing and kept, so that reprocessing decides the same; null
    # when not checked (DESKLINE_MAIL_AUTHSERV_ID empty then, or the mail unreadable).
    sender_auth = models.JSONField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "raw mail"
        verbose_name_plural = "raw mail"
        indexes = [
            models.Index(fields=["state", "received_at"], name="rawmail_state"),
            models.Index(fields=["ticket", "received_at"], name="rawmail_ticket"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id or self.sha256[:12]} ({self.state})"
