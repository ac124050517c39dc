from django.conf import settings
from django.db import models
from django.utils import timezone

from deskline.core.email_fields import EmailAddressField


class InboundHook(models.Model):
    """A secret URL that turns JSON alerts (monitoring, CI...) into tickets of a desk.

    Only the token's SHA-256 digest is stored. The *_path fields are dotted paths into
    the alert JSON.
    """

    desk = models.ForeignKey("desks.Desk", on_delete=models.CASCADE, related_name="inbound_hooks")
    name = models.CharField(max_length=200)
    token_prefix = models.CharField(max_length=16)
    token_digest = models.CharField(max_length=64, unique=True)
    sender_email = EmailAddressField()
    sender_name = models.CharField(max_length=200, blank=True)
    subject_path = models.CharField(max_length=200, default="title")
    body_path = models.CharField(max_length=200, default="message")
    key_path = models.CharField(max_length=200, default="alert_key")
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["desk_id", "name", "id"]

    def __str__(self) -> str:
        return self.name


class InboundAlert(models.Model):
    """The ticket an alert key lives on: repeats of the alert go there while it is open."""

    hook = models.ForeignKey(InboundHook, on_delete=models.CASCADE, related_name="alerts")
    key = models.CharField(max_length=255)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    count = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    last_received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hook", "key"], name="one_alert_per_key")]
