"""Calendar rows ⇄ the pure BusinessCalendar, with holidays added by hand or from iCal."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from deskline.sla.calendar import ALWAYS_OPEN, BusinessCalendar, parse_hours
from deskline.sla.ical import parse_ical_holidays
from deskline.sla.models import Calendar, CalendarHoliday

# id → (updated_at, calendar); a tick handles thousands of timers on a few calendars.
_cache: dict[int, tuple[object, BusinessCalendar]] = {}


def business_calendar(calendar: Calendar | None) -> BusinessCalendar:
    if calendar is None:
        return ALWAYS_OPEN
    cached = _cache.get(calendar.pk)
    if cached is not None and cached[0] == calendar.updated_at:
        return cached[1]
    built = BusinessCalendar(
        calendar.time_zone,
        parse_hours(calendar.hours),
        frozenset(calendar.holiday_dates.values_list("date", flat=True)),
        country=calendar.country,
        subdivision=calendar.subdivision,
    )
    _cache[calendar.pk] = (calendar.updated_at, built)
    return built


def save_calendar(
    calendar: Calendar | None = None,
    *,
    name: str,
    time_zone: str,
    hours: dict,
    country: str = "",
    subdivision: str = "",
) -> Calendar:
    """Create or change a calendar; every part is checked before anything is stored."""
    try:
        parsed = parse_hours(hours)
    except ValueError as exc:
        raise ValidationError({"hours": str(exc)}) from None
    try:
        BusinessCalendar(time_zone, parsed)
    except ValueError as exc:
        raise ValidationError({"time_zone": str(exc)}) from None
    try:
        BusinessCalendar("UTC", parsed, country=country.upper(), subdivision=subdivision)
    except (ValueError, NotImplementedError) as exc:
        raise ValidationError({"country": str(exc)}) from None
    calendar = calendar or Calendar()
    calendar.name = name
    calendar.time_zone = time_zone
    calendar.hours = hours
    calendar.country = country.upper()
    calendar.subdivision = subdivision
    calendar.updated_at = timezone.now()
    calendar.full_clean()
    calendar.save()
    return calendar


def add_holidays(
    calendar: Calendar,
    dates: list[tuple[date, str]],
    *,
    source: str = CalendarHoliday.Source.MANUAL,
) -> int:
    """Add closing days (existing dates are kept as they are); returns how many are new."""
    with transaction.atomic():
        existing = set(calendar.holiday_dates.values_list("date", flat=True))
        new = [
            CalendarHoliday(calendar=calendar, date=d, name=name[:200], source=source)
            for d, name in dates
            if d not in existing
        ]
        CalendarHoliday.objects.bulk_create(new)
        Calendar.objects.filter(pk=calendar.pk).update(updated_at=timezone.now())
    calendar.refresh_from_db()
    return len(new)


def import_ical(calendar: Calendar, data: str | bytes) -> int:
    try:
        dates = parse_ical_holidays(data)
    except ValueError as exc:
        raise ValidationError({"ical": str(exc)}) from None
    return add_holidays(calendar, dates, source=CalendarHoliday.Source.ICAL)
