import hashlib
import zoneinfo

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deskline.core import emails
from deskline.core.email_fields import EmailAddressField
from deskline.core.errors import lazy_message


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            lazy_message(_("%(value)r is not a known time zone (e.g. Europe/Paris)"), value=value)
        ) from None


def validate_language(value: str) -> None:
    codes = [code for code, _ in settings.LANGUAGES]
    if value not in codes:
        raise ValidationError(
            lazy_message(_("%(value)r is not one of %(choices)s"), value=value, choices=codes)
        )


class Organization(models.Model):
    name = models.CharField(max_length=200, unique=True)
    # Mail domains whose senders belong to this organization (used by intake).
    domains = models.JSONField(default=list, blank=True)
    # When true, members see each other's requests in the portal and API.
    shared_tickets = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # Stored one way (lowercase ASCII), as intake compares them; see domains.py.
        from deskline.accounts.domains import clean_domains

        if not isinstance(self.domains, list) or not all(isinstance(d, str) for d in self.domains):
            raise ValidationError({"domains": _("a list of mail domains (texts)")})
        self.domains = clean_domains(self.domains)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        if not email:
            raise ValueError("email is required")
        user = self.model(email=normalize_email(email), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> "User":
        # Addresses are stored folded, and phones capitalise the first letter typed:
        # "Admin@example.com" must find the same account when signing in.
        return self.get(email=normalize_email(username or ""))


def normalize_email(email: str) -> str:
    # Mail addresses are matched case-insensitively in practice; storing them folded
    # keeps one requester per address whatever case a mail client sends (and whichever
    # form of an internationalized domain: core.emails).
    return emails.normalize_email(email)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in or asks for help: agents, requesters, or both.

    Admins are superusers. Agent roles are per desk (desks.DeskMembership); a user
    without a role on a desk is a requester there.
    """

    # Takes Unicode local parts and IDN domains, in forms and full_clean() alike.
    email = EmailAddressField(unique=True)
    name = models.CharField(max_length=200, blank=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    # Employees may use internal desks (IT, HR); customers only external ones.
    is_employee = models.BooleanField(default=False)
    language = models.CharField(max_length=10, default="en", validators=[validate_language])
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    phone = models.CharField(max_length=40, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May use the Django admin site.")
    created_at = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email

    @property
    def is_admin(self) -> bool:
        return self.is_superuser

    @property
    def display_name(self) -> str:
        return self.name or self.email


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 digest is stored; the secret is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, default="default")
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def digest_of(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()


class AuditEntry(models.Model):
    """Security-relevant actions outside the ticket timeline (tokens, roles, config)."""

    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "audit entries"


class SignInFailure(models.Model):
    """One failed password, counted per client address and per account.

    Kept in the database rather than the cache: the embedded default's cache lives in
    each web worker, which would give a guesser one allowance per worker."""

    key = models.CharField(max_length=300)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["key", "at"], name="signinfailure_key_at")]
