"""Recurring bookings: a small, strict subset of RFC 5545 RRULE, expanded in local time.

Expanding in local wall time and converting each occurrence to UTC on its own
keeps a weekly 14:00 booking at 14:00 on both sides of a daylight-saving change.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, rrule, weekday

from ..errors import N_, RuleViolation
from .localtime import localize

MAX_OCCURRENCES = 200
FREQUENCIES = {"DAILY": DAILY, "WEEKLY": WEEKLY, "MONTHLY": MONTHLY}
DAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
UNTIL_RE = re.compile(r"^(\d{8})(T(\d{6})Z?)?$")


@dataclass(frozen=True)
class Occurrence:
    start: dt.datetime  # UTC
    end: dt.datetime  # UTC


def _refuse(message: str, **params: object) -> RuleViolation:
    return RuleViolation(message, params=params or None, rule="recurrence")


def _parse_until(value: str, zone: ZoneInfo) -> dt.datetime:
    match = UNTIL_RE.match(value)
    if not match:
        raise _refuse(N_("UNTIL must look like 20261231 or 20261231T235959Z."))
    date = dt.datetime.strptime(match.group(1), "%Y%m%d")  # noqa: DTZ007 - local wall time
    if match.group(3):
        moment = date.replace(
            hour=int(match.group(3)[:2]),
            minute=int(match.group(3)[2:4]),
            second=int(match.group(3)[4:]),
        )
        if value.endswith("Z"):
            return moment.replace(tzinfo=dt.UTC).astimezone(zone).replace(tzinfo=None)
        return moment
    return date.replace(hour=23, minute=59, second=59)


def expand(
    rule_text: str,
    *,
    local_start: dt.datetime,
    duration: dt.timedelta,
    zone: ZoneInfo,
    max_occurrences: int = MAX_OCCURRENCES,
) -> list[Occurrence]:
    """Occurrences of `rule_text` starting at the naive local `local_start`."""
    if not isinstance(rule_text, str) or len(rule_text) > 300:
        raise _refuse(N_("The recurrence rule is not valid."))
    parts: dict[str, str] = {}
    for chunk in rule_text.strip().removeprefix("RRULE:").split(";"):
        key, sep, value = chunk.partition("=")
        key = key.strip().upper()
        if not sep or not value or key in parts:
            raise _refuse(N_("The recurrence rule is not valid."))
        parts[key] = value.strip().upper()
    unknown = set(parts) - {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY"}
    if unknown:
        raise _refuse(
            N_("The recurrence rule uses parts we do not support: %(parts)s."),
            parts=", ".join(sorted(unknown)),
        )
    freq = FREQUENCIES.get(parts.get("FREQ", ""))
    if freq is None:
        raise _refuse(N_("Choose a daily, weekly or monthly repetition."))
    interval = parts.get("INTERVAL", "1")
    if not interval.isdigit() or not 1 <= int(interval) <= 52:
        raise _refuse(N_("The interval must be a number from 1 to 52."))
    if ("COUNT" in parts) == ("UNTIL" in parts):
        raise _refuse(N_("Give either a number of occurrences or an end date."))
    count: int | None = None
    until: dt.datetime | None = None
    if "COUNT" in parts:
        if not parts["COUNT"].isdigit() or int(parts["COUNT"]) < 1:
            raise _refuse(N_("The number of occurrences must be a positive number."))
        count = int(parts["COUNT"])
        if count > max_occurrences:
            raise _refuse(N_("A series can have at most %(max)s occurrences."), max=max_occurrences)
    else:
        until = _parse_until(parts["UNTIL"], zone)
    byweekday: list[weekday] | None = None
    if "BYDAY" in parts:
        if freq != WEEKLY:
            raise _refuse(N_("Weekdays can only be chosen for a weekly repetition."))
        names = parts["BYDAY"].split(",")
        if not names or any(name not in DAYS for name in names):
            raise _refuse(N_("Weekdays are written MO, TU, WE, TH, FR, SA, SU."))
        byweekday = [weekday(DAYS[name]) for name in names]

    rule = rrule(
        freq,  # type: ignore[arg-type]
        dtstart=local_start,
        interval=int(interval),
        count=count,
        until=until,
        byweekday=byweekday,
        cache=False,
    )
    occurrences: list[Occurrence] = []
    for local in rule:
        if len(occurrences) >= max_occurrences:
            raise _refuse(N_("A series can have at most %(max)s occurrences."), max=max_occurrences)
        start = localize(local, zone)
        end = localize(local + duration, zone, field="end")
        occurrences.append(Occurrence(start, end))
    if not occurrences:
        raise _refuse(N_("This repetition has no occurrences."))
    return occurrences
