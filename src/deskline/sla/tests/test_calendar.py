"""Calendar maths: fixed cases across DST and holidays, then properties with hypothesis."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deskline.sla.calendar import (
    ALWAYS_OPEN,
    BusinessCalendar,
    add_business_time,
    business_time_between,
    format_hours,
    is_business_time,
    parse_hours,
)
from deskline.sla.ical import parse_ical_holidays

OFFICE = parse_hours({d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")})
PARIS = BusinessCalendar("Europe/Paris", OFFICE)
# Split days, a weekend shift and a night shift that spans the DST hour (02:00–03:00).
ODD = parse_hours(
    {
        "mon": [["00:00", "06:00"], ["13:00", "24:00"]],
        "tue": [["01:30", "02:30"], ["08:00", "12:00"]],
        "wed": [["09:00", "17:00"]],
        "sun": [["00:30", "03:30"]],
    }
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_day_is_eight_hours_and_friday_evening_rolls_to_monday():
    start = utc(2026, 3, 6, 15, 0)  # Friday 16:00 in Paris
    assert add_business_time(start, timedelta(hours=2), PARIS) == utc(2026, 3, 9, 9, 0)
    assert business_time_between(start, utc(2026, 3, 9, 9, 0), PARIS) == timedelta(hours=2)


def test_dst_change_moves_the_utc_opening_time():
    # Paris goes to summer time on Sunday 29 March 2026: opening moves from 08:00Z to 07:00Z.
    friday_close = utc(2026, 3, 27, 16, 0)  # 17:00 CET
    assert add_business_time(friday_close, timedelta(hours=1), PARIS) == utc(2026, 3, 30, 8, 0)
    autumn = utc(2026, 10, 23, 15, 0)  # Friday 17:00 CEST; Sunday 25 October back to CET
    assert add_business_time(autumn, timedelta(minutes=30), PARIS) == utc(2026, 10, 26, 8, 30)


def test_a_night_shift_over_the_clock_change_counts_real_hours():
    night = BusinessCalendar("Europe/Paris", parse_hours({"sun": [["00:00", "06:00"]]}))
    spring = utc(2026, 3, 28, 23, 0)  # Sunday 00:00 CET
    assert business_time_between(spring, utc(2026, 3, 29, 12), night) == timedelta(hours=5)
    autumn = utc(2026, 10, 24, 22, 0)  # Sunday 00:00 CEST
    assert business_time_between(autumn, utc(2026, 10, 25, 12), night) == timedelta(hours=7)


def test_holidays_from_the_library_and_manual_dates_are_skipped():
    french = BusinessCalendar("Europe/Paris", OFFICE, country="FR")
    # 1 May 2026 is a Friday and Labour Day in France.
    thursday = utc(2026, 4, 30, 14, 0)  # 16:00 CEST
    assert add_business_time(thursday, timedelta(hours=2), french) == utc(2026, 5, 4, 8, 0)
    manual = BusinessCalendar("Europe/Paris", OFFICE, holidays=frozenset({date(2026, 5, 4)}))
    assert add_business_time(thursday, timedelta(hours=2), manual) == utc(2026, 5, 1, 8, 0)


def test_bad_calendars_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="time zone"):
        BusinessCalendar("Mars/Olympus", OFFICE)
    with pytest.raises(ValueError, match="country"):
        BusinessCalendar("UTC", OFFICE, country="XX")
    with pytest.raises(ValueError, match="overlap"):
        parse_hours({"mon": [["09:00", "12:00"], ["11:00", "13:00"]]})
    with pytest.raises(ValueError, match="not a time"):
        parse_hours({"mon": [["9", "12:00"]]})
    with pytest.raises(ValueError, match="weekday"):
        parse_hours({"monday": []})
    closed = BusinessCalendar("UTC", parse_hours({}))
    with pytest.raises(ValueError, match="no business hours"):
        add_business_time(utc(2026, 1, 1), timedelta(hours=1), closed)


def test_hours_round_trip():
    spec = {"mon": [["00:00", "06:00"], ["13:00", "24:00"]], "sun": [["00:30", "03:30"]]}
    assert format_hours(parse_hours(spec)) == spec


def test_ical_import_expands_ranges_and_yearly_rules():
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        "BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Closing week\r\nDTSTART;VALUE=DATE:20261228\r\n"
        "DTEND;VALUE=DATE:20261231\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:b\r\nSUMMARY:Founders day\r\nDTSTART;VALUE=DATE:20260605\r\n"
        "RRULE:FREQ=YEARLY;COUNT=3\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    found = dict(parse_ical_holidays(text))
    assert {date(2026, 12, 28), date(2026, 12, 29), date(2026, 12, 30)} <= set(found)
    assert date(2026, 12, 31) not in found
    assert [d for d in found if d.month == 6] == [
        date(2026, 6, 5),
        date(2027, 6, 5),
        date(2028, 6, 5),
    ]
    assert found[date(2026, 12, 29)] == "Closing week"
    with pytest.raises(ValueError, match="iCalendar"):
        parse_ical_holidays("this is not a calendar")


# --- properties -----------------------------------------------------------------------

ZONES = ["Europe/Paris", "America/New_York", "Australia/Sydney", "Asia/Dubai", "UTC"]
calendars = st.builds(
    BusinessCalendar,
    time_zone=st.sampled_from(ZONES),
    hours=st.sampled_from([OFFICE, ODD, ALWAYS_OPEN.hours]),
    holidays=st.frozensets(
        st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)), max_size=40
    ),
    country=st.sampled_from(["", "FR", "US"]),
)
# Around both DST changes of both hemispheres, to the microsecond.
moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
durations = st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=20))


@settings(max_examples=300, deadline=None)
@given(calendars, moments, durations)
def test_adding_then_measuring_gives_back_the_duration(calendar, start, duration):
    end = add_business_time(start, duration, calendar)
    assert end > start
    assert business_time_between(start, end, calendar) == duration


@settings(max_examples=200, deadline=None)
@given(calendars, moments, durations, durations)
def test_more_time_never_ends_earlier(calendar, start, a, b):
    short, long = sorted((a, b))
    assert add_business_time(start, short, calendar) <= add_business_time(start, long, calendar)


@settings(max_examples=300, deadline=None)
@given(calendars, moments, durations)
def test_the_end_is_always_inside_opening_hours(calendar, start, duration):
    end = add_business_time(start, duration, calendar)
    # Intervals are half-open, so the last instant counted is just before `end`.
    assert is_business_time(end - timedelta(microseconds=1), calendar)


@settings(max_examples=200, deadline=None)
@given(calendars, moments, moments, moments)
def test_business_time_adds_up_over_a_split(calendar, a, b, c):
    a, b, c = sorted((a, b, c))
    whole = business_time_between(a, c, calendar)
    assert whole == business_time_between(a, b, calendar) + business_time_between(b, c, calendar)
    assert whole <= c - a
