from django.conf import settings
from django.db import models
from django.utils import timezone


class Attachment(models.Model):
    """A file on a ticket, stored under DESKLINE_ATTACHMENT_DIR and served only via access checks.

    An uploaded file belongs to its ticket at once and to a message once a message
    names it; until then only its uploader and the ticket's agents see it.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="attachments"
    )
    message = models.ForeignKey(
        "tickets.Message",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=127)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # Path relative to the attachment root; content-addressed so duplicates share a file.
    storage_path = models.CharField(max_length=255)
    content_id = models.CharField(max_length=255, blank=True)
    inline = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename
