"""Billable hours (the one definition) and the tenant quota check.

Billable hours of a tenant for a period: the booked hours of its confirmed
bookings (late cancellations and no-shows included) on resources billed by
booking. Resources billed by booking are the bookable ones except machines
that do not need a booking to be used (a 3D printer used walk-in is billed by
its usage sessions, which the gateway records). Hours are counted in the
facility's time zone and split at month boundaries.

`billable_hours` counts the bookings (the quota check needs only those);
`billable_session_hours` the walk-in sessions; a statement bills their sum.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, Select, and_, bindparam, case, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from app.extensions import db
from app.models import Booking, BookingStatus, Resource, ResourceKind, Tenant, UsageSession

from ..errors import N_, RuleViolation

BILLABLE_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.NO_SHOW, BookingStatus.CANCELLED)
# No booking lasts longer: the booking rules keep each within its resource's maximum
# length, which the resources service caps at 14 days (`resources.FIELDS`).
LONGEST_BOOKING = dt.timedelta(days=14)
# No usage session lasts longer (devices end them at the resource's maximum, the gateway
# closes silent ones after 24 h): a period's sessions are read from this much before
# it, so the cost of a month does not grow with the history.
LONGEST_SESSION = dt.timedelta(days=7)


def billable_booking_clause(*, include_pending: bool = False) -> ColumnElement[bool]:
    """Which bookings count, by status, as SQL (the usage reports sum them in the database).

    Confirmed bookings and no-shows; a cancelled booking only when it was cancelled
    too late. Whether its resource is billed by booking is `billed_by_booking`'s call.
    """
    statuses = list(BILLABLE_STATUSES) + ([BookingStatus.PENDING] if include_pending else [])
    return and_(
        Booking.status.in_(statuses),
        or_(Booking.status != BookingStatus.CANCELLED, Booking.late_change.is_(True)),
    )


def billed_by_booking(resource: Resource) -> bool:
    return _billed(resource.bookable, resource.kind, resource.booking_required_for_use)


def _billed(bookable: bool, kind: ResourceKind, booking_required_for_use: bool) -> bool:
    if not bookable:
        return False
    return kind != ResourceKind.MACHINE or booking_required_for_use


def _billed_by_booking_clause() -> ColumnElement[bool]:
    """`_billed` as SQL, on the `Resource` joined to the bookings: keep the two alike."""
    return and_(
        Resource.bookable.is_(True),
        or_(Resource.kind != ResourceKind.MACHINE, Resource.booking_required_for_use.is_(True)),
    )


def month_bounds(moment: dt.datetime, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    local = moment.astimezone(zone)
    first = dt.datetime(local.year, local.month, 1, tzinfo=zone)
    following = dt.datetime(local.year + (local.month == 12), local.month % 12 + 1, 1, tzinfo=zone)
    return first.astimezone(dt.UTC), following.astimezone(dt.UTC)


def _hours(start: dt.datetime, end: dt.datetime) -> Decimal:
    return _hours_of((end - start).total_seconds())


def _hours_of(seconds: float) -> Decimal:
    return (Decimal(seconds) / Decimal(3600)).quantize(Decimal("0.01"))


class _seconds_between(FunctionElement[int]):
    """Whole seconds from one stored instant to a later one, in either database."""

    type = Integer()
    inherit_cache = True
    name = "seconds_between"


@compiles(_seconds_between, "sqlite")
def _seconds_sqlite(element: _seconds_between, compiler: Any, **kw: Any) -> str:
    # Instants are stored as UTC text ("2026-11-01 10:00:00.000000"): julianday reads it.
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(ROUND((julianday({later}) - julianday({earlier})) * 86400) AS INTEGER)"


@compiles(_seconds_between)
def _seconds_default(element: _seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(ROUND(EXTRACT(EPOCH FROM ({later}) - ({earlier}))) AS INTEGER)"


def billable_hours(
    *,
    tenant_id: int,
    kind: ResourceKind,
    start: dt.datetime,
    end: dt.datetime,
    include_pending: bool = False,
    exclude_booking_ids: frozenset[int] = frozenset(),
) -> Decimal:
    """Billable booked hours of `tenant_id` on resources of `kind` within [start, end).

    `include_pending` counts requests awaiting approval too: the quota check
    uses it, so two requests cannot together slip past a plan.
    """
    values: dict[str, Any] = {
        "tenant_id": tenant_id,
        "kind": kind,
        "start": start,
        "end": end,
        "ends_before": end + LONGEST_BOOKING,
    }
    if exclude_booking_ids:
        values["excluded"] = list(exclude_booking_ids)
    statement = _billable_pieces(include_pending, excluding=bool(exclude_booking_ids))
    total = Decimal(0)
    for seconds, count in db.session.execute(statement, values):
        total += _hours_of(seconds) * count
    return total


@functools.cache
def _billable_pieces(include_pending: bool, *, excluding: bool) -> Select[tuple[int, int]]:
    """How many billable bookings last how long within [start, end) (clipped to it).

    This runs on every booking of a company with a plan, and a month can hold many
    bookings: the database clips and counts them, and each length is rounded as `_hours`
    rounds one booking. Built once; the values are bound at each run.
    """
    start = bindparam("start", type_=Booking.start.type)
    end = bindparam("end", type_=Booking.end.type)
    piece = (
        select(
            _seconds_between(
                case((Booking.end > end, end), else_=Booking.end),
                case((Booking.start < start, start), else_=Booking.start),
            ).label("seconds")
        )
        .join(Resource, Booking.resource_id == Resource.id)
        .where(
            Booking.tenant_id == bindparam("tenant_id"),
            Resource.kind == bindparam("kind"),
            Booking.start < end,
            Booking.end > start,
            # Implied by the line above: it bounds the index range from both sides, so
            # the company's bookings of the months ahead are not read.
            Booking.end < bindparam("ends_before", type_=Booking.end.type),
            billable_booking_clause(include_pending=include_pending),
            _billed_by_booking_clause(),
        )
    )
    if excluding:
        piece = piece.where(Booking.id.not_in(bindparam("excluded", expanding=True)))
    pieces = piece.subquery()
    return select(pieces.c.seconds, func.count()).group_by(pieces.c.seconds)


def billable_session_hours(
    *, tenant_id: int, kind: ResourceKind, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> Decimal:
    """Billable session hours of `tenant_id` on resources of `kind` within [start, end).

    The other half of billable hours: machines used without a booking (walk-in) are
    billed by the usage sessions their devices report; an open session counts up to
    `now`. Sessions on resources billed by booking add nothing (the booking is billed).
    """
    query = (
        select(
            UsageSession.started_at,
            UsageSession.ended_at,
            Resource.bookable,
            Resource.kind,
            Resource.booking_required_for_use,
        )
        .join(Resource, UsageSession.resource_id == Resource.id)
        .where(
            UsageSession.tenant_id == tenant_id,
            Resource.kind == kind,
            UsageSession.started_at >= start - LONGEST_SESSION,
            UsageSession.started_at < end,
            or_(UsageSession.ended_at.is_(None), UsageSession.ended_at > start),
        )
    )
    total = Decimal(0)
    for session_start, session_end, *billing in db.session.execute(query):
        piece_start, piece_end = max(session_start, start), min(session_end or now, end)
        if not _billed(*billing) and piece_end > piece_start:
            total += _hours(piece_start, piece_end)
    return total


def lock_tenant(tenant: Tenant) -> None:
    """Serialise quota checks of one tenant (SQLite: the write transaction already is)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_tenant_lock(), {"tenant_id": tenant.id})


