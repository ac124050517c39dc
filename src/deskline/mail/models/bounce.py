from django.db import models
from django.utils import timezone

from deskline.core.email_fields import EmailAddressField


class Bounce(models.Model):
    """Delivery failures seen for an address: hard ones stop mail to it.

    Hard means a permanent failure that returned a mail we sent to this address
    (loops.record_bounce); a permanent failure not tied to one is counted here, soft.
    """

    address = EmailAddressField(max_length=254, unique=True)
    hard = models.BooleanField(default=False)
    status = models.CharField(max_length=16, blank=True, help_text="DSN status, e.g. 5.1.1")
    reason = models.CharField(max_length=64, blank=True)
    count = models.PositiveIntegerField(default=0)
    first_at = models.DateTimeField(default=timezone.now)
    last_at = models.DateTimeField(default=timezone.now)
    last_raw_mail = models.ForeignKey(
        "mail.RawMail", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-last_at"]

    def __str__(self) -> str:
        return f"{self.address} ({'hard' if self.hard else 'soft'}: {self.reason})"
