"""Occupancy: weekday x hour heatmaps and month-over-month trends.

Two measures, never mixed:

- **used**: the share of each clock hour a resource was in use, from the usage
  sessions the devices report (an open session counts up to now);
- **booked**: the share of each clock hour a resource was held by a confirmed
  booking, its own or its parent's (a whole-Fablab booking books every machine).

Hours are the facility's local clock hours (Europe/Brussels), DST-correct: the
instants of the period are walked hour by hour in UTC and each real hour lands
in the local weekday and hour it shows on the wall. So the hour 02:00 of the
spring change day does not exist and adds nothing, the autumn day's 02:00
happens twice and counts two real hours, and a session crossing midnight is
split between the two days. The share is of the whole clock hour (not of the
opening hours) and only of time that has passed. Overlapping sessions or
bookings of one resource count once. A facility's share is the mean over its
machines (the Fablab) or the room itself.

Trends: per local calendar month, machine hours (usage sessions on machines)
and room hours (confirmed bookings of rooms and the kitchen), split exactly at
month boundaries, up to now: the usage reports' facts, so the days that are
over come from the stored daily totals (app.services.reports.totals) and a
12-month trend reads about twelve rows per company and resource.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import scoped_session

from app.models import Booking, BookingStatus, Resource, ResourceKind, UsageSession
from app.models.base import UTCDateTime

from .errors import N_, NotFound, PermissionDenied, ValidationFailed
from .reports.totals import facts_until

Measure = Literal["used", "booked"]
MEASURES: tuple[Measure, ...] = ("used", "booked")
HOUR = dt.timedelta(hours=1)
# Sessions end on the device, or by the gateway after 24 hours of silence, and a
# session may last at most 24 hours (app.services.access.decide.MAX_SESSION): a
# session that touches a period started at most this long before it. Open sessions
# older than this are stale (their device went quiet) and are not counted.
SESSION_LOOKBACK = dt.timedelta(hours=48)
MAX_PERIOD_DAYS = 92
ROOM_KINDS = (ResourceKind.ROOM, ResourceKind.KITCHEN)

Interval = tuple[dt.datetime, dt.datetime]
# A plain session or the app's scoped one (db.session): both are passed in.
Session = OrmSession | scoped_session[Any]


# -- SQL helpers shared with the public report ----------------------------------


def utc_param(value: dt.datetime) -> Any:
    """A datetime bound as the columns store it (naive UTC text on SQLite)."""
    return sa.literal(value, UTCDateTime())


def overlap_seconds(
    session: Session,
    start_col: Any,
    end_col: Any,
    lo: dt.datetime,
    hi: dt.datetime,
) -> Any:
    """SQL for the seconds of [start_col, end_col) inside [lo, hi) (may be <= 0: filter rows)."""
    upper_bound, lower_bound = utc_param(hi), utc_param(lo)
    if session.get_bind().dialect.name == "postgresql":
        upper = sa.func.least(end_col, upper_bound)
        lower = sa.func.greatest(start_col, lower_bound)
        return sa.extract("epoch", upper - lower)
    upper = sa.func.min(end_col, upper_bound)
    lower = sa.func.max(start_col, lower_bound)
    return (sa.func.julianday(upper) - sa.func.julianday(lower)) * 86400.0


def month_start(year: int, month: int, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of local midnight on the first of a month."""
    return dt.datetime(year, month, 1, tzinfo=zone).astimezone(dt.UTC)


def months_back(now: dt.datetime, zone: ZoneInfo, count: int) -> list[tuple[dt.date, Interval]]:
    """The last `count` local months up to the one holding `now`, oldest first."""
    local = now.astimezone(zone)
    year, month = local.year, local.month
    out: list[tuple[dt.date, Interval]] = []
    for _ in range(count):
        following = (year + (month == 12), month % 12 + 1)
        out.append(
            (
                dt.date(year, month, 1),
                (month_start(year, month, zone), month_start(*following, zone)),
            )
        )
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    out.reverse()
    return out


def local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)


# -- intervals and hour buckets ------------------------------------------------


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """The union of intervals, sorted, with touching ones joined."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _next_local_hour(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    local = moment.astimezone(zone)
    floor = local.replace(minute=0, second=0, microsecond=0).astimezone(dt.UTC)
    return floor + HOUR


def hour_seconds(
    intervals: Iterable[Interval], lo: dt.datetime, hi: dt.datetime, zone: ZoneInfo
) -> dict[tuple[int, int], float]:
    """Seconds of `intervals` within [lo, hi) per local (weekday, hour)."""
    buckets: dict[tuple[int, int], float] = defaultdict(float)
    for start, end in intervals:
        cursor, stop = max(start, lo), min(end, hi)
        while cursor < stop:
            boundary = min(_next_local_hour(cursor, zone), stop)
            local = cursor.astimezone(zone)
            buckets[(local.weekday(), local.hour)] += (boundary - cursor).total_seconds()
            cursor = boundary
    return buckets


# -- heatmaps ------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Local days first..last (inclusive), as UTC instants [start, end)."""

    first: dt.date
    last: dt.date
    start: dt.datetime
    end: dt.datetime


