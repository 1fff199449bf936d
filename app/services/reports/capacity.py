"""Opening time of resources in a period: the denominator of utilisation.

A resource is open in its own opening hours, else its parent's (a machine in
the Fablab), else the building's; closures of the building, of the resource or
of its parent are taken out. Everything is computed per local day with
`open_intervals`, so a DST day is 23 or 25 hours long where the hours reach
across the change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Closure, Resource

from ..bookings.hours import open_intervals
from .periods import Period

Interval = tuple[dt.datetime, dt.datetime]


def _subtract(intervals: Iterable[Interval], holes: Sequence[Interval]) -> list[Interval]:
    left: list[Interval] = []
    for start, end in intervals:
        pieces = [(start, end)]
        for hole_start, hole_end in holes:
            next_pieces: list[Interval] = []
            for a, b in pieces:
                if hole_end <= a or hole_start >= b:
                    next_pieces.append((a, b))
                    continue
                if a < hole_start:
                    next_pieces.append((a, hole_start))
                if hole_end < b:
                    next_pieces.append((hole_end, b))
            pieces = next_pieces
        left += pieces
    return left


def _clip(intervals: Iterable[Interval], lower: dt.datetime, upper: dt.datetime) -> list[Interval]:
    return [
        (max(start, lower), min(end, upper))
        for start, end in intervals
        if start < upper and end > lower
    ]


def opening_seconds(
    resources: Sequence[Resource], period: Period, building_hours: dict[str, Any]
) -> dict[int, float]:
    """Seconds each resource was open in `period`, closures excluded."""
    start, end = period.start, period.end
    closures = db.session.execute(
        select(Closure.resource_id, Closure.start, Closure.end).where(
            Closure.start < end, Closure.end > start
        )
    ).all()
    by_parent = {r.id: r for r in resources}
    first = period.first_day - dt.timedelta(days=1)  # an interval may reach past midnight
    cache: dict[str, list[Interval]] = {}
    result: dict[int, float] = {}
    for resource in resources:
        parent = by_parent.get(resource.parent_id) if resource.parent_id else None
        hours = resource.opening_hours
        if hours is None and parent is not None:
            hours = parent.opening_hours
        if hours is None:
            hours = building_hours
        key = repr(sorted(hours.items()))
        if key not in cache:
            cache[key] = _clip(
                open_intervals(hours, period.zone, first, period.last_day), start, end
            )
        concerned = {None, resource.id, resource.parent_id}
        holes = sorted((c_start, c_end) for rid, c_start, c_end in closures if rid in concerned)
        open_time = _subtract(cache[key], holes)
        result[resource.id] = sum((b - a).total_seconds() for a, b in open_time)
    return result
