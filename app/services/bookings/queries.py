"""Reading bookings: scoped lists, free/busy, and the week grid."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import (
    HOLDING_STATUSES,
    Booking,
    BookingClaim,
    BookingStatus,
    Closure,
    Member,
    Privacy,
    Resource,
)

from ..errors import N_, ValidationFailed
from ..pagination import Page, paginate
from .hours import open_intervals

MAX_RANGE = dt.timedelta(days=370)


def visible_bookings_query(actor: Member) -> Select[tuple[Booking]]:
    query = select(Booking).options(
        joinedload(Booking.resource), joinedload(Booking.booked_for), joinedload(Booking.tenant)
    )
    if actor.is_manager:
        return query
    if actor.is_tenant_admin:
        return query.where(Booking.tenant_id == actor.tenant_id)
    return query.where(or_(Booking.booked_by_id == actor.id, Booking.booked_for_id == actor.id))


def check_range(start: dt.datetime, end: dt.datetime) -> None:
    if end <= start:
        raise ValidationFailed({"end": N_("The end must be after the start.")})
    if end - start > MAX_RANGE:
        raise ValidationFailed({"end": N_("Ask for at most a year at a time.")})


def list_bookings(
    actor: Member,
    *,
    resource: Resource | None = None,
    tenant_id: int | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    statuses: tuple[BookingStatus, ...] | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[Booking]:
    query = visible_bookings_query(actor)
    if resource is not None:
        query = query.where(Booking.resource_id == resource.id)
    if tenant_id is not None:
        query = query.where(Booking.tenant_id == tenant_id)
    if start is not None:
        query = query.where(Booking.end > start)
    if end is not None:
        query = query.where(Booking.start < end)
    if statuses:
        query = query.where(Booking.status.in_(statuses))
    return paginate(query.order_by(Booking.start, Booking.id), page=page, per_page=per_page)


def pending_approvals(actor: Member) -> list[Booking]:
    if not actor.is_manager:
        return []
    return list(
        db.session.scalars(
            visible_bookings_query(actor)
            .where(Booking.status == BookingStatus.PENDING)
            .order_by(Booking.start)
        )
    )


@dataclass(frozen=True)
class Interval:
    start: dt.datetime
    end: dt.datetime
    kind: str  # "booked", "closed", "free"
    booking: Booking | None = None


def _merge(
    intervals: list[tuple[dt.datetime, dt.datetime]],
) -> list[tuple[dt.datetime, dt.datetime]]:
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def busy_intervals(
    resource: Resource, start: dt.datetime, end: dt.datetime, *, now: dt.datetime
) -> list[Interval]:
    """What holds the resource in [start, end): bookings (own claims) and closures.

    A booking past its check-in deadline already counts as free, before the
    jobs runner gets to release it.
    """
    claims = db.session.scalars(
        select(BookingClaim)
        .options(joinedload(BookingClaim.booking).joinedload(Booking.resource))
        .where(
            BookingClaim.resource_id == resource.id,
            BookingClaim.block_start < end,
            BookingClaim.block_end > start,
        )
    )
    intervals = [
        Interval(c.booking.start, c.booking.end, "booked", c.booking)
        for c in claims
        if c.booking.status in HOLDING_STATUSES and not c.booking.is_overdue_for_checkin(now)
    ]
    ids = [resource.id] + ([resource.parent_id] if resource.parent_id else [])
    closures = db.session.scalars(
        select(Closure).where(
            or_(Closure.resource_id.is_(None), Closure.resource_id.in_(ids)),
            Closure.start < end,
            Closure.end > start,
        )
    )
    intervals += [Interval(c.start, c.end, "closed") for c in closures]
    return sorted(intervals, key=lambda i: (i.start, i.end))


def free_intervals(
    resource: Resource,
    start: dt.datetime,
    end: dt.datetime,
    *,
    now: dt.datetime,
    zone: ZoneInfo,
    building_hours: dict[str, Any],
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Open and not taken: opening hours minus bookings (with their buffers) and closures."""
    hours = resource.opening_hours
    if hours is None and resource.parent is not None:
        hours = resource.parent.opening_hours
    hours = hours if hours is not None else building_hours
    opened = open_intervals(
        hours,
        zone,
        start.astimezone(zone).date() - dt.timedelta(days=1),
        end.astimezone(zone).date(),
    )
    before = dt.timedelta(minutes=resource.buffer_before_minutes)
    after = dt.timedelta(minutes=resource.buffer_after_minutes)
    taken = _merge(
        [(i.start - before, i.end + after) for i in busy_intervals(resource, start, end, now=now)]
    )
    free: list[tuple[dt.datetime, dt.datetime]] = []
    for o_start, o_end in opened:
        cursor = max(o_start, start)
        stop = min(o_end, end)
        for t_start, t_end in taken:
            if t_end <= cursor or t_start >= stop:
                continue
            if t_start > cursor:
                free.append((cursor, t_start))
            cursor = max(cursor, t_end)
        if cursor < stop:
            free.append((cursor, stop))
    return free


def label_for(booking: Booking, viewer: Member) -> str:
    """What others may see of a booking, by the resource's privacy setting."""
    if booking.is_visible_to(viewer):
        return booking.title or booking.booked_for.name
    privacy = booking.resource.privacy
    if booking.tenant is None:
        return "incubator"
    if privacy == Privacy.COMPANY:
        return booking.tenant.name
    if privacy == Privacy.COMPANY_AND_MEMBER:
        return f"{booking.tenant.name}: {booking.booked_for.name}"
    return ""
