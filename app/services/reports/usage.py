"""The usage report: per tenant, resource, member or sector, what a period held.

The sums are made in the database, grouped by the asked key (bookings; sessions
wholly inside the period, summed without clipping; the few over its edges or
still running, clipped; sessions without a booking; door entries). Each query is
bounded by an index range on the start of what it reads: a booking or a session
can only reach into the period if it started at most `LONGEST_BOOKING` (or the
longest booking a resource allows) / `LONGEST_SESSION` before it, so a month's
report reads that month (and the days before it), never the history; migration
0009's indexes hold every column summed, so no table row is read.

The per-resource rules (billed by booking or by its sessions? measured by a
device? do no-shows count there?) are decided in Python with the functions the
quota check uses (`app.services.bookings.quota`: billable hours have one
definition) and handed to SQL as lists of resource ids.

Columns (docs/reports.md has the details):

- booked hours: confirmed bookings, clipped to the period;
- used hours: usage sessions, clipped; an open session counts up to `now`;
- billable hours: `billable_booking_clause` bookings on resources billed by
  booking, plus session hours on the others (as `billable_session_hours`);
  the incubator's own use is not billed;
- busy and idle hours: what the interlock reported, shared out over the period
  in proportion to the part of the session inside it;
- sessions: those that started in the period;
- no-shows: bookings released because nobody checked in, that started in the
  period, on resources that require a check-in or have an access device;
- use without a booking: sessions that started in the period on a resource that
  may only be used with a booking, with no confirmed booking of the same company
  on it (or on its parent) at the session's start;
- door entries: granted decisions at door devices;
- utilisation: occupied time (sessions on resources whose machine device reports
  them, confirmed bookings elsewhere) as a share of opening time (closures out).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select

from app.extensions import db
from app.models import (
    AccessEvent,
    Booking,
    BookingStatus,
    Device,
    DeviceKind,
    Member,
    Resource,
    Tenant,
    UsageSession,
)

from ..bookings.quota import LONGEST_SESSION, billable_booking_clause, billed_by_booking
from ..errors import N_, PermissionDenied, ValidationFailed
from .capacity import opening_seconds
from .periods import Period
from .sql import epoch_seconds, overlap_seconds, seconds, shifted
from .usage_rows import ENTRANCE, INCUBATOR, NAMES, UNKNOWN, UsageReport, UsageRow

GROUPS = ("tenant", "resource", "member", "sector")
ENTRY_TYPE = "access.decision"
#: the least look-back for bookings: the longest booking any resource allows widens it
LONGEST_BOOKING = dt.timedelta(hours=1)


@dataclass
class _Scope:
    tenant_id: int | None
    group_by: str
    period: Period
    now: dt.datetime
    resources: dict[int, Resource]
    #: per-resource facts, decided here in Python by the quota's own functions and
    #: handed to SQL as id lists, so no query groups by resource unless asked to
    billed_by_booking: list[int]
    billed_by_session: list[int]
    measured: list[int]  # a machine device reports its sessions
    guarded: list[int]  # a no-show means something there
    required: list[int]  # may only be used with a booking

    def row(self, rows: dict[str, UsageRow], value: Any) -> UsageRow:
        key = _group_key(self.group_by, value)
        if key not in rows:
            rows[key] = UsageRow(key=key, label="")
        return rows[key]


def _check(actor: Member, group_by: str, tenant_id: int | None) -> int | None:
    """The tenant the report is limited to: a company's people always get their own."""
    if group_by not in GROUPS:
        raise ValidationFailed(
            {"group_by": N_("Choose one of: tenant, resource, member, sector.")},
            N_("Unknown grouping."),
        )
    if actor.is_manager:
        return tenant_id
    if actor.tenant_id is None:
        raise PermissionDenied(N_("Only managers and members of a company can see reports."))
    if group_by == "member" and not actor.is_tenant_admin:
        raise PermissionDenied(N_("Only managers and company admins can see use per person."))
    return actor.tenant_id


def _scope(
    actor: Member, group_by: str, tenant_id: int | None, period: Period, now: dt.datetime
) -> _Scope:
    limited_to = _check(actor, group_by, tenant_id)
    resources = {r.id: r for r in db.session.scalars(select(Resource))}
    devices = db.session.execute(
        select(Device.resource_id, Device.kind).where(Device.resource_id.is_not(None))
    ).all()
    measured = {rid for rid, kind in devices if kind == DeviceKind.MACHINE}
    guarded = {rid for rid, _kind in devices} | {
        rid for rid, r in resources.items() if r.checkin_required
    }
    by_booking = [rid for rid, r in resources.items() if billed_by_booking(r)]
    return _Scope(
        tenant_id=limited_to,
        group_by=group_by,
        period=period,
        now=now,
        resources=resources,
        billed_by_booking=by_booking,
        billed_by_session=[rid for rid in resources if rid not in set(by_booking)],
        measured=sorted(measured),
        guarded=sorted(guarded),
        required=[rid for rid, r in resources.items() if r.booking_required_for_use],
    )