@functools.cache
def _tenant_lock() -> Select[tuple[int]]:
    return select(Tenant.id).where(Tenant.id == bindparam("tenant_id")).with_for_update()


def check_quota(
    *,
    tenant: Tenant | None,
    resource: Resource,
    start: dt.datetime,
    end: dt.datetime,
    zone: ZoneInfo,
    replacing: frozenset[int] = frozenset(),
) -> None:
    """Refuse a booking that would take the tenant past its plan, unless overage is allowed.

    The incubator's own events (no tenant) use no quota.
    """
    if tenant is None:
        return
    plan = tenant.quota_hours
    if plan is None or tenant.allow_overage or not billed_by_booking(resource):
        return
    lock_tenant(tenant)
    included = Decimal(str(plan.get(resource.kind.value, 0)))
    cursor = start
    while cursor < end:
        month_start, month_end = month_bounds(cursor, zone)
        piece_end = min(end, month_end)
        used = billable_hours(
            tenant_id=tenant.id,
            kind=resource.kind,
            start=month_start,
            end=month_end,
            include_pending=True,
            exclude_booking_ids=replacing,
        )
        wanted = _hours(cursor, piece_end)
        if used + wanted > included:
            left = max(Decimal(0), included - used)
            raise RuleViolation(
                N_(
                    "This booking needs %(wanted)s h but your company has %(left)s h of "
                    "%(included)s h left for this month."
                ),
                params={"wanted": wanted, "left": left, "included": included},
                rule="quota_exceeded",
            )
        cursor = piece_end
