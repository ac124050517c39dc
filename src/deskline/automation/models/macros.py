from django.conf import settings
from django.db import models
from django.utils import timezone


class Macro(models.Model):
    """Several ticket changes and a reply an agent applies in one go.

    Shared with the whole desk (no owner, no team), with one team, or personal (owner).
    `replies` maps a language code to the reply text, with {{placeholders}}.
    """

    desk = models.ForeignKey("desks.Desk", on_delete=models.CASCADE, related_name="macros")
    name = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="macros",
    )
    team = models.ForeignKey("desks.Team", null=True, blank=True, on_delete=models.CASCADE)
    actions = models.JSONField(default=list)
    replies = models.JSONField(default=dict)
    reply_internal = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["desk_id", "position", "name", "id"]
        indexes = [models.Index(fields=["desk", "is_active"], name="macro_desk")]

    def __str__(self) -> str:
        return self.name

    @property
    def scope(self) -> str:
        if self.owner_id:
            return "personal"
        if self.team_id:
            return "team"
        return "desk"
