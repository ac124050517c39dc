"""Holiday dates from an iCalendar file (a company's closing days, a public calendar).

Each VEVENT becomes the local dates it covers (DTEND exclusive, as RFC 5545 says for
all-day events); yearly or other recurrences are expanded for a bounded span.
"""

from datetime import date, datetime, timedelta

from dateutil.rrule import rrulestr
from icalendar import Calendar

MAX_EVENT_DAYS = 366
RECURRENCE_YEARS = 10
MAX_DATES = 5000


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise ValueError(f"{value!r} is not a date")


def parse_ical_holidays(data: str | bytes) -> list[tuple[date, str]]:
    """(date, summary) pairs, sorted and without duplicate dates. ValueError on bad input."""
    try:
        calendar = Calendar.from_ical(data)
    except Exception as exc:  # icalendar raises several kinds for broken input
        raise ValueError(f"not an iCalendar file: {exc}") from None
    found: dict[date, str] = {}
    for component in calendar.walk("VEVENT"):
        if component.get("DTSTART") is None:
            raise ValueError("an event has no DTSTART")
        start = _as_date(component.decoded("DTSTART"))
        if component.get("DTEND") is not None:
            end = _as_date(component.decoded("DTEND"))
            days = max((end - start).days, 1)
        elif component.get("DURATION") is not None:
            days = max(component.decoded("DURATION").days, 1)
        else:
            days = 1
        if days > MAX_EVENT_DAYS:
            raise ValueError(f"an event from {start} lasts {days} days; at most {MAX_EVENT_DAYS}")
        summary = str(component.get("SUMMARY", ""))[:200]
        starts = [start]
        rule = component.get("RRULE")
        if rule is not None:
            text = rule.to_ical().decode()
            until = datetime.combine(start, datetime.min.time()) + timedelta(
                days=366 * RECURRENCE_YEARS
            )
            try:
                recurrence = rrulestr(text, dtstart=datetime.combine(start, datetime.min.time()))
            except (ValueError, TypeError) as exc:
                raise ValueError(f"RRULE {text!r}: {exc}") from None
            starts = [
                moment.date()
                for moment in recurrence.between(
                    datetime.combine(start, datetime.min.time()), until, inc=True
                )
            ][:MAX_DATES]
        for first in starts:
            for offset in range(days):
                found.setdefault(first + timedelta(days=offset), summary)
                if len(found) > MAX_DATES:
                    raise ValueError(f"more than {MAX_DATES} holiday dates in one file")
    return sorted(found.items())
