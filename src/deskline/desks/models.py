from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone


class Visibility(models.TextChoices):
    INTERNAL = "internal", "Internal (employees)"
    EXTERNAL = "external", "External (customers)"


class Role(models.TextChoices):
    SUPERVISOR = "supervisor", "Supervisor"
    AGENT = "agent", "Agent"
    LIGHT_AGENT = "light_agent", "Light agent (viewer)"


prefix_validator = RegexValidator(
    r"^[A-Z][A-Z0-9]{0,9}$", "A prefix is 1–10 capital letters or digits, starting with a letter."
)
slug_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9-]{0,49}$", "A slug is lowercase letters, digits and dashes."
)


class Desk(models.Model):
    """One help desk of the install (IT, customer support, HR...)."""

    name = models.CharField(max_length=200)
    slug = models.CharField(max_length=50, unique=True, validators=[slug_validator])
    prefix = models.CharField(max_length=10, unique=True, validators=[prefix_validator])
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.EXTERNAL
    )
    description = models.TextField(blank=True)
    default_language = models.CharField(max_length=10, default="en")
    # Next ticket sequence; bumped under a row lock when a ticket is opened.
    next_sequence = models.PositiveBigIntegerField(default=1)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DeskMembership(models.Model):
    desk = models.ForeignKey(Desk, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desk_memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["desk", "user"], name="one_role_per_desk")]

    def __str__(self) -> str:
        return f"{self.user} — {self.role} on {self.desk}"


class Team(models.Model):
    desk = models.ForeignKey(Desk, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=200)
    slug = models.CharField(max_length=50, validators=[slug_validator])
    # Support tier this team works at (0 self-service ... 4 external vendor).
    tier = models.PositiveSmallIntegerField(default=1)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TeamMembership", related_name="teams", blank=True
    )

    class Meta:
        ordering = ["desk_id", "name"]
        constraints = [models.UniqueConstraint(fields=["desk", "slug"], name="team_slug_per_desk")]

    def __str__(self) -> str:
        return f"{self.desk.prefix}/{self.name}"


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="one_team_membership")]


class Category(models.Model):
    """A node of a desk's category tree; `path` is the slash-joined slugs from the root."""

    desk = models.ForeignKey(Desk, on_delete=models.CASCADE, related_name="categories")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    name = models.CharField(max_length=200)
    slug = models.CharField(max_length=50, validators=[slug_validator])
    path = models.CharField(max_length=500, editable=False)

    class Meta:
        ordering = ["desk_id", "path"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["desk", "path"], name="category_path_per_desk")
        ]

    def __str__(self) -> str:
        return self.path

    def save(self, *args: object, **kwargs: object) -> None:
        self.path = f"{self.parent.path}/{self.slug}" if self.parent_id else self.slug
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class FieldType(models.TextChoices):
    TEXT = "text", "Text"
    TEXTAREA = "textarea", "Multi-line text"
    INTEGER = "integer", "Whole number"
    DECIMAL = "decimal", "Decimal number"
    DATE = "date", "Date"
    CHECKBOX = "checkbox", "Checkbox"
    CHOICE = "choice", "Drop-down"
    MULTICHOICE = "multichoice", "Multiple choice"


class CustomField(models.Model):
    desk = models.ForeignKey(Desk, on_delete=models.CASCADE, related_name="custom_fields")
    key = models.CharField(
        max_length=50,
        validators=[RegexValidator(r"^[a-z][a-z0-9_]{0,49}$", "lowercase, digits, underscore")],
    )
    label = models.CharField(max_length=200)
    field_type = models.CharField(max_length=16, choices=FieldType.choices, default=FieldType.TEXT)
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=False)
    visible_to_requester = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["desk_id", "position", "key"]
        constraints = [models.UniqueConstraint(fields=["desk", "key"], name="field_key_per_desk")]

    def __str__(self) -> str:
        return f"{self.desk.prefix}.{self.key}"
