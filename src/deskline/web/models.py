"""What the web pages keep of their own: agents' saved views and the live-change outbox."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class SavedView(models.Model):
    """A named ticket list (filters and sort as a query string), shareable with a team."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    team = models.ForeignKey("desks.Team", null=True, blank=True, on_delete=models.CASCADE)
    name = models.CharField(max_length=100)
    query = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class LiveChange(models.Model):
    """A committed change waiting to be pushed to open pages: a ticket's (ticket and
    desk set) or one user's own, such as a new notification (user set).

    On the embedded default the channel layer lives in one process's memory, so web and
    worker processes write here and the WebSocket process reads it (web/live.py).
    """

    ticket_id = models.BigIntegerField(null=True, blank=True)
    desk_id = models.BigIntegerField(null=True, blank=True)
    user_id = models.BigIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=32)
    fields = models.JSONField(default=list, blank=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    public = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)


class SignInLink(models.Model):
    """A one-time sign-in link sent by mail. Only the token's hash is kept, so a copy of
    the database signs no one in."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_in_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
