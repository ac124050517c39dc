from django.db import models
from django.utils import timezone


class Protocol(models.TextChoices):
    IMAP = "imap", "IMAP"
    POP3 = "pop3", "POP3"


class TlsMode(models.TextChoices):
    SSL = "ssl", "TLS from the start (IMAPS 993, POP3S 995)"
    STARTTLS = "starttls", "STARTTLS"
    NONE = "none", "None (local servers only)"


class AuthMethod(models.TextChoices):
    PASSWORD = "password", "Password"
    XOAUTH2 = "xoauth2", "OAuth2 access token (XOAUTH2)"


class AfterImport(models.TextChoices):
    SEEN = "seen", "Mark as seen"
    MOVE = "move", "Move to a folder"
    DELETE = "delete", "Delete"


class Mailbox(models.Model):
    """A remote mailbox polled for a desk. The secret is write-only: never shown back."""

    name = models.CharField(max_length=200)
    desk = models.ForeignKey("desks.Desk", on_delete=models.CASCADE, related_name="mailboxes")
    protocol = models.CharField(max_length=8, choices=Protocol.choices, default=Protocol.IMAP)
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(null=True, blank=True, help_text="default per protocol")
    tls = models.CharField(max_length=10, choices=TlsMode.choices, default=TlsMode.SSL)
    username = models.CharField(max_length=255)
    auth = models.CharField(max_length=10, choices=AuthMethod.choices, default=AuthMethod.PASSWORD)
    # The password or the OAuth2 access token.
    secret = models.TextField(blank=True)
    folder = models.CharField(max_length=255, default="INBOX")
    after_import = models.CharField(
        max_length=8, choices=AfterImport.choices, default=AfterImport.SEEN
    )
    move_to = models.CharField(max_length=255, blank=True, help_text="folder for 'move'")
    enabled = models.BooleanField(default=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "mailboxes"

    def __str__(self) -> str:
        return f"{self.name} ({self.protocol}://{self.username}@{self.host})"

    @property
    def source(self) -> str:
        return f"{self.protocol}:{self.pk}"

    def effective_port(self) -> int:
        if self.port:
            return self.port
        ssl = self.tls == TlsMode.SSL
        if self.protocol == Protocol.POP3:
            return 995 if ssl else 110
        return 993 if ssl else 143
