"""What the sources say about a period, per group and resource, before any rule is applied.

`live_facts` sums the bookings and usage sessions of a period in the database,
grouped by a company (or a member) and the resource, into `Facts`; `live_entries`
counts the granted access decisions per group and device. Nothing here decides
what is billable on which resource or whether a no-show counts there: those are
rules of the resources, applied afterwards (`app.services.reports.usage`), so the
same facts serve any set of rules, and the stored per-day totals
(`app.services.reports.totals`) are these very facts, summed per day.

Each query is bounded by an index range on the start of what it reads: a booking
or a session can only reach into the period if it started at most the longest
booking a resource allows (at least `LONGEST_BOOKING`) / `LONGEST_SESSION`
before it, so a period's facts read that period (and the days before it), never
the history; migration 0009's indexes hold every column summed.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, bindparam, case, exists, func, or_, select

from app.extensions import db
from app.models import AccessEvent, Booking, BookingStatus, Resource, UsageSession

from ..bookings.quota import LONGEST_SESSION, billable_booking_clause
from .periods import Period
from .sql import epoch_seconds, overlap_seconds, seconds, shifted

ENTRY_TYPE = "access.decision"
#: the least look-back for bookings: the longest booking any resource allows widens it
LONGEST_BOOKING = dt.timedelta(hours=1)

#: (group, resource id): a company's or a member's id (None: the incubator / nobody)
Key = tuple[int | None, int | None]
#: (group, device id)
EntryKey = tuple[int | None, str]


@dataclass(slots=True)
class Facts:
    """Sums of one group on one resource; seconds are clipped to the period."""

    booked_s: float = 0.0  # confirmed bookings
    billable_booked_s: float = 0.0  # billable by their status (quota rule), of a company
    no_shows: int = 0  # released for want of a check-in, that started in the period
    used_s: float = 0.0  # usage sessions (an open one up to now)
    company_used_s: float = 0.0  # the part of `used_s` of a company's sessions
    busy_s: float = 0.0  # the interlock's busy time, shared out by the part in the period
    idle_s: float = 0.0
    reported: int = 0  # sessions with busy or idle time reported
    sessions: int = 0  # sessions that started in the period
    unbooked: int = 0  # sessions that started in the period without a covering booking
    visit_days: int = 0  # bit n-1: used or booked on day n of the month (stored totals only)

    # add and less are written out: a month's report calls them about a thousand times

    def add(self, other: Facts) -> None:
        self.booked_s += other.booked_s
        self.billable_booked_s += other.billable_booked_s
        self.no_shows += other.no_shows
        self.used_s += other.used_s
        self.company_used_s += other.company_used_s
        self.busy_s += other.busy_s
        self.idle_s += other.idle_s
        self.reported += other.reported
        self.sessions += other.sessions
        self.unbooked += other.unbooked
        self.visit_days |= other.visit_days

    def less(self, other: Facts) -> Facts:
        """These sums without `other`'s (a month's running totals at two days)."""
        return Facts(
            self.booked_s - other.booked_s,
            self.billable_booked_s - other.billable_booked_s,
            self.no_shows - other.no_shows,
            self.used_s - other.used_s,
            self.company_used_s - other.company_used_s,
            self.busy_s - other.busy_s,
            self.idle_s - other.idle_s,
            self.reported - other.reported,
            self.sessions - other.sessions,
            self.unbooked - other.unbooked,
            self.visit_days,
        )

    @property
    def counts(self) -> bool:
        """Anything to report: not so for a company seen only before a stored run (its
        last day's running totals less the day before's) or only in a booking cancelled
        in time."""
        return bool(
            self.booked_s
            or self.billable_booked_s
            or self.no_shows
            or self.used_s
            or self.company_used_s
            or self.busy_s
            or self.idle_s
            or self.reported
            or self.sessions
            or self.unbooked
        )

    @property
    def present(self) -> bool:
        """Anything used, booked or started: the group was there."""
        return self.used_s > 0 or self.booked_s > 0 or self.sessions > 0


#: the field names in their order (the stored totals' columns)
FACT_NAMES = tuple(f.name for f in fields(Facts))


def add_facts(into: dict[Key, Facts], more: Mapping[Key, Facts]) -> None:
    """Add `more` into `into`; facts of keys `into` lacks are taken over, not copied."""
    for key, facts in more.items():
        mine = into.get(key)
        if mine is None:
            into[key] = facts
        else:
            mine.add(facts)


@dataclass(frozen=True)
class Span:
    """Any stretch of time [start, end): `live_facts` also takes a `Period` (whole days)."""

    start: dt.datetime
    end: dt.datetime


def booking_look_back(resources: Iterable[Resource]) -> dt.timedelta:
    longest = max((r.max_minutes or 0 for r in resources), default=0)
    return max(LONGEST_BOOKING, dt.timedelta(minutes=int(longest)))


def _when(condition: ColumnElement[bool], value: Any) -> Any:
    return func.sum(case((condition, value), else_=0))


def _group(by: str, *, tenant: Any, member: Any) -> Any:
    if by not in ("tenant", "member"):
        raise ValueError(by)
    return tenant if by == "tenant" else member


def live_facts(
    period: Period | Span,
    now: dt.datetime,
    *,
    by: str,
    resources: Mapping[int, Resource],
    unbooked_on: Collection[int],
    tenant_id: int | None = None,
) -> dict[Key, Facts]:
    """The period's facts from the source rows, per (company or member, resource).

    `unbooked_on`: the resources whose sessions are checked for a covering booking.
    """
    look_back = booking_look_back(resources.values())
    start, end = period.start, period.end
    params: dict[str, Any] = {
        "start": start,
        "end": end,
        "start_s": seconds(start),
        "end_s": seconds(end),
        "now_s": seconds(now),
        "bookings_from": start - look_back,
        "sessions_from": start - LONGEST_SESSION,
        "look_back_s": -look_back.total_seconds(),
        "unbooked_on": sorted(unbooked_on),
        "tenant": tenant_id,
    }
    found: dict[Key, Facts] = {}
    connection = db.session.connection()
    with_tenant = tenant_id is not None
    for who, resource_id, booked, billable_s, no_shows in connection.execute(
        _bookings_query(by, with_tenant), params
    ):
        facts = _facts(found, (who, resource_id))
        facts.booked_s += float(booked or 0)
        facts.billable_booked_s += float(billable_s or 0)
        facts.no_shows += int(no_shows or 0)
    for inside in (True, False):
        rows = connection.execute(_sessions_query(by, with_tenant, inside=inside), params)
        for who, resource_id, used_s, company_s, busy_s, idle_s, reported, started, missing in rows:
            facts = _facts(found, (who, resource_id))
            facts.used_s += float(used_s or 0)
            facts.company_used_s += float(company_s or 0)
            facts.busy_s += float(busy_s or 0)
            facts.idle_s += float(idle_s or 0)
            facts.reported += int(reported or 0)
            facts.sessions += int(started or 0)
            facts.unbooked += int(missing or 0)
    return found


def _facts(found: dict[Key, Facts], key: Key) -> Facts:
    if key not in found:
        found[key] = Facts()
    return found[key]


# The statements are built once per shape, with the period's bounds as bound parameters:
# a report runs them for each day it reads from the sources, and building and keying a
# statement of this size costs more than running it over one day.


def _number(name: str) -> Any:
    return bindparam(name, type_=Float)


def _tenant_filter(query: Any, column: Any, with_tenant: bool) -> Any:
    return query.where(column == bindparam("tenant")) if with_tenant else query


@functools.cache
def _bookings_query(by: str, with_tenant: bool) -> Any:
    start, end = epoch_seconds(Booking.start), epoch_seconds(Booking.end)
    clipped = overlap_seconds(start, end, _number("start_s"), _number("end_s"))
    group = _group(by, tenant=Booking.tenant_id, member=Booking.booked_for_id)
    billable = and_(billable_booking_clause(), Booking.tenant_id.is_not(None))
    no_show = and_(Booking.status == BookingStatus.NO_SHOW, Booking.start >= bindparam("start"))
    query = (
        select(
            group,
            Booking.resource_id,
            _when(Booking.status == BookingStatus.CONFIRMED, clipped),
            _when(billable, clipped),
            _when(no_show, 1),
        )
        .where(
            Booking.start >= bindparam("bookings_from"),
            Booking.start < bindparam("end"),
            Booking.end > bindparam("start"),
            Booking.status.in_(
                (BookingStatus.CONFIRMED, BookingStatus.NO_SHOW, BookingStatus.CANCELLED)
            ),
        )
        .group_by(group, Booking.resource_id)
    )
    return _tenant_filter(query, Booking.tenant_id, with_tenant)


def _unbooked_clause() -> ColumnElement[bool]:
    """True for a session on one of the `unbooked_on` resources with no confirmed booking
    of the same company on the resource (or on its parent: a booking of the whole Fablab
    covers its machines) at the session's start. Used inside a CASE, so it is evaluated
    for those sessions only."""
    parent = (
        select(Resource.parent_id)
        .where(Resource.id == UsageSession.resource_id)
        .correlate(UsageSession)  # the outer query's session, two levels up
        .scalar_subquery()
    )
    covering = exists().where(
        Booking.tenant_id.is_not_distinct_from(UsageSession.tenant_id),
        Booking.start <= UsageSession.started_at,
        Booking.start >= shifted(UsageSession.started_at, bindparam("look_back_s", type_=Float)),
        Booking.end > UsageSession.started_at,
        Booking.status == BookingStatus.CONFIRMED,
        Booking.resource_id.in_([UsageSession.resource_id, parent]),
    )
    return and_(UsageSession.resource_id.in_(bindparam("unbooked_on", expanding=True)), ~covering)


@functools.cache
def _sessions_query(by: str, with_tenant: bool, *, inside: bool) -> Any:
    """Sessions wholly inside the period (no clipping: the cheap bulk), or the few
    reaching over its edges or still running (clipped, and shared out)."""
    start = epoch_seconds(UsageSession.started_at)
    unbooked = _unbooked_clause()
    if inside:
        used: Any = epoch_seconds(UsageSession.ended_at) - start
        busy: Any = UsageSession.busy_s
        idle: Any = UsageSession.idle_s
        count: Any = func.count()
        not_booked = _when(unbooked, 1)
        where = [
            UsageSession.started_at >= bindparam("start"),
            UsageSession.started_at < bindparam("end"),
            UsageSession.ended_at.is_not(None),
            UsageSession.ended_at <= bindparam("end"),
        ]
    else:
        end = func.coalesce(epoch_seconds(UsageSession.ended_at), _number("now_s"))
        used = overlap_seconds(start, end, _number("start_s"), _number("end_s"))
        length = end - start
        share = case((length > 0, used / length), else_=0.0)
        busy, idle = UsageSession.busy_s * share, UsageSession.idle_s * share
        started_inside = and_(
            UsageSession.started_at >= bindparam("start"),
            UsageSession.started_at < bindparam("end"),
        )
        count = _when(started_inside, 1)
        not_booked = _when(and_(started_inside, unbooked), 1)
        where = [
            UsageSession.started_at >= bindparam("sessions_from"),
            UsageSession.started_at < bindparam("end"),
            or_(UsageSession.ended_at.is_(None), UsageSession.ended_at > bindparam("start")),
            or_(
                UsageSession.started_at < bindparam("start"),
                UsageSession.ended_at.is_(None),
                UsageSession.ended_at > bindparam("end"),
            ),
        ]
    group = _group(by, tenant=UsageSession.tenant_id, member=UsageSession.member_id)
    query = (
        select(
            group,
            UsageSession.resource_id,
            func.sum(used),
            _when(UsageSession.tenant_id.is_not(None), used),
            func.sum(busy),
            func.sum(idle),
            _when(UsageSession.busy_s + UsageSession.idle_s > 0, 1),
            count,
            not_booked,
        )
        .where(*where)
        .group_by(group, UsageSession.resource_id)
    )
    return _tenant_filter(query, UsageSession.tenant_id, with_tenant)


def live_entries(
    period: Period,
    *,
    by: str,
    devices: Collection[str],
    tenant_id: int | None = None,
) -> dict[EntryKey, int]:
    """Granted access decisions at `devices` per (company or member, device)."""
    if not devices:
        return {}
    params = {
        "start": period.start,
        "end": period.end,
        "devices": sorted(devices),
        "tenant": tenant_id,
    }
    rows = db.session.connection().execute(_entries_query(by, tenant_id is not None), params)
    return {(who, device_id): int(count) for who, device_id, count in rows}


@functools.cache
def _entries_query(by: str, with_tenant: bool) -> Any:
    group = _group(by, tenant=AccessEvent.tenant_id, member=AccessEvent.member_id)
    query = (
        select(group, AccessEvent.device_id, func.count())
        .where(
            AccessEvent.device_id.in_(bindparam("devices", expanding=True)),
            AccessEvent.device_time >= bindparam("start"),
            AccessEvent.device_time < bindparam("end"),
            AccessEvent.type == ENTRY_TYPE,
            AccessEvent.granted.is_(True),
        )
        .group_by(group, AccessEvent.device_id)
    )
    return _tenant_filter(query, AccessEvent.tenant_id, with_tenant)
