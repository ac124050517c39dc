from django.conf import settings
from django.db import models
from django.utils import timezone

from deskline.tickets.choices import Channel


class Message(models.Model):
    """A public reply or an internal note on a ticket."""

    # Found by message_ticket below, which starts with it: an index of its own would be
    # one more page written under SQLite's write lock for every message.
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    sender_name = models.CharField(max_length=200, blank=True)
    sender_email = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=998, blank=True)
    body_text = models.TextField(blank=True)
    # Already sanitized when stored; templates and API may show it as is.
    body_html = models.TextField(blank=True)
    internal = models.BooleanField(default=False)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.API)
    # Headers of the source mail, kept for threading and for people who debug mail.
    source_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="message_ticket")]

    def __str__(self) -> str:
        kind = "note" if self.internal else "reply"
        return f"{kind} on {self.ticket_id} by {self.sender_email or self.author_id}"
