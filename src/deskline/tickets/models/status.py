from django.db import models

from deskline.tickets.choices import Status


class StatusDefinition(models.Model):
    """An admin-defined status ("Waiting on vendor") that behaves like a base status."""

    desk = models.ForeignKey(
        "desks.Desk", null=True, blank=True, on_delete=models.CASCADE, related_name="statuses"
    )
    name = models.CharField(max_length=100)
    slug = models.CharField(max_length=50)
    base_status = models.CharField(max_length=16, choices=Status.choices)

    class Meta:
        ordering = ["base_status", "name"]
        constraints = [
            models.UniqueConstraint(fields=["desk", "slug"], name="status_slug_per_desk")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.base_status})"