def period(first: dt.date, last: dt.date, zone: ZoneInfo) -> Period:
    if last < first:
        raise ValidationFailed({"end": N_("The end must not be before the start.")})
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise ValidationFailed({"end": N_("Choose a period of at most three months.")})
    return Period(
        first, last, local_midnight(first, zone), local_midnight(last + dt.timedelta(days=1), zone)
    )


def default_period(now: dt.datetime, zone: ZoneInfo) -> Period:
    """The last four weeks, today included."""
    today = now.astimezone(zone).date()
    return period(today - dt.timedelta(days=27), today, zone)


@dataclass(frozen=True)
class Heatmap:
    measure: Measure
    resource_count: int
    # values[weekday][hour]: percent of the clock hour, 0..100; None where no time passed.
    values: list[list[float | None]]

    def hours_shown(self, opening: Sequence[int] = ()) -> list[int]:
        """The hours worth a column: from the first to the last hour with use or opening."""
        wanted = set(opening)
        for row in self.values:
            wanted.update(h for h, v in enumerate(row) if v)
        if not wanted:
            return list(range(24))
        return list(range(min(wanted), max(wanted) + 1))

    @property
    def is_empty(self) -> bool:
        return all(v is None for row in self.values for v in row)


def _session_intervals(
    session: Session,
    resource_ids: Sequence[int],
    lo: dt.datetime,
    hi: dt.datetime,
    now: dt.datetime,
) -> dict[int, list[Interval]]:
    rows = session.execute(
        sa.select(UsageSession.resource_id, UsageSession.started_at, UsageSession.ended_at).where(
            UsageSession.resource_id.in_(resource_ids),
            UsageSession.started_at >= lo - SESSION_LOOKBACK,
            UsageSession.started_at < hi,
            sa.or_(UsageSession.ended_at.is_(None), UsageSession.ended_at > lo),
        )
    )
    found: dict[int, list[Interval]] = defaultdict(list)
    for resource_id, started, ended in rows:
        if ended is None:
            if started < now - SESSION_LOOKBACK:
                continue  # stale: its device went quiet without ending it
            ended = now
        found[resource_id].append((started, min(ended, now)))
    return found


def booking_lookback(session: Session) -> dt.timedelta:
    """The longest a booking of any resource may last, so a period's query can be bounded."""
    longest = session.scalar(sa.select(sa.func.max(Resource.max_minutes))) or 0
    return max(dt.timedelta(minutes=int(longest)), dt.timedelta(days=1))


def _booking_intervals(
    session: Session, resource_ids: Sequence[int], lo: dt.datetime, hi: dt.datetime
) -> dict[int, list[Interval]]:
    rows = session.execute(
        sa.select(Booking.resource_id, Booking.start, Booking.end).where(
            Booking.resource_id.in_(resource_ids),
            Booking.status == BookingStatus.CONFIRMED,
            Booking.start >= lo - booking_lookback(session),
            Booking.start < hi,
            Booking.end > lo,
        )
    )
    found: dict[int, list[Interval]] = defaultdict(list)
    for resource_id, start, end in rows:
        found[resource_id].append((start, end))
    return found


def _busy_per_resource(
    session: Session,
    resources: Sequence[Resource],
    measure: Measure,
    lo: dt.datetime,
    hi: dt.datetime,
    now: dt.datetime,
) -> list[list[Interval]]:
    ids = [r.id for r in resources]
    if measure == "used":
        found = _session_intervals(session, ids, lo, hi, now)
        return [merge(found.get(r.id, [])) for r in resources]
    parents = {r.parent_id for r in resources if r.parent_id is not None}
    found = _booking_intervals(session, sorted(set(ids) | parents), lo, hi)
    return [
        merge(found.get(r.id, []) + (found.get(r.parent_id, []) if r.parent_id else []))
        for r in resources
    ]


