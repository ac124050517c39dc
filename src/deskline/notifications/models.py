from django.conf import settings
from django.db import models
from django.utils import timezone


class Notification(models.Model):
    """Something a user should know: shown in the app, mailed per their preference."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set once the notification went out by mail (alone or in a digest).
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "created_at", "id"], name="notif_user_created"),
            models.Index(fields=["user", "read_at"], name="notif_user_unread"),
            models.Index(fields=["mailed_at", "user"], name="notif_unmailed"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"


class MailMode(models.TextChoices):
    OFF = "off", "No mail"
    INSTANT = "instant", "One mail per notification"
    DIGEST = "digest", "A daily digest"


class NotificationPreference(models.Model):
    """How a user wants to hear about things; no row means the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    mail = models.CharField(max_length=16, choices=MailMode.choices, default=MailMode.INSTANT)
    # Kinds the user does not want at all (neither in the app nor by mail).
    muted_kinds = models.JSONField(default=list, blank=True)
    last_digest_at = models.DateTimeField(null=True, blank=True)
