"""SLAs: business calendars (admins), policies (a desk's supervisors), my notifications."""

import datetime as dt
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema
from ninja import Status as Reply
from pydantic import Field

from deskline.api.routers.desks import desk_for_user
from deskline.api.schemas import Error, Input
from deskline.core.errors import Forbidden, NotFound
from deskline.core.ids import Id
from deskline.sla.models import Calendar, Notification, SlaPolicy
from deskline.sla.services import calendars
from deskline.sla.services.policies import save_policy
from deskline.tickets.access import about_visible_tickets, desk_roles

router = Router(tags=["sla"])
ERRORS = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


class CalendarIn(Input):
    name: str = Field(min_length=1, max_length=200)
    time_zone: str = "UTC"
    hours: dict[str, list[list[str]]]
    country: str = Field(default="", max_length=8)
    subdivision: str = Field(default="", max_length=16)


class CalendarPatch(Input):
    name: str = Field(default=None, min_length=1, max_length=200)
    time_zone: str = Field(default=None, min_length=1, max_length=64)
    hours: dict[str, list[list[str]]] = None  # type: ignore[assignment]
    country: str = Field(default=None, max_length=8)
    subdivision: str = Field(default=None, max_length=16)


class HolidayIn(Input):
    date: dt.date
    name: str = Field(default="", max_length=200)


class HolidaysIn(Input):
    dates: list[HolidayIn] = []
    ical: str | None = Field(default=None, max_length=2_000_000)


class ClosingDayOut(Schema):
    date: dt.date
    name: str
    source: str


class CalendarOut(Schema):
    id: int
    name: str
    time_zone: str
    hours: dict[str, Any]
    country: str
    subdivision: str
    # Dates added by hand or imported; the country's public holidays come on top.
    holidays: list[dt.date]
    closing_days: list[ClosingDayOut]


class PolicyIn(Input):
    desk: int | str
    name: str = Field(min_length=1, max_length=200)
    position: int = Field(default=0, ge=0, le=100_000)
    calendar: Id | None = None
    priorities: list[str] = []
    types: list[str] = []
    categories: list[str] = []
    organizations: list[int] = []
    customer_tiers: list[str] = []
    first_response_minutes: int | None = Field(default=None, ge=1, le=525_600)
    next_response_minutes: int | None = Field(default=None, ge=1, le=525_600)
    resolution_minutes: int | None = Field(default=None, ge=1, le=525_600)
    warning_percent: int = Field(default=75, ge=1, le=99)
    breach_actions: list[str] = []


class PolicyPatch(Input):
    # Present keys change; null clears a target or the calendar. The desk cannot change.
    name: str = Field(default=None, min_length=1, max_length=200)
    position: int = Field(default=None, ge=0, le=100_000)
    is_active: bool = None  # type: ignore[assignment]
    calendar: Id | None = None
    priorities: list[str] = None  # type: ignore[assignment]
    types: list[str] = None  # type: ignore[assignment]
    categories: list[str] = None  # type: ignore[assignment]
    organizations: list[int] = None  # type: ignore[assignment]
    customer_tiers: list[str] = None  # type: ignore[assignment]
    first_response_minutes: int | None = Field(default=None, ge=1, le=525_600)
    next_response_minutes: int | None = Field(default=None, ge=1, le=525_600)
    resolution_minutes: int | None = Field(default=None, ge=1, le=525_600)
    warning_percent: int = Field(default=None, ge=1, le=99)
    breach_actions: list[str] = None  # type: ignore[assignment]


class PolicyOut(Schema):
    id: int
    desk: str
    name: str
    position: int
    is_active: bool
    calendar: int | None
    priorities: list[str]
    types: list[str]
    categories: list[str]
    organizations: list[int]
    customer_tiers: list[str]
    first_response_minutes: int | None
    next_response_minutes: int | None
    resolution_minutes: int | None
    warning_percent: int
    breach_actions: list[str]


class NotificationOut(Schema):
    id: int
    kind: str
    text: str
    ticket: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None


def _calendar_out(calendar: Calendar) -> dict:
    days = list(calendar.holiday_dates.all())
    return {
        "id": calendar.pk,
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        "hours": calendar.hours,
        "country": calendar.country,
        "subdivision": calendar.subdivision,
        "holidays": [d.date for d in days],
        "closing_days": [{"date": d.date, "name": d.name, "source": d.source} for d in days],
    }


def _admin(request: HttpRequest) -> None:
    if not request.auth.is_superuser:
        raise Forbidden("only admins manage business calendars")


def _staff(request: HttpRequest) -> None:
    # Supervisors pick calendars for their policies; requesters have no use for them.
    if not (request.auth.is_superuser or desk_roles(request.auth)):
        raise Forbidden("only admins and agents see business calendars")


def _calendar(calendar_id: int) -> Calendar:
    calendar = Calendar.objects.filter(pk=calendar_id).first()
    if calendar is None:
        raise NotFound(f"calendar {calendar_id} not found")
    return calendar


