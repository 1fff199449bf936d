"""Report periods: whole local days in the facility's time zone, split at days and months.

A period is given as two dates, the first and the last day, both included
(``2026-11-01`` to ``2026-11-30`` is November). Its bounds are the local
midnights that begin the first day and follow the last one, as UTC instants, so
a period that spans a DST change has 23 or 25 hours on that day, and a month's
report ends exactly where the next month's begins.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ..bookings.localtime import localize
from ..errors import N_, ValidationFailed

#: the longest period one report covers
MAX_DAYS = 400
FIRST_YEAR, LAST_YEAR = 2000, 2200


def local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant at which `day` begins in `zone`."""
    return localize(dt.datetime.combine(day, dt.time(0)), zone)


@dataclass(frozen=True)
class Period:
    first_day: dt.date
    last_day: dt.date  # included
    zone: ZoneInfo

    @property
    def start(self) -> dt.datetime:
        return local_midnight(self.first_day, self.zone)

    @property
    def end(self) -> dt.datetime:
        """Exclusive: the midnight after the last day."""
        return local_midnight(self.last_day + dt.timedelta(days=1), self.zone)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def split(self, unit: str) -> list[Period]:
        """The period cut into days or calendar months (the first and last may be partial)."""
        if unit not in ("day", "month"):
            raise ValueError(unit)
        pieces: list[Period] = []
        first = self.first_day
        while first <= self.last_day:
            if unit == "day":
                last = first
            else:
                following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
                last = min(self.last_day, following - dt.timedelta(days=1))
            pieces.append(Period(first, last, self.zone))
            first = last + dt.timedelta(days=1)
        return pieces


def month_period(year: int, month: int, zone: ZoneInfo) -> Period:
    first = dt.date(year, month, 1)
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return Period(first, following - dt.timedelta(days=1), zone)


def _date(value: str | dt.date | None, field: str) -> dt.date | None:
    if value is None or value == "":
        return None
    day: dt.date | None
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(value.strip()) if len(value) <= 12 else None
        except ValueError:
            day = None
    if day is None:
        raise ValidationFailed({field: N_("Write a date as YYYY-MM-DD.")})
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValidationFailed({field: N_("This date is out of range.")})
    return day


def parse_period(
    start: str | dt.date | None,
    end: str | dt.date | None,
    *,
    zone: ZoneInfo,
    today: dt.date,
) -> Period:
    """The period from two dates, both included; without them, the current month so far.

    Raises `ValidationFailed` (422) for a date that is not one, an end before the
    start, or more than `MAX_DAYS` days.
    """
    first = _date(start, "start")
    last = _date(end, "end")
    if first is None and last is None:
        return Period(today.replace(day=1), today, zone)
    if first is None:
        assert last is not None
        first = last.replace(day=1)
    if last is None:
        month = month_period(first.year, first.month, zone)
        last = month.last_day
    if last < first:
        raise ValidationFailed({"end": N_("The end must not be before the start.")})
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationFailed({"end": N_("Ask for at most 400 days at a time.")})
    return Period(first, last, zone)
