from django.conf import settings
from django.db import models
from django.utils import timezone

from deskline.tickets.choices import LinkKind


class TicketLink(models.Model):
    """source —kind→ target: "parent" (source is the parent), "related", "duplicate" (of target)."""

    source = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=16, choices=LinkKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="one_link_per_kind")
        ]
