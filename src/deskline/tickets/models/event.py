from django.conf import settings
from django.db import models
from django.utils import timezone


class TicketEvent(models.Model):
    """One entry of a ticket's history: who changed what, from what, to what, when."""

    # Found by event_ticket below, which starts with it (see Message.ticket).
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="events", db_index=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    kind = models.CharField(max_length=40)
    field = models.CharField(max_length=64, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    message = models.ForeignKey("tickets.Message", null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="event_ticket")]

    def __str__(self) -> str:
        return f"{self.kind} {self.field} on {self.ticket_id}"
