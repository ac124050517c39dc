"""Fixed vocabularies of a ticket. Admin-defined statuses map onto Status."""

from django.db import models


class Status(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING = "pending", "Pending"
    ON_HOLD = "on_hold", "On hold"
    SOLVED = "solved", "Solved"
    CLOSED = "closed", "Closed"


ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)


class Level(models.TextChoices):
    """Impact and urgency scale (ITIL)."""

    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class TicketType(models.TextChoices):
    QUESTION = "question", "Question"
    INCIDENT = "incident", "Incident"
    SERVICE_REQUEST = "service_request", "Service request"
    PROBLEM = "problem", "Problem"
    CHANGE = "change", "Change"


class Tier(models.IntegerChoices):
    L0 = 0, "L0 self-service"
    L1 = 1, "L1 front line"
    L2 = 2, "L2 advanced"
    L3 = 3, "L3 experts"
    L4 = 4, "L4 external vendor"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    WEB = "web", "Web form"
    CHAT = "chat", "Chat"
    API = "api", "API"
    PHONE = "phone", "Phone"
    SMS = "sms", "SMS"
    SOCIAL = "social", "Social"
    WEBHOOK = "webhook", "Webhook"
    AGENT = "agent", "Agent console"


class LinkKind(models.TextChoices):
    PARENT = "parent", "Parent of"
    RELATED = "related", "Related to"
    DUPLICATE = "duplicate", "Duplicate of"


# Priority from impact × urgency, the usual ITIL matrix.
PRIORITY_MATRIX: dict[tuple[str, str], str] = {
    (Level.HIGH, Level.HIGH): Priority.URGENT,
    (Level.HIGH, Level.MEDIUM): Priority.HIGH,
    (Level.MEDIUM, Level.HIGH): Priority.HIGH,
    (Level.HIGH, Level.LOW): Priority.NORMAL,
    (Level.LOW, Level.HIGH): Priority.NORMAL,
    (Level.MEDIUM, Level.MEDIUM): Priority.NORMAL,
    (Level.MEDIUM, Level.LOW): Priority.LOW,
    (Level.LOW, Level.MEDIUM): Priority.LOW,
    (Level.LOW, Level.LOW): Priority.LOW,
}


def priority_for(impact: str, urgency: str) -> str:
    return PRIORITY_MATRIX[(impact, urgency)]
