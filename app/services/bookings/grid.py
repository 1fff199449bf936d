"""The week grid: per facility, per local day, what each resource's time slots are.

A facility is a top-level resource with its children (the Fablab with its
machines) or a room of its own. Every cell says what a person can do with it:
book it, open their own booking, or read why it is not free. Everything is
computed from two queries per week (claims and closures), so the page stays
cheap however long the history grows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import (
    HOLDING_STATUSES,
    Booking,
    BookingClaim,
    BookingStatus,
    Closure,
    Member,
    Resource,
    ResourceStatus,
)

from .grid_scope import FacilityGroup
from .hours import open_intervals
from .queries import label_for


class CellState:
    FREE = "free"  # nothing in the way; `book_end` set when it is a valid start
    MINE = "mine"  # a booking the viewer may open
    BOOKED = "booked"  # someone else's booking: only the privacy label shows
    BLOCKED = "blocked"  # the whole facility: one of its machines is booked then
    BUFFER = "buffer"  # kept free around a booking (cleaning, cooling)
    CLOSED = "closed"  # outside opening hours, a closure, maintenance
    PAST = "past"


@dataclass
class Cell:
    state: str
    start: dt.datetime
    end: dt.datetime
    span: int = 1
    booking: Booking | None = None
    label: str = ""  # what the viewer may read of the booking (label_for)
    incubator: bool = False  # a booking for the incubator's own event
    pending: bool = False
    reason: str = ""  # closed: "hours", "closure", "unavailable"; free: "lead_time", "horizon"
    book_end: dt.datetime | None = None

    def merges_with(self, other: Cell) -> bool:
        if self.state == CellState.FREE or self.state != other.state:
            return False
        if self.booking is not None or other.booking is not None:
            return self.booking is other.booking
        return self.reason == other.reason


@dataclass
class Row:
    resource: Resource
    child: bool
    cells: list[Cell] = field(default_factory=list)


@dataclass
class Day:
    date: dt.date
    slots: list[dt.datetime]  # UTC start of each column
    rows: list[Row]

    @property
    def is_open(self) -> bool:
        return bool(self.slots)


@dataclass
class WeekGrid:
    group: FacilityGroup
    monday: dt.date
    step_minutes: int
    days: list[Day]

    @property
    def previous_week(self) -> dt.date:
        return self.monday - dt.timedelta(days=7)

    @property
    def next_week(self) -> dt.date:
        return self.monday + dt.timedelta(days=7)


def _local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)


def _hours_of(resource: Resource, building_hours: dict[str, Any]) -> dict[str, Any]:
    if resource.opening_hours is not None:
        return resource.opening_hours
    if resource.parent is not None and resource.parent.opening_hours is not None:
        return resource.parent.opening_hours
    return building_hours


def _step_minutes(resources: list[Resource]) -> int:
    return 60 if all(r.slot_minutes % 60 == 0 for r in resources) else 30


def default_length(resource: Resource, step: int) -> dt.timedelta:
    """What a click on a free slot asks for: one slot, or the shortest booking allowed."""
    minutes = max(step, resource.min_minutes, resource.slot_minutes)
    minutes = -(-minutes // resource.slot_minutes) * resource.slot_minutes
    return dt.timedelta(minutes=min(minutes, max(resource.max_minutes, resource.slot_minutes)))


class _Hold(NamedTuple):
    """A live claim, read once from the database into plain values."""

    start: dt.datetime  # the booking's own interval
    end: dt.datetime
    block_start: dt.datetime  # with its buffers
    block_end: dt.datetime
    booking: Booking


@dataclass
class _Week:
    """What holds each resource during the week, loaded with two queries.

    Only live claims count: a booking past its check-in deadline is a free
    slot already, before the jobs runner releases it.
    """

    holds: dict[int, list[_Hold]]
    closures: list[tuple[int | None, dt.datetime, dt.datetime]]
    opened: dict[tuple[int, dt.date], list[tuple[dt.datetime, dt.datetime]]]


@dataclass
class _Day:
    """One resource on one day: only what can touch its slots."""

    resource: Resource
    held: list[_Hold]  # on the resource itself
    inside: list[_Hold]  # on its machines, when it is a facility
    closed: list[tuple[dt.datetime, dt.datetime]]
    opened: list[tuple[dt.datetime, dt.datetime]]


def _load(
    resources: list[Resource],
    start: dt.datetime,
    end: dt.datetime,
    *,
    zone: ZoneInfo,
    building_hours: dict[str, Any],
    days: list[dt.date],
    now: dt.datetime,
) -> _Week:
    ids = {r.id for r in resources} | {c.id for r in resources for c in r.children if c.active}
    widest = dt.timedelta(
        minutes=max(
            (r.buffer_before_minutes + r.buffer_after_minutes for r in resources), default=0
        )
    )
    rows = db.session.scalars(
        select(BookingClaim)
        .options(
            joinedload(BookingClaim.booking).options(
                joinedload(Booking.resource),
                joinedload(Booking.tenant),
                joinedload(Booking.booked_for),
            )
        )
        .where(
            BookingClaim.resource_id.in_(ids),
            BookingClaim.block_start < end + widest,
            BookingClaim.block_end > start - widest,
        )
    )
    holds: dict[int, list[_Hold]] = {}
    for claim in rows:
        b = claim.booking
        if b.status in HOLDING_STATUSES and not b.is_overdue_for_checkin(now):
            hold = _Hold(b.start, b.end, claim.block_start, claim.block_end, b)
            holds.setdefault(claim.resource_id, []).append(hold)
    parents = {r.parent_id for r in resources if r.parent_id is not None}
    closures = db.session.execute(
        select(Closure.resource_id, Closure.start, Closure.end).where(
            or_(Closure.resource_id.is_(None), Closure.resource_id.in_(ids | parents)),
            Closure.start < end,
            Closure.end > start,
        )
    )
    opened = {
        (r.id, day): open_intervals(_hours_of(r, building_hours), zone, day, day)
        for r in resources
        for day in days
    }
    return _Week(
        holds=holds, closures=[(c.resource_id, c.start, c.end) for c in closures], opened=opened
    )


def _day(resource: Resource, day: dt.date, week: _Week, zone: ZoneInfo) -> _Day:
    before = dt.timedelta(minutes=resource.buffer_before_minutes)
    after = dt.timedelta(minutes=resource.buffer_after_minutes)
    first = _local_midnight(day, zone) - before
    last = _local_midnight(day + dt.timedelta(days=1), zone) + after

    def near(holds: list[_Hold]) -> list[_Hold]:
        return [h for h in holds if h.block_start < last and h.block_end > first]

    children = [c for c in resource.children if c.active]
    # As the rules see closures: the building, the resource, its facility, or (for a
    # facility) one of its machines.
    guarded = {resource.id, resource.parent_id} | {c.id for c in children}
    return _Day(
        resource=resource,
        held=near(week.holds.get(resource.id, [])),
        inside=near([h for c in children for h in week.holds.get(c.id, [])]),
        closed=[
            (c_start, c_end)
            for owner, c_start, c_end in week.closures
            if (owner is None or owner in guarded) and c_start < last and c_end > first
        ],
        opened=week.opened[(resource.id, day)],
    )


def _slots(
    resources: list[Resource], day: dt.date, week: _Week, *, step: int, zone: ZoneInfo
) -> list[dt.datetime]:
    """Column starts for one local day: from the first opening to the last closing."""
    day_start = _local_midnight(day, zone)
    day_end = _local_midnight(day + dt.timedelta(days=1), zone)
    intervals = [i for r in resources for i in week.opened[(r.id, day)]]
    if not intervals:
        return []
    first = max(day_start, min(s for s, _e in intervals))
    last = min(day_end, max(e for _s, e in intervals))
    local = first.astimezone(zone)
    cursor = first - dt.timedelta(minutes=(local.hour * 60 + local.minute) % step)
    slots: list[dt.datetime] = []
    while cursor < last:
        slots.append(cursor)
        cursor += dt.timedelta(minutes=step)
    return slots


def _overlaps(a_start: dt.datetime, a_end: dt.datetime, b_start: Any, b_end: Any) -> bool:
    return bool(a_start < b_end and b_start < a_end)


def _cell(
    day: _Day,
    start: dt.datetime,
    end: dt.datetime,
    *,
    viewer: Member,
    now: dt.datetime,
    zone: ZoneInfo,
    step: int,
) -> Cell:
    """One slot of one resource: booked, past, closed, blocked, kept free, or free."""
    resource = day.resource
    for hold in day.held:
        if _overlaps(start, end, hold.start, hold.end):
            return _booked(hold.booking, start, end, viewer)
    if start < now:
        return Cell(CellState.PAST, start, end)
    if resource.status != ResourceStatus.AVAILABLE:
        return Cell(CellState.CLOSED, start, end, reason="unavailable")
    if not any(o_start <= start and end <= o_end for o_start, o_end in day.opened):
        return Cell(CellState.CLOSED, start, end, reason="hours")
    if any(_overlaps(start, end, c_start, c_end) for c_start, c_end in day.closed):
        return Cell(CellState.CLOSED, start, end, reason="closure")
    if any(_overlaps(start, end, h.start, h.end) for h in day.inside):
        return Cell(CellState.BLOCKED, start, end)
    block_start = start - dt.timedelta(minutes=resource.buffer_before_minutes)
    block_end = end + dt.timedelta(minutes=resource.buffer_after_minutes)
    if any(
        _overlaps(block_start, block_end, h.block_start, h.block_end) for h in day.held + day.inside
    ):
        return Cell(CellState.BUFFER, start, end)
    return _free(resource, start, end, now=now, zone=zone, step=step)


def _booked(booking: Booking, start: dt.datetime, end: dt.datetime, viewer: Member) -> Cell:
    return Cell(
        CellState.MINE if booking.is_visible_to(viewer) else CellState.BOOKED,
        start,
        end,
        booking=booking,
        label=label_for(booking, viewer),
        incubator=booking.tenant_id is None,
        pending=booking.status == BookingStatus.PENDING,
    )


def _free(
    resource: Resource,
    start: dt.datetime,
    end: dt.datetime,
    *,
    now: dt.datetime,
    zone: ZoneInfo,
    step: int,
) -> Cell:
    local = start.astimezone(zone)
    if (local.hour * 60 + local.minute) % resource.slot_minutes:
        return Cell(CellState.FREE, start, end)  # not a valid start for this resource
    if start < now + dt.timedelta(minutes=resource.lead_minutes):
        return Cell(CellState.FREE, start, end, reason="lead_time")
    if start > now + dt.timedelta(days=resource.horizon_days):
        return Cell(CellState.FREE, start, end, reason="horizon")
    return Cell(CellState.FREE, start, end, book_end=start + default_length(resource, step))


def _fits(cells: list[Cell]) -> list[Cell]:
    """Keep a "Book" link only where the booking it proposes fits among the free slots."""
    for index, cell in enumerate(cells):
        if cell.book_end is None:
            continue
        needed = [c for c in cells[index:] if c.start < cell.book_end]
        if needed[-1].end < cell.book_end or any(c.state != CellState.FREE for c in needed):
            cell.book_end = None
    return cells


def _merge(cells: list[Cell]) -> list[Cell]:
    merged: list[Cell] = []
    for cell in cells:
        if merged and merged[-1].merges_with(cell):
            merged[-1].span += 1
            merged[-1].end = cell.end
        else:
            merged.append(cell)
    return merged


def week_grid(
    group: FacilityGroup,
    *,
    monday: dt.date,
    viewer: Member,
    now: dt.datetime,
    zone: ZoneInfo,
    building_hours: dict[str, Any],
) -> WeekGrid:
    dates = [monday + dt.timedelta(days=n) for n in range(7)]
    start = _local_midnight(dates[0], zone)
    end = _local_midnight(dates[-1] + dt.timedelta(days=1), zone)
    resources = group.resources
    step = _step_minutes(resources)
    week = _load(
        resources, start, end, zone=zone, building_hours=building_hours, days=dates, now=now
    )
    days: list[Day] = []
    for date in dates:
        slots = _slots(resources, date, week, step=step, zone=zone)
        rows = []
        for resource in resources:
            context = _day(resource, date, week, zone)
            length = dt.timedelta(minutes=step)
            cells = [
                _cell(context, slot, slot + length, viewer=viewer, now=now, zone=zone, step=step)
                for slot in slots
            ]
            cells = _merge(_fits(cells))
            rows.append(Row(resource, child=resource.parent_id is not None, cells=cells))
        days.append(Day(date=date, slots=slots, rows=rows))
    return WeekGrid(group=group, monday=monday, step_minutes=step, days=days)
