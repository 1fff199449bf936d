"""Billable hours (the one definition) and the tenant quota check.

Billable hours of a tenant for a period: the booked hours of its confirmed
bookings (late cancellations and no-shows included) on resources billed by
booking. Resources billed by booking are the bookable ones except machines
that do not need a booking to be used (a 3D printer used walk-in is billed by
its usage sessions, which the gateway records). Hours are counted in the
facility's time zone and split at month boundaries.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select

from app.extensions import db
from app.models import Booking, BookingStatus, Resource, ResourceKind, Tenant

from ..errors import N_, RuleViolation

BILLABLE_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.NO_SHOW, BookingStatus.CANCELLED)


def billed_by_booking(resource: Resource) -> bool:
    return _billed(resource.bookable, resource.kind, resource.booking_required_for_use)


def _billed(bookable: bool, kind: ResourceKind, booking_required_for_use: bool) -> bool:
    if not bookable:
        return False
    return kind != ResourceKind.MACHINE or booking_required_for_use


def month_bounds(moment: dt.datetime, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    local = moment.astimezone(zone)
    first = dt.datetime(local.year, local.month, 1, tzinfo=zone)
    following = dt.datetime(local.year + (local.month == 12), local.month % 12 + 1, 1, tzinfo=zone)
    return first.astimezone(dt.UTC), following.astimezone(dt.UTC)


def _hours(start: dt.datetime, end: dt.datetime) -> Decimal:
    return (Decimal((end - start).total_seconds()) / Decimal(3600)).quantize(Decimal("0.01"))


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
    statuses = list(BILLABLE_STATUSES) + ([BookingStatus.PENDING] if include_pending else [])
    # Only the columns needed, not whole objects: a month can hold many bookings, and
    # this runs on every booking of a company with a plan.
    query = (
        select(
            Booking.start,
            Booking.end,
            Resource.bookable,
            Resource.kind,
            Resource.booking_required_for_use,
        )
        .join(Resource, Booking.resource_id == Resource.id)
        .where(
            Booking.tenant_id == tenant_id,
            Resource.kind == kind,
            Booking.start < end,
            Booking.end > start,
            Booking.status.in_(statuses),
            # a cancelled booking counts only when it was cancelled too late
            or_(Booking.status != BookingStatus.CANCELLED, Booking.late_change.is_(True)),
        )
    )
    if exclude_booking_ids:
        query = query.where(and_(Booking.id.not_in(exclude_booking_ids)))
    total = Decimal(0)
    for booking_start, booking_end, *billing in db.session.execute(query):
        if _billed(*billing):
            total += _hours(max(booking_start, start), min(booking_end, end))
    return total


def lock_tenant(tenant: Tenant) -> None:
    """Serialise quota checks of one tenant (SQLite: the write transaction already is)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Tenant.id).where(Tenant.id == tenant.id).with_for_update())


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
