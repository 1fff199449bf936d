"""Facility-local wall time: parsing what people type, and refusing times DST makes unclear."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from ..errors import N_, RuleViolation, ValidationFailed


def repeated(naive: dt.datetime, zone: ZoneInfo) -> bool:
    """Does this local wall time happen twice (the autumn change puts the clocks back)?"""
    first = naive.replace(tzinfo=zone, fold=0)
    if first.utcoffset() == naive.replace(tzinfo=zone, fold=1).utcoffset():
        return False
    return first.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) == naive


def localize(naive: dt.datetime, zone: ZoneInfo, *, field: str = "start") -> dt.datetime:
    """The UTC instant of a local wall time; refuses one that does not exist or exists twice."""
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        # On the autumn change a wall time happens twice; in spring one never happens.
        if not repeated(naive, zone):
            raise RuleViolation(
                N_("%(time)s does not exist on that day: the clocks jump forward."),
                params={"time": naive.strftime("%Y-%m-%d %H:%M")},
                rule="local_time",
                fields={field: N_("This local time does not exist.")},
            )
        raise RuleViolation(
            N_("%(time)s happens twice on that day: the clocks go back. Give the UTC offset."),
            params={"time": naive.strftime("%Y-%m-%d %H:%M")},
            rule="local_time",
            fields={field: N_("This local time is ambiguous.")},
        )
    return first.astimezone(dt.UTC)


def parse_instant(value: str, zone: ZoneInfo, *, field: str) -> dt.datetime:
    """ISO-8601 with an offset, or facility-local time without one; returned in UTC."""
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        raise ValidationFailed({field: N_("Give a date and time such as 2026-12-01T14:00.")})
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            {field: N_("Give a date and time such as 2026-12-01T14:00.")}
        ) from None
    if parsed.year < 2000 or parsed.year > 2200:
        raise ValidationFailed({field: N_("This date is out of range.")})
    if parsed.tzinfo is None:
        return localize(parsed, zone, field=field)
    return parsed.astimezone(dt.UTC)


def to_local(instant: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return instant.astimezone(zone)
