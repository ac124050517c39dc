"""Who can take a ticket now: online, inside their working hours, under their cap."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from deskline.accounts.models import User
from deskline.routing.models import AgentProfile, Availability
from deskline.sla.calendar import BusinessCalendar, is_business_time, parse_hours
from deskline.tickets.choices import ACTIVE_STATUSES, Priority
from deskline.tickets.models import Ticket

PRIORITY_WEIGHT = {Priority.LOW: 1, Priority.NORMAL: 2, Priority.HIGH: 3, Priority.URGENT: 4}


def profiles_for(user_ids: list[int]) -> dict[int, AgentProfile]:
    return {p.user_id: p for p in AgentProfile.objects.filter(user_id__in=user_ids)}


def is_working(profile: AgentProfile | None, time_zone: str, now: datetime) -> bool:
    if profile is None:
        return True
    if profile.status != Availability.ONLINE:
        return False
    if not profile.working_hours:
        return True
    calendar = BusinessCalendar(time_zone, parse_hours(profile.working_hours))
    return is_business_time(now, calendar)


def open_loads(user_ids: list[int]) -> tuple[dict[int, int], dict[int, int]]:
    """Per agent: open tickets, and open tickets weighted by priority."""
    counts: dict[int, int] = dict.fromkeys(user_ids, 0)
    weighted: dict[int, int] = dict.fromkeys(user_ids, 0)
    rows = (
        Ticket.objects.filter(assignee_id__in=user_ids, status__in=ACTIVE_STATUSES)
        .values("assignee_id", "priority")
        .annotate(n=Count("id"))
    )
    for row in rows:
        counts[row["assignee_id"]] += row["n"]
        weighted[row["assignee_id"]] += row["n"] * PRIORITY_WEIGHT.get(row["priority"], 2)
    return counts, weighted


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
        raise ValidationError({"status": f"{status!r} is not one of {Availability.values}"})
    if working_hours is not None:
        try:
            parse_hours(working_hours)
        except ValueError as exc:
            raise ValidationError({"working_hours": str(exc)}) from None
    if skills is not None and (
        not isinstance(skills, list) or not all(isinstance(s, str) and s.strip() for s in skills)
    ):
        raise ValidationError({"skills": "must be a list of non-empty strings"})
    if capacity not in ("", None) and (not isinstance(capacity, int) or capacity < 1):
        raise ValidationError({"capacity": "must be a positive whole number or null"})
    with transaction.atomic():
        profile, _ = AgentProfile.objects.select_for_update().get_or_create(user=user)
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
