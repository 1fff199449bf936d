"""Helpers the report tests share: Brussels wall times and finding a row."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")
ALWAYS_OPEN = {
    day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """A Brussels wall time as the UTC instant it is stored as."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=BRUSSELS).astimezone(dt.UTC)


def row(report: Any, key: str) -> Any:
    """The row of `report` with `key` ("tenant:3", "incubator", ...)."""
    for found in report.rows:
        if found.key == key:
            return found
    raise AssertionError(f"no row {key} in {[r.key for r in report.rows]}")
