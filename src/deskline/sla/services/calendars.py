"""Calendar rows ⇄ the pure BusinessCalendar, with holidays added by hand or from iCal."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deskline.core.errors import lazy_message
from deskline.sla.calendar import ALWAYS_OPEN, BusinessCalendar, parse_hours
from deskline.sla.ical import parse_ical_holidays
from deskline.sla.models import Calendar, CalendarHoliday
from deskline.sla.tasks import reschedule_calendar_timers

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
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("a calendar needs a name")})
    taken = Calendar.objects.filter(name=name)
    if calendar is not None and calendar.pk is not None:
        taken = taken.exclude(pk=calendar.pk)
    if taken.exists():
        raise ValidationError(
            {"name": lazy_message(_("a calendar %(name)r exists already"), name=name)}
        )
    existed = calendar is not None and calendar.pk is not None
    calendar = calendar or Calendar()
    calendar.name = name
    calendar.time_zone = time_zone
    calendar.hours = hours
    calendar.country = country.upper()
    calendar.subdivision = subdivision
    calendar.updated_at = timezone.now()
    calendar.full_clean()
    calendar.save()
    if existed:
        _reschedule_later(calendar.pk)
    return calendar


def _reschedule_later(calendar_id: int) -> None:
    transaction.on_commit(lambda: reschedule_calendar_timers.enqueue(calendar_id))


def update_calendar(calendar: Calendar, values: dict) -> Calendar:
    """Change only the given parts; the whole result is checked as on creation."""
    merged = {
        part: values[part] if part in values else getattr(calendar, part)
        for part in ("name", "time_zone", "hours", "country", "subdivision")
    }
    return save_calendar(calendar, **merged)


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
        if new:
            _reschedule_later(calendar.pk)
    calendar.refresh_from_db()
    return len(new)


def import_ical(calendar: Calendar, data: str | bytes) -> int:
    try:
        dates = parse_ical_holidays(data)
    except ValueError as exc:
        raise ValidationError({"ical": str(exc)}) from None
    return add_holidays(calendar, dates, source=CalendarHoliday.Source.ICAL)


def remove_holiday(calendar: Calendar, day: date) -> bool:
    """Open a closing day again (manual or imported); False when it was not one."""
    with transaction.atomic():
        removed, _by_kind = calendar.holiday_dates.filter(date=day).delete()
        if removed:
            Calendar.objects.filter(pk=calendar.pk).update(updated_at=timezone.now())
            _reschedule_later(calendar.pk)
    calendar.refresh_from_db()
    return bool(removed)
