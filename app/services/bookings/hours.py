"""Is an interval inside the opening hours? Hours are local wall times per weekday."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from app.models import WEEKDAYS


def _parse_clock(text: str) -> dt.time | None:
    """'24:00' is the end of the day and is returned as None."""
    if text == "24:00":
        return None
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


def open_intervals(
    hours: dict[str, Any], zone: ZoneInfo, first_day: dt.date, last_day: dt.date
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Opening intervals in UTC for the local days first_day..last_day, merged where they touch."""
    intervals: list[tuple[dt.datetime, dt.datetime]] = []
    day = first_day
    while day <= last_day:
        for opens, closes in hours.get(WEEKDAYS[day.weekday()], []):
            start_time = _parse_clock(opens) or dt.time(0)
            end_time = _parse_clock(closes)
            start = dt.datetime.combine(day, start_time, tzinfo=zone)
            if end_time is None:
                end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
            else:
                end = dt.datetime.combine(day, end_time, tzinfo=zone)
            intervals.append((start.astimezone(dt.UTC), end.astimezone(dt.UTC)))
        day += dt.timedelta(days=1)
    intervals.sort()
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for start, end in intervals:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def within_hours(
    hours: dict[str, Any], zone: ZoneInfo, start: dt.datetime, end: dt.datetime
) -> bool:
    first = start.astimezone(zone).date() - dt.timedelta(days=1)
    last = end.astimezone(zone).date()
    return any(
        o_start <= start and end <= o_end
        for o_start, o_end in open_intervals(hours, zone, first, last)
    )