def usage_report(
    actor: Member,
    *,
    period: Period,
    group_by: str,
    now: dt.datetime,
    building_hours: dict[str, Any],
    tenant_id: int | None = None,
) -> UsageReport:
    """The report `actor` may see. Managers: everyone, or `tenant_id`; anyone else:
    their own company, whatever `tenant_id` says. Plain members do not get per-person
    rows or door entries (tenant admins get door entries as company counts only)."""
    scope = _scope(actor, group_by, tenant_id, period, now)
    found: dict[str, UsageRow] = {}
    _add_bookings(scope, found)
    _add_sessions(scope, found, inside=True)
    _add_sessions(scope, found, inside=False)
    _add_unbooked(scope, found)
    shows_entries = actor.is_manager or (actor.is_tenant_admin and group_by != "member")
    entries = _door_entries(scope) if shows_entries else {}

    open_resources = _open_resources(scope.resources.values(), period)
    capacity = opening_seconds(open_resources, period, building_hours)
    if group_by == "resource":  # every resource that was open has a row, used or not
        for resource in open_resources:
            scope.row(found, resource.id)
    rows = _merge(scope, found, entries, shows_entries)
    total = UsageRow(key="total", label="")
    for row in rows:
        total.add(row)
    total.capacity_s = sum(capacity.values())
    if not shows_entries:
        total.door_entries = None
    elif total.door_entries is None:
        total.door_entries = 0
    for row in rows:
        if group_by == "resource" and row.key.startswith("resource:"):
            row.capacity_s = capacity.get(int(row.key.split(":")[1]), 0.0)
        elif group_by != "resource":
            row.capacity_s = total.capacity_s
    return UsageReport(
        period=period,
        group_by=group_by,
        tenant_id=scope.tenant_id,
        now=now,
        rows=rows,
        total=total,
        shows_door_entries=shows_entries,
    )


# -- the grouped queries ----------------------------------------------------------------


def _key_column(group_by: str, *, tenant: Any, member: Any, resource: Any) -> Any:
    if group_by in ("tenant", "sector"):
        return tenant
    if group_by == "member":
        return member
    return resource


def _booking_look_back() -> dt.timedelta:
    longest = db.session.scalar(select(func.max(Resource.max_minutes))) or 0
    return max(LONGEST_BOOKING, dt.timedelta(minutes=int(longest)))


def _when(condition: ColumnElement[bool], value: Any) -> Any:
    return func.sum(case((condition, value), else_=0))


def _add_bookings(scope: _Scope, rows: dict[str, UsageRow]) -> None:
    period = scope.period
    lower, upper = seconds(period.start), seconds(period.end)
    start, end = epoch_seconds(Booking.start), epoch_seconds(Booking.end)
    clipped = overlap_seconds(start, end, lower, upper)
    key = _key_column(
        scope.group_by,
        tenant=Booking.tenant_id,
        member=Booking.booked_for_id,
        resource=Booking.resource_id,
    )
    # What each booking counts for, as grouping flags: the clipped hours are worked
    # out once per booking and added up per flag combination.
    confirmed = (Booking.status == BookingStatus.CONFIRMED).label("confirmed")
    billable = and_(
        billable_booking_clause(),
        Booking.resource_id.in_(scope.billed_by_booking),
        Booking.tenant_id.is_not(None),  # the incubator's own events are not billed
    ).label("billable")
    measured = Booking.resource_id.in_(scope.measured).label("measured")
    no_show = and_(
        Booking.status == BookingStatus.NO_SHOW,
        Booking.resource_id.in_(scope.guarded),
        Booking.start >= period.start,
    )
    query = (
        select(key, confirmed, billable, measured, func.sum(clipped), _when(no_show, 1))
        .where(
            Booking.start >= period.start - _booking_look_back(),
            Booking.start < period.end,
            Booking.end > period.start,
            Booking.status.in_(
                (BookingStatus.CONFIRMED, BookingStatus.NO_SHOW, BookingStatus.CANCELLED)
            ),
        )
        .group_by(key, confirmed, billable, measured)
    )
    if scope.tenant_id is not None:
        query = query.where(Booking.tenant_id == scope.tenant_id)
    for group, is_confirmed, is_billable, is_measured, secs, no_shows in db.session.execute(query):
        row = scope.row(rows, group)
        secs = float(secs or 0)
        if is_confirmed:
            row.booked_s += secs
            if not is_measured:  # occupied: bookings where no device measures the use
                row.occupied_s += secs
        if is_billable:
            row.billable_s += secs
        row.no_shows += int(no_shows or 0)


