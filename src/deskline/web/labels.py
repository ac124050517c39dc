"""Translated names for the tickets' fixed vocabularies.

The choices in tickets/choices.py are the API's words (English); the pages show these.
"""

from django.utils.translation import gettext_lazy as _

LABELS: dict[str, dict] = {
    "status": {
        "new": _("New"),
        "open": _("Open"),
        "pending": _("Pending"),
        "on_hold": _("On hold"),
        "solved": _("Solved"),
        "closed": _("Closed"),
    },
    "priority": {
        "low": _("Low"),
        "normal": _("Normal"),
        "high": _("High"),
        "urgent": _("Urgent"),
    },
    "level": {"low": _("Low"), "medium": _("Medium"), "high": _("High")},
    "type": {
        "question": _("Question"),
        "incident": _("Incident"),
        "service_request": _("Service request"),
        "problem": _("Problem"),
        "change": _("Change"),
    },
    "tier": {
        0: _("L0 self-service"),
        1: _("L1 front line"),
        2: _("L2 advanced"),
        3: _("L3 experts"),
        4: _("L4 external vendor"),
    },
    "channel": {
        "email": _("Email"),
        "web": _("Web form"),
        "chat": _("Chat"),
        "api": _("API"),
        "phone": _("Phone"),
        "sms": _("SMS"),
        "social": _("Social"),
        "webhook": _("Webhook"),
        "agent": _("Agent console"),
    },
    "link": {
        "parent": _("Parent of"),
        "related": _("Related to"),
        "duplicate": _("Duplicate of"),
    },
    "role": {
        "supervisor": _("Supervisor"),
        "agent": _("Agent"),
        "light_agent": _("Light agent (viewer)"),
    },
    "visibility": {
        "internal": _("Internal (employees)"),
        "external": _("External (customers)"),
    },
    "field": {
        "status": _("Status"),
        "priority": _("Priority"),
        "assignee": _("Assignee"),
        "team": _("Team"),
        "tier": _("Tier"),
        "category": _("Category"),
        "tags": _("Tags"),
        "custom_fields": _("Custom fields"),
        "custom_status": _("Custom status"),
        "subject": _("Subject"),
        "impact": _("Impact"),
        "urgency": _("Urgency"),
        "type": _("Type"),
    },
}


def label(kind: str, value: object) -> str:
    names = LABELS.get(kind, {})
    found = names.get(value)
    if found is None and isinstance(value, str) and value.isdecimal():
        found = names.get(int(value))
    return str(found) if found is not None else str(value if value is not None else "—")


def choices(kind: str) -> list[tuple[object, str]]:
    return [(value, str(text)) for value, text in LABELS[kind].items()]