def heatmap_for(
    session: Session,
    resources: Sequence[Resource],
    *,
    measure: Measure,
    within: Period,
    now: dt.datetime,
    zone: ZoneInfo,
) -> Heatmap:
    """The mean share of each local weekday-hour the resources were used (or booked)."""
    if measure not in MEASURES:
        raise ValidationFailed({"measure": N_("Choose one of the listed values.")})
    hi = min(within.end, now)
    capacity = (
        hour_seconds([(within.start, hi)], within.start, hi, zone) if hi > within.start else {}
    )
    busy: dict[tuple[int, int], float] = defaultdict(float)
    if resources and hi > within.start:
        for intervals in _busy_per_resource(session, resources, measure, within.start, hi, now):
            for key, seconds in hour_seconds(intervals, within.start, hi, zone).items():
                busy[key] += seconds
    count = max(len(resources), 1)
    values: list[list[float | None]] = [[None] * 24 for _ in range(7)]
    for (weekday, hour), seconds in capacity.items():
        values[weekday][hour] = round(100.0 * busy.get((weekday, hour), 0.0) / (seconds * count), 1)
    return Heatmap(measure=measure, resource_count=len(resources), values=values)


# -- which resources -----------------------------------------------------------


def facilities(session: Session) -> list[Resource]:
    """The shared facilities: active resources with no parent (Fablab, kitchen, rooms)."""
    return list(
        session.scalars(
            sa.select(Resource)
            .where(Resource.parent_id.is_(None), Resource.active.is_(True))
            .order_by(Resource.name)
        )
    )


def facility_members(session: Session, facility: Resource) -> list[Resource]:
    """What a facility's occupancy is the mean of: its active machines, or itself."""
    children = list(
        session.scalars(
            sa.select(Resource)
            .where(Resource.parent_id == facility.id, Resource.active.is_(True))
            .order_by(Resource.name)
        )
    )
    return children or [facility]


def get_resource_for_occupancy(session: Session, actor: Any, resource_id: int) -> Resource:
    if not actor.is_manager:
        raise PermissionDenied(N_("Only managers can do this."))
    resource = session.get(Resource, resource_id)
    if resource is None:
        raise NotFound(N_("No such resource."))
    return resource


# -- trends ----------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    month: dt.date
    machine_hours: float
    room_hours: float


@dataclass(frozen=True)
class _Kinds:
    """Which resources count for machine hours, and which for room hours."""

    machines: tuple[int, ...]
    rooms: tuple[int, ...]


def _kinds(session: Session) -> _Kinds:
    rows = session.execute(sa.select(Resource.id, Resource.kind)).all()
    return _Kinds(
        tuple(rid for rid, kind in rows if kind == ResourceKind.MACHINE),
        tuple(rid for rid, kind in rows if kind in ROOM_KINDS),
    )


def month_hours(
    session: Session,
    lo: dt.datetime,
    hi: dt.datetime,
    *,
    now: dt.datetime,
    zone: ZoneInfo,
    tenant_id: int | None = None,
    resources: dict[int, Resource] | None = None,
    kinds: _Kinds | None = None,
) -> tuple[float, float]:
    """Machine hours and room hours within [lo (a local midnight), min(hi, now)),
    optionally of one tenant: the usage reports' facts (sessions on machines, confirmed
    bookings of rooms), so the days that are over come from the stored daily totals."""
    hi = min(hi, now)
    if hi <= lo:
        return 0.0, 0.0
    if resources is None:
        resources = {r.id: r for r in session.scalars(sa.select(Resource))}
    kinds = kinds if kinds is not None else _kinds(session)
    machines, rooms = set(kinds.machines), set(kinds.rooms)
    facts = facts_until(
        lo.astimezone(zone).date(),
        hi,
        zone=zone,
        now=now,
        resources=resources,
        tenant_id=tenant_id,
    )
    machine = sum(part.used_s for (_, rid), part in facts.items() if rid in machines)
    room = sum(part.booked_s for (_, rid), part in facts.items() if rid in rooms)
    return round(max(machine, 0.0) / 3600, 1), round(max(room, 0.0) / 3600, 1)


def trend(
    session: Session,
    *,
    now: dt.datetime,
    zone: ZoneInfo,
    months: int = 12,
    tenant_id: int | None = None,
) -> list[TrendPoint]:
    """Machine and room hours per local month, the last `months` months up to now."""
    resources = {r.id: r for r in session.scalars(sa.select(Resource))}
    kinds = _kinds(session)
    points = []
    for first, (lo, hi) in months_back(now, zone, months):
        machine, room = month_hours(
            session,
            lo,
            hi,
            now=now,
            zone=zone,
            tenant_id=tenant_id,
            resources=resources,
            kinds=kinds,
        )
        points.append(TrendPoint(first, machine, room))
    return points


def tenant_trend(
    session: Session, actor: Any, *, tenant_id: int, now: dt.datetime, zone: ZoneInfo
) -> list[TrendPoint]:
    """A company's own trend: managers any company's, tenant users only their own."""
    if not actor.is_manager and actor.tenant_id != tenant_id:
        raise NotFound(N_("No such tenant."))
    return trend(session, now=now, zone=zone, tenant_id=tenant_id)
