"""Reading bookings: scoped lists, free/busy, and the week grid."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

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

from ..errors import N_, NotFound, ValidationFailed
from ..pagination import Page, paginate
from ..validation import SLUG_RE
from .claims import claim_window, claimed_resources
from .hours import open_intervals
from .rules import closing

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
    """What keeps the resource from being booked in [start, end): bookings and closures.

    The same things the booking rules check: claims on the resource and on its
    children (a booking of the whole Fablab cannot be made while one of its
    machines is booked; a Fablab booking claims each machine too), closures of
    the resource, its parent, its children and the building. A booking past its
    check-in deadline already counts as free, before the jobs runner releases it.
    """
    claims = db.session.scalars(
        select(BookingClaim)
        .options(joinedload(BookingClaim.booking).joinedload(Booking.resource))
        .where(
            BookingClaim.resource_id.in_([r.id for r in claimed_resources(resource)]),
            BookingClaim.block_start < end,
            BookingClaim.block_end > start,
        )
    )
    bookings = {c.booking.id: c.booking for c in claims}.values()
    intervals = [
        Interval(b.start, b.end, "booked", b)
        for b in bookings
        if b.status in HOLDING_STATUSES and not b.is_overdue_for_checkin(now)
    ]
    closures = db.session.scalars(select(Closure).where(closing(resource, start, end)))
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
    """Open and not taken: opening hours minus bookings (with buffers) and closures.

    Every booking made inside a free interval passes the conflict check: around
    each booking's claim the new booking's own buffers are kept free too.
    """
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
    taken: list[tuple[dt.datetime, dt.datetime]] = []
    for busy in busy_intervals(resource, start - before, end + after, now=now):
        if busy.booking is None:  # closures are checked without buffers
            taken.append((busy.start, busy.end))
            continue
        # A new booking [s, e) claims [s - before, e + after): it must not touch this claim.
        claim_start, claim_end = claim_window(busy.booking.resource, busy.start, busy.end)
        taken.append((claim_start - after, claim_end + before))
    taken = _merge(taken)
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


# -- lists for the booking pages ------------------------------------------------

ACTIVE_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED)


def _upcoming_or_past(
    query: Select[tuple[Booking]], *, upcoming: bool, now: dt.datetime
) -> Select[tuple[Booking]]:
    """Upcoming: still holding a slot and not over, soonest first; past: the rest, latest first."""
    active = Booking.status.in_(ACTIVE_STATUSES) & (Booking.end > now)
    if upcoming:
        return query.where(active).order_by(Booking.start, Booking.id)
    return query.where(~active).order_by(Booking.start.desc(), Booking.id.desc())


def member_bookings(
    member: Member, *, upcoming: bool, now: dt.datetime, page: int = 1, per_page: int = 50
) -> Page[Booking]:
    """The bookings a member made or is booked for, whatever their role."""
    query = visible_bookings_query(member).where(
        or_(Booking.booked_by_id == member.id, Booking.booked_for_id == member.id)
    )
    return paginate(
        _upcoming_or_past(query, upcoming=upcoming, now=now), page=page, per_page=per_page
    )


def company_bookings(
    actor: Member,
    *,
    upcoming: bool,
    now: dt.datetime,
    tenant_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[Booking]:
    """A tenant admin's company's bookings; managers see every tenant's (or one's)."""
    query = visible_bookings_query(actor)
    if not actor.is_manager:
        query = query.where(Booking.tenant_id == actor.tenant_id)
    elif tenant_id is not None:
        query = query.where(Booking.tenant_id == tenant_id)
    return paginate(
        _upcoming_or_past(query, upcoming=upcoming, now=now), page=page, per_page=per_page
    )


def count_pending_approvals(actor: Member) -> int:
    if not actor.is_manager:
        return 0
    return int(
        db.session.scalar(
            select(func.count()).select_from(Booking).where(Booking.status == BookingStatus.PENDING)
        )
        or 0
    )


def series_occurrences(booking: Booking, viewer: Member) -> list[Booking]:
    """Every occurrence of the booking's series that the viewer may see, in order."""
    if booking.series_id is None:
        return []
    return list(
        db.session.scalars(
            visible_bookings_query(viewer)
            .where(Booking.series_id == booking.series_id)
            .order_by(Booking.start, Booking.id)
        )
    )


def resource_to_book(actor: Member, slug: str) -> Resource:
    """`resources.get_resource` for booking: the same answers (an unknown or, for
    anyone but a manager, deactivated resource is not found), with its parent and its
    machines read by the same query, since the rules and the claims need them."""
    if not SLUG_RE.fullmatch(slug):
        raise NotFound(N_("No such resource."))
    family = db.session.scalars(_resource_family(), {"slug": slug}).all()
    resource = next((r for r in family if r.slug == slug), None)
    if resource is None or (not resource.active and not actor.is_manager):
        raise NotFound(N_("No such resource."))
    set_committed_value(resource, "children", [r for r in family if r.parent_id == resource.id])
    if resource.parent_id is not None:
        parent = next(r for r in family if r.id == resource.parent_id)
        set_committed_value(resource, "parent", parent)
    return resource


@functools.cache
def _resource_family() -> Select[tuple[Resource]]:
    """The resource named `slug`, its parent and its children: plain rows, which load
    faster than the same family joined."""
    named = select(Resource.id).where(Resource.slug == bindparam("slug")).scalar_subquery()
    above = select(Resource.parent_id).where(Resource.slug == bindparam("slug"))
    return select(Resource).where(
        or_(
            Resource.slug == bindparam("slug"),
            Resource.parent_id == named,
            Resource.id == above.scalar_subquery(),
        )
    )


def bookable_resources() -> list[Resource]:
    """Active, bookable resources, each top-level one followed by its children."""
    items = list(
        db.session.scalars(
            select(Resource)
            .where(Resource.active.is_(True), Resource.bookable.is_(True))
            .order_by(Resource.name, Resource.id)
        )
    )
    listed = {r.id for r in items}
    ordered: list[Resource] = []
    for resource in items:
        if resource.parent_id is None or resource.parent_id not in listed:
            ordered.append(resource)
            ordered.extend(c for c in items if c.parent_id == resource.id)
    return ordered


def checkin_open(booking: Booking, now: dt.datetime) -> bool:
    """Can the booking be checked in right now (the same window `lifecycle.check_in` allows)?"""
    from .lifecycle import CHECKIN_EARLY

    deadline = booking.checkin_deadline()
    return (
        deadline is not None
        and booking.status == BookingStatus.CONFIRMED
        and booking.checked_in_at is None
        and booking.start - CHECKIN_EARLY <= now <= deadline
    )