@router.get("/sla/calendars", response={200: list[CalendarOut], **ERRORS})
def list_calendars(request: HttpRequest) -> list[dict]:
    _staff(request)
    return [_calendar_out(c) for c in Calendar.objects.prefetch_related("holiday_dates")]


@router.post("/sla/calendars", response={201: CalendarOut, **ERRORS})
def create_calendar(request: HttpRequest, payload: CalendarIn) -> Reply:
    _admin(request)
    calendar = calendars.save_calendar(**payload.model_dump())
    return Reply(201, _calendar_out(calendar))


@router.get("/sla/calendars/{calendar_id}", response={200: CalendarOut, **ERRORS})
def get_calendar(request: HttpRequest, calendar_id: Id) -> dict:
    _staff(request)
    return _calendar_out(_calendar(calendar_id))


@router.patch("/sla/calendars/{calendar_id}", response={200: CalendarOut, **ERRORS})
@transaction.atomic
def update_calendar(request: HttpRequest, calendar_id: Id, payload: CalendarPatch) -> dict:
    _admin(request)
    values = payload.model_dump(exclude_unset=True)
    return _calendar_out(calendars.update_calendar(_calendar(calendar_id), values))


@router.delete("/sla/calendars/{calendar_id}/holidays/{day}", response={200: CalendarOut, **ERRORS})
def remove_holiday(request: HttpRequest, calendar_id: Id, day: dt.date) -> dict:
    _admin(request)
    calendar = _calendar(calendar_id)
    if not calendars.remove_holiday(calendar, day):
        raise NotFound(f"{day} is not a closing day of {calendar.name}")
    return _calendar_out(calendar)


@router.post("/sla/calendars/{calendar_id}/holidays", response={200: CalendarOut, **ERRORS})
@transaction.atomic
def add_holidays(request: HttpRequest, calendar_id: Id, payload: HolidaysIn) -> dict:
    _admin(request)
    calendar = _calendar(calendar_id)
    if payload.ical:
        calendars.import_ical(calendar, payload.ical)
    calendars.add_holidays(calendar, [(h.date, h.name) for h in payload.dates])
    return _calendar_out(calendar)


def _policy_out(policy: SlaPolicy) -> dict:
    out = {name: getattr(policy, name) for name in PolicyOut.model_fields if name != "desk"}
    out.update({"desk": policy.desk.slug, "calendar": policy.calendar_id})
    return out


@router.get("/sla/policies", response={200: list[PolicyOut], **ERRORS})
def list_policies(request: HttpRequest, desk: str) -> list[dict]:
    found = desk_for_user(request.auth, desk, manage=True)
    return [_policy_out(p) for p in SlaPolicy.objects.filter(desk=found).select_related("desk")]


@router.post("/sla/policies", response={201: PolicyOut, **ERRORS})
@transaction.atomic
def create_policy(request: HttpRequest, payload: PolicyIn) -> Reply:
    desk = desk_for_user(request.auth, payload.desk, manage=True, field="desk")
    policy = save_policy(SlaPolicy(desk=desk), payload.model_dump(exclude={"desk"}))
    return Reply(201, _policy_out(policy))


def _managed_policy(request: HttpRequest, policy_id: int) -> SlaPolicy:
    policy = SlaPolicy.objects.select_related("desk").filter(pk=policy_id).first()
    if policy is None:
        raise NotFound(f"policy {policy_id} not found")
    # Answers 404 for desks the caller cannot see, 403 for those they cannot change.
    desk_for_user(request.auth, policy.desk_id, manage=True)
    return policy


@router.get("/sla/policies/{policy_id}", response={200: PolicyOut, **ERRORS})
def get_policy(request: HttpRequest, policy_id: Id) -> dict:
    return _policy_out(_managed_policy(request, policy_id))


@router.patch("/sla/policies/{policy_id}", response={200: PolicyOut, **ERRORS})
@transaction.atomic
def update_policy(request: HttpRequest, policy_id: Id, payload: PolicyPatch) -> dict:
    policy = _managed_policy(request, policy_id)
    values = payload.model_dump(exclude_unset=True)
    return _policy_out(save_policy(policy, values))


@router.get("/sla/notifications", response={200: list[NotificationOut], **ERRORS})
def my_notifications(request: HttpRequest, unread: bool = False) -> list[dict]:
    rows = about_visible_tickets(Notification.objects.filter(user=request.auth), request.auth)
    if unread:
        rows = rows.filter(read_at__isnull=True)
    return [
        {
            "id": n.pk,
            "kind": n.kind,
            "text": n.text,
            "ticket": n.ticket_id,
            "created_at": n.created_at,
            "read_at": n.read_at,
        }
        for n in rows[:100]
    ]


@router.post("/sla/notifications/read", response={204: None, **ERRORS})
def mark_read(request: HttpRequest) -> Reply:
    Notification.objects.filter(user=request.auth, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return Reply(204, None)
