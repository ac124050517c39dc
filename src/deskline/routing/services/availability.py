"""Agents set their availability, working hours, capacity and skills here; roster.py
reads them for assignment."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deskline.accounts.models import User
from deskline.core.errors import lazy_message
from deskline.routing.models import AgentProfile, Availability
from deskline.sla.calendar import parse_hours
from deskline.tickets.choices import Priority

PRIORITY_WEIGHT = {Priority.LOW: 1, Priority.NORMAL: 2, Priority.HIGH: 3, Priority.URGENT: 4}


def set_availability(
    user: User,
    *,
    status: str | None = None,
    working_hours: dict | None = None,
    capacity: int | None | str = "",
    skills: list[str] | None = None,
) -> AgentProfile:
    """Change an agent's profile; only given values change ("" capacity: unchanged)."""
    if status is not None and status not in Availability.values:
        raise ValidationError(
            {
                "status": lazy_message(
                    _("%(value)r is not one of %(choices)s"),
                    value=status,
                    choices=Availability.values,
                )
            }
        )
    if working_hours is not None:
        try:
            parse_hours(working_hours)
        except ValueError as exc:
            raise ValidationError({"working_hours": str(exc)}) from None
    if skills is not None and (
        not isinstance(skills, list) or not all(isinstance(s, str) and s.strip() for s in skills)
    ):
        raise ValidationError({"skills": _("must be a list of non-empty strings")})
    if capacity not in ("", None) and (not isinstance(capacity, int) or capacity < 1):
        raise ValidationError({"capacity": _("must be a positive whole number or null")})
    with transaction.atomic():
        profile, _created = AgentProfile.objects.select_for_update().get_or_create(user=user)
        if status is not None and status != profile.status:
            profile.status = status
            profile.status_since = timezone.now()
        if working_hours is not None:
            profile.working_hours = working_hours
        if capacity != "":
            profile.capacity = capacity
        if skills is not None:
            profile.skills = sorted({s.strip().lower() for s in skills})
        profile.save()
    return profile
