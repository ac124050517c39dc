"""{{placeholders}} in replies, notes and mails: a fixed list, filled by plain lookup.

Templates come from desk admins, so they are never run as Django templates (which could
reach any attribute); an unknown placeholder is refused when the text is saved.
"""

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from deskline.core.errors import lazy_message

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_.]+)\s*\}\}")
KNOWN = (
    "ticket.number",
    "ticket.subject",
    "ticket.status",
    "ticket.priority",
    "ticket.url",
    "requester.name",
    "requester.email",
    "organization.name",
    "agent.name",
    "agent.email",
    "desk.name",
)


def check_placeholders(text: str, field: str) -> None:
    for name in PLACEHOLDER.findall(text or ""):
        if name not in KNOWN:
            raise ValidationError(
                {
                    field: lazy_message(
                        _("unknown placeholder {{%(name)s}}; use %(known)s"), name=name, known=KNOWN
                    )
                }
            )


def values_for(ticket: Any, agent: Any = None) -> dict[str, str]:
    """Placeholder values of a ticket; `agent` is who acts (else the assignee)."""
    agent = agent or ticket.assignee
    requester = ticket.requester
    return {
        "ticket.number": ticket.number,
        "ticket.subject": ticket.subject,
        "ticket.status": ticket.status,
        "ticket.priority": ticket.priority,
        "ticket.url": f"{settings.BASE_URL}/tickets/{ticket.number}",
        "requester.name": requester.name or requester.email,
        "requester.email": requester.email,
        "organization.name": ticket.organization.name if ticket.organization_id else "",
        "agent.name": (agent.name or agent.email) if agent else "",
        "agent.email": agent.email if agent else "",
        "desk.name": ticket.desk.name,
    }


def render(text: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text or "")