def _add_sessions(scope: _Scope, rows: dict[str, UsageRow], *, inside: bool) -> None:
    """Sessions wholly inside the period (no clipping: the cheap bulk), or the few
    reaching over its edges or still running (clipped, and shared out)."""
    period = scope.period
    start = epoch_seconds(UsageSession.started_at)
    if inside:
        used: Any = epoch_seconds(UsageSession.ended_at) - start
        busy: Any = UsageSession.busy_s
        idle: Any = UsageSession.idle_s
        count: Any = func.count()
        where = [
            UsageSession.started_at >= period.start,
            UsageSession.started_at < period.end,
            UsageSession.ended_at.is_not(None),
            UsageSession.ended_at <= period.end,
        ]
    else:
        end = func.coalesce(epoch_seconds(UsageSession.ended_at), seconds(scope.now))
        used = overlap_seconds(start, end, seconds(period.start), seconds(period.end))
        length = end - start
        share = case((length > 0, used / length), else_=0.0)
        busy, idle = UsageSession.busy_s * share, UsageSession.idle_s * share
        count = _when(
            and_(UsageSession.started_at >= period.start, UsageSession.started_at < period.end),
            1,
        )
        where = [
            UsageSession.started_at >= period.start - LONGEST_SESSION,
            UsageSession.started_at < period.end,
            or_(UsageSession.ended_at.is_(None), UsageSession.ended_at > period.start),
            or_(
                UsageSession.started_at < period.start,
                UsageSession.ended_at.is_(None),
                UsageSession.ended_at > period.end,
            ),
        ]
    key = _key_column(
        scope.group_by,
        tenant=UsageSession.tenant_id,
        member=UsageSession.member_id,
        resource=UsageSession.resource_id,
    )
    # Walk-in use is billed by its sessions (`billable_session_hours`), staff's is not.
    billable = and_(
        UsageSession.resource_id.in_(scope.billed_by_session),
        UsageSession.tenant_id.is_not(None),
    ).label("billable")
    measured = UsageSession.resource_id.in_(scope.measured).label("measured")
    query = (
        select(
            key,
            billable,
            measured,
            func.sum(used),
            func.sum(busy),
            func.sum(idle),
            func.max(UsageSession.busy_s + UsageSession.idle_s),
            count,
        )
        .where(*where)
        .group_by(key, billable, measured)
    )
    if scope.tenant_id is not None:
        query = query.where(UsageSession.tenant_id == scope.tenant_id)
    result = db.session.execute(query)
    for group, is_billable, is_measured, used_s, busy_s, idle_s, reported, started in result:
        row = scope.row(rows, group)
        used_s = float(used_s or 0)
        row.used_s += used_s
        if is_billable:
            row.billable_s += used_s
        if is_measured:  # occupied: what the devices measured, where they measure it
            row.occupied_s += used_s
        row.busy_s += float(busy_s or 0)
        row.idle_s += float(idle_s or 0)
        row.machine_reported = row.machine_reported or bool(reported)
        row.sessions += int(started or 0)


def _add_unbooked(scope: _Scope, rows: dict[str, UsageRow]) -> None:
    if not scope.required:
        return
    period = scope.period
    look_back = _booking_look_back()
    # A booking of the resource's parent (the whole Fablab) covers the machine too.
    parents = {
        rid: scope.resources[rid].parent_id
        for rid in scope.required
        if scope.resources[rid].parent_id is not None
    }
    resource_ids: list[Any] = [UsageSession.resource_id]
    if parents:
        resource_ids.append(case(parents, value=UsageSession.resource_id))
    covering = exists().where(
        Booking.tenant_id.is_not_distinct_from(UsageSession.tenant_id),
        Booking.start <= UsageSession.started_at,
        Booking.start >= shifted(UsageSession.started_at, -look_back.total_seconds()),
        Booking.end > UsageSession.started_at,
        Booking.status == BookingStatus.CONFIRMED,
        Booking.resource_id.in_(resource_ids),
    )
    key = _key_column(
        scope.group_by,
        tenant=UsageSession.tenant_id,
        member=UsageSession.member_id,
        resource=UsageSession.resource_id,
    )
    query = (
        select(key, func.count())
        .where(
            # coalesce: not an index condition, so the planner reads the period's range of
            # the covering report index rather than each resource's rows from the table
            func.coalesce(UsageSession.resource_id, 0).in_(scope.required),
            UsageSession.started_at >= period.start,
            UsageSession.started_at < period.end,
            ~covering,
        )
        .group_by(key)
    )
    if scope.tenant_id is not None:
        query = query.where(UsageSession.tenant_id == scope.tenant_id)
    for group, count in db.session.execute(query):
        scope.row(rows, group).unbooked_sessions += int(count)


