"""External calendars (public holidays, maintenance windows) as blocking intervals.

Recurring events are expanded with recurring-ical-events (RRULE, RDATE,
EXDATE, moved occurrences); all-day and floating events are read in the
facility's time zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar

MAX_BYTES = 2 * 1024 * 1024
MAX_INTERVALS = 5000


class CalendarImportError(ValueError):
    """The calendar cannot be used; the message says why, for a manager to read."""


@dataclass(frozen=True)
class BlockingInterval:
    uid: str
    start: dt.datetime  # UTC
    end: dt.datetime  # UTC
    summary: str


def _as_utc(value: dt.date | dt.datetime, zone: ZoneInfo) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    if value.tzinfo is None:  # floating time: the facility's wall clock
        return value.replace(tzinfo=zone).astimezone(dt.UTC)
    return value.astimezone(dt.UTC)


def parse_blocking_intervals(
    data: bytes,
    *,
    zone: ZoneInfo,
    window_start: dt.datetime,
    window_end: dt.datetime,
    max_bytes: int = MAX_BYTES,
    max_intervals: int = MAX_INTERVALS,
) -> list[BlockingInterval]:
    """Every occurrence in [window_start, window_end) as a UTC interval, sorted."""
    if len(data) > max_bytes:
        raise CalendarImportError(f"the calendar is larger than {max_bytes // 1024} KiB")
    try:
        calendar = Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        raise CalendarImportError(f"this is not a valid iCalendar file ({exc})") from None
    if not isinstance(calendar, Calendar) or calendar.name != "VCALENDAR":
        raise CalendarImportError("this is not an iCalendar file (no VCALENDAR)")
    try:
        occurrences = recurring_ical_events.of(calendar).between(window_start, window_end)
    except Exception as exc:  # the library raises many kinds on broken input
        raise CalendarImportError(f"the calendar's events cannot be read ({exc})") from None
    intervals: list[BlockingInterval] = []
    for event in occurrences:
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        start_prop = event.get("DTSTART")
        if start_prop is None:
            continue
        start = start_prop.dt
        end_prop = event.get("DTEND")
        if end_prop is not None:
            end = end_prop.dt
        elif not isinstance(start, dt.datetime):
            end = start + dt.timedelta(days=1)
        elif event.get("DURATION") is not None:
            end = start + event.get("DURATION").dt
        else:
            continue  # an instant blocks nothing
        start_utc, end_utc = _as_utc(start, zone), _as_utc(end, zone)
        if end_utc <= start_utc:
            continue
        intervals.append(
            BlockingInterval(
                uid=str(event.get("UID", ""))[:200],
                start=start_utc,
                end=end_utc,
                summary=str(event.get("SUMMARY", ""))[:200],
            )
        )
        if len(intervals) > max_intervals:
            raise CalendarImportError(
                f"the calendar has more than {max_intervals} events in the window"
            )
    return sorted(intervals, key=lambda i: (i.start, i.end, i.uid))
