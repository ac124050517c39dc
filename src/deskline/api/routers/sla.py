"""SLAs: business calendars (admins), policies (a desk's supervisors), my notifications."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
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
from deskline.sla.services.policies import clean_policy

router = Router(tags=["sla"])
ERRORS = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


class CalendarIn(Input):
    name: str = Field(min_length=1, max_length=200)
    time_zone: str = "UTC"
    hours: dict[str, list[list[str]]]
    country: str = Field(default="", max_length=8)
    subdivision: str = Field(default="", max_length=16)


class HolidayIn(Input):
    date: dt.date
    name: str = Field(default="", max_length=200)


class HolidaysIn(Input):
    dates: list[HolidayIn] = []
    ical: str | None = Field(default=None, max_length=2_000_000)


class CalendarOut(Schema):
    id: int
    name: str
    time_zone: str
    hours: dict[str, Any]
    country: str
    subdivision: str
    holidays: list[dt.date]


class PolicyIn(Input):
    desk: int | str
    name: str = Field(min_length=1, max_length=200)
    position: int = Field(default=0, ge=0, le=100_000)
    calendar: int | None = None
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


class PolicyOut(Schema):
    id: int
    desk: str
    name: str
    position: int
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
    return {
        "id": calendar.pk,
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        "hours": calendar.hours,
        "country": calendar.country,
        "subdivision": calendar.subdivision,
        "holidays": list(calendar.holiday_dates.values_list("date", flat=True)),
    }


def _admin(request: HttpRequest) -> None:
    if not request.auth.is_superuser:
        raise Forbidden("only admins manage business calendars")


@router.get("/sla/calendars", response={200: list[CalendarOut], **ERRORS})
def list_calendars(request: HttpRequest) -> list[dict]:
    return [_calendar_out(c) for c in Calendar.objects.all()]


@router.post("/sla/calendars", response={201: CalendarOut, **ERRORS})
def create_calendar(request: HttpRequest, payload: CalendarIn) -> Reply:
    _admin(request)
    if Calendar.objects.filter(name=payload.name).exists():
        raise ValidationError({"name": f"a calendar {payload.name!r} exists already"})
    calendar = calendars.save_calendar(**payload.model_dump())
    return Reply(201, _calendar_out(calendar))


@router.post("/sla/calendars/{calendar_id}/holidays", response={200: CalendarOut, **ERRORS})
@transaction.atomic
def add_holidays(request: HttpRequest, calendar_id: Id, payload: HolidaysIn) -> dict:
    _admin(request)
    calendar = Calendar.objects.filter(pk=calendar_id).first()
    if calendar is None:
        raise NotFound(f"calendar {calendar_id} not found")
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
def create_policy(request: HttpRequest, payload: PolicyIn) -> Reply:
    desk = desk_for_user(request.auth, payload.desk, manage=True)
    values = payload.model_dump(exclude={"desk", "calendar"})
    calendar = None
    if payload.calendar is not None:
        calendar = Calendar.objects.filter(pk=payload.calendar).first()
        if calendar is None:
            raise ValidationError({"calendar": f"no calendar {payload.calendar}"})
    policy = clean_policy(SlaPolicy(desk=desk, calendar=calendar, **values))
    policy.save()
    return Reply(201, _policy_out(policy))


@router.get("/sla/notifications", response={200: list[NotificationOut], **ERRORS})
def my_notifications(request: HttpRequest, unread: bool = False) -> list[dict]:
    rows = Notification.objects.filter(user=request.auth)
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
