"""The facility's time zone in tests: Brussels wall times as UTC instants, and opening
hours that never close (so that a test's booking is never refused for the hour)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")
ALWAYS_OPEN = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def local(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0
) -> dt.datetime:
    """A Brussels wall time in UTC (fold=1: the later 02:xx of the autumn change)."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=BRUSSELS, fold=fold).astimezone(
        dt.UTC
    )