def _door_entries(scope: _Scope) -> dict[str, int]:
    period = scope.period
    rows = db.session.execute(
        select(Device.id, Device.resource_id).where(Device.kind == DeviceKind.DOOR)
    )
    doors: dict[str, int | None] = {device_id: resource_id for device_id, resource_id in rows}
    if not doors:
        return {}
    key = _key_column(
        scope.group_by,
        tenant=AccessEvent.tenant_id,
        member=AccessEvent.member_id,
        resource=AccessEvent.device_id,
    )
    query = (
        select(key, func.count())
        .where(
            AccessEvent.device_id.in_(sorted(doors)),
            AccessEvent.device_time >= period.start,
            AccessEvent.device_time < period.end,
            AccessEvent.type == ENTRY_TYPE,
            AccessEvent.granted.is_(True),
        )
        .group_by(key)
    )
    if scope.tenant_id is not None:
        query = query.where(AccessEvent.tenant_id == scope.tenant_id)
    found: dict[str, int] = defaultdict(int)
    for group, count in db.session.execute(query):
        if scope.group_by == "resource":  # the door's resource; none: the building's entrance
            resource_id = doors.get(group)
            name = ENTRANCE if resource_id is None else f"resource:{resource_id}"
        else:
            name = _group_key(scope.group_by, group)
        found[name] += int(count)
    return found


# -- resources and labels -----------------------------------------------------------------


def _open_resources(resources: Iterable[Resource], period: Period) -> list[Resource]:
    """Resources that could be used in the period: active, or deactivated during it."""
    return [
        r
        for r in resources
        if (r.active or (r.deactivated_at is not None and r.deactivated_at > period.start))
        and (r.bookable or r.kind.value == "machine")
    ]


def _group_key(group_by: str, value: Any) -> str:
    if group_by in ("tenant", "sector"):
        return INCUBATOR if value is None else f"tenant:{value}"
    if value is None:
        return UNKNOWN
    return f"{group_by}:{value}"


def _merge(
    scope: _Scope,
    found: dict[str, UsageRow],
    entries: dict[str, int],
    shows_entries: bool,
) -> list[UsageRow]:
    """The rows with their labels and door entries (companies added up into sectors)."""
    tenant_ids = {int(k.split(":")[1]) for k in found if k.startswith("tenant:")}
    tenant_ids |= {int(k.split(":")[1]) for k in entries if k.startswith("tenant:")}
    tenants = {t.id: t for t in db.session.scalars(select(Tenant).where(Tenant.id.in_(tenant_ids)))}
    member_ids = {int(k.split(":")[1]) for k in found if k.startswith("member:")}
    member_ids |= {int(k.split(":")[1]) for k in entries if k.startswith("member:")}
    members = {m.id: m for m in db.session.scalars(select(Member).where(Member.id.in_(member_ids)))}

    def final_key(key: str) -> str:
        if scope.group_by == "sector" and key.startswith("tenant:"):
            tenant = tenants.get(int(key.split(":")[1]))
            return f"sector:{tenant.sector.value}" if tenant else UNKNOWN
        return key

    def label(key: str) -> str:
        kind, _, ident = key.partition(":")
        if kind == "tenant":
            return tenants[int(ident)].name if int(ident) in tenants else key
        if kind == "member":
            member = members.get(int(ident))
            return member.name if member else key
        if kind == "resource":
            resource = scope.resources.get(int(ident))
            return resource.name if resource else key
        return NAMES.get(key, key)  # incubator, entrance, sectors: message ids

    merged: dict[str, UsageRow] = {}
    for key, part in found.items():
        name = final_key(key)
        if name not in merged:
            merged[name] = UsageRow(key=name, label=label(name), translate=name in NAMES)
        merged[name].add(part)
    for key, count in entries.items():
        name = final_key(key)
        if name not in merged:
            merged[name] = UsageRow(key=name, label=label(name), translate=name in NAMES)
        merged[name].door_entries = (merged[name].door_entries or 0) + count
    for row in merged.values():
        if shows_entries and row.door_entries is None:
            row.door_entries = 0
    special = (INCUBATOR, ENTRANCE, UNKNOWN)
    return sorted(merged.values(), key=lambda r: (r.key in special, r.label.lower(), r.key))
