"""Opening hours: per weekday, a list of ["HH:MM", "HH:MM"] intervals in local time."""

from __future__ import annotations

import re
from typing import Any

from app.models import WEEKDAYS

from .errors import N_

TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


def check_opening_hours(hours: Any) -> str | None:
    """The message id of what is wrong with `hours`, or None when it is well formed."""
    if not isinstance(hours, dict) or set(hours) - set(WEEKDAYS):
        return N_("Opening hours must give intervals per weekday (mon to sun).")
    for intervals in hours.values():
        if not isinstance(intervals, list) or len(intervals) > 6:
            return N_("Give at most six intervals per day.")
        previous_end = ""
        for interval in intervals:
            if (
                not isinstance(interval, list | tuple)
                or len(interval) != 2
                or not all(isinstance(t, str) and TIME_RE.match(t) for t in interval)
            ):
                return N_("Write times as HH:MM, for example 08:30.")
            start, end = interval
            if start >= end:
                return N_("Each interval must end after it starts.")
            if start < previous_end:
                return N_("Intervals on one day must not overlap.")
            previous_end = end
    return None


def parse_day_text(text: str) -> list[list[str]]:
    """Parse "08:00-12:00, 13:00-17:00" (as typed in a form) into intervals."""
    intervals: list[list[str]] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        start, sep, end = part.partition("-")
        if not sep:
            raise ValueError(part)
        intervals.append([start.strip(), end.strip()])
    return intervals


def format_day_text(intervals: list[list[str]]) -> str:
    return ", ".join(f"{start}-{end}" for start, end in intervals)
