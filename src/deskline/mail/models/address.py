from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_noop

from deskline.core.email_fields import EmailAddressField
from deskline.core.emails import normalize_email


class DeskAddress(models.Model):
    """An address a desk receives mail at; the desk's primary one is the From of its mail."""

    desk = models.ForeignKey("desks.Desk", on_delete=models.CASCADE, related_name="mail_addresses")
    email = EmailAddressField(max_length=254, unique=True)
    name = models.CharField(max_length=200, blank=True, help_text="display name for outbound mail")
    primary = models.BooleanField(default=False, help_text="the From address of outbound mail")
    # An agent of the desk forwarding a customer's mail opens the ticket for that customer.
    forwards_open_for_original_sender = models.BooleanField(default=False)
    # Mail to this address comes through a relay (a web form, a gateway) that sends as
    # itself on behalf of the person it names in Reply-To. Off: From is the requester,
    # as mail clients mean it (Reply-To there is only where answers are wanted).
    requester_from_reply_to = models.BooleanField(
        default=False,
        help_text="the requester of mail to this address is its Reply-To, not its From "
        "(for mail relayed by a web form or gateway on behalf of a customer)",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["desk_id", "-primary", "email"]
        verbose_name_plural = "desk addresses"

    def __str__(self) -> str:
        return self.email

    def save(self, *args: object, **kwargs: object) -> None:
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class AcknowledgementTemplate(models.Model):
    """The automatic answer to a new ticket opened by mail, per desk and language.

    Placeholders: {number}, {subject}, {portal_link}, {requester_name}, {desk}.
    """

    desk = models.ForeignKey(
        "desks.Desk", on_delete=models.CASCADE, related_name="acknowledgement_templates"
    )
    language = models.CharField(max_length=10, default="en")
    enabled = models.BooleanField(default=True)
    # The defaults are marked for the locale files and translated when the mail is written
    # (mail.services.compose), in the requester's language.
    subject = models.CharField(
        max_length=300,
        # Translators: Mail: default acknowledgement subject (keep the {placeholders})
        default=gettext_noop("We received your request: {subject}"),
    )
    body = models.TextField(
        # Translators: Mail: default acknowledgement body (keep the {placeholders})
        default=gettext_noop(
            "Hello {requester_name},\n\nThank you for writing. Your request is now ticket "
            "{number}; we will answer as soon as we can.\n\nYou can follow it here: "
            "{portal_link}\n\n— {desk}"
        )
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["desk", "language"], name="one_ack_per_desk_language")
        ]

    def __str__(self) -> str:
        return f"{self.desk} ({self.language})"


class AddressesVersion(models.Model):
    """One row whose token changes with every change to a desk or a desk address.

    Each process keeps the desk addresses (with their desks) in memory and reads only
    this token per mail: a different token, whichever process wrote it, means read
    them again (mail.services.addresses). A random token rather than a counter: a
    rolled-back change restores the old token, and a counter would then be reused
    for other data.
    """

    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.token
