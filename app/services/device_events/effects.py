"""What an ingested event changes beyond its own row: qualification renewal and check-in.

Both happen here, at ingest, and never on the access-decision path.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.extensions import db
from app.models import Booking, BookingStatus, Qualification, Resource

from ..bookings.lifecycle import CHECKIN_EARLY
from ..device_outbox import request_acl_refresh_for_resource


def renew_qualification(*, member_id: int, resource_id: int, at: dt.datetime) -> bool:
    """A session started: the member used their training (``last_used_at``), and on a
    resource whose qualifications lapse after N days unused, the expiry moves on.

    Returns True when the expiry changed (the devices of the resource are told).
    """
    qualification = db.session.scalar(
        select(Qualification).where(
            Qualification.member_id == member_id,
            Qualification.resource_id == resource_id,
            Qualification.revoked_at.is_(None),
        )
    )
    if qualification is None:
        return False
    if qualification.last_used_at is None or at > qualification.last_used_at:
        qualification.last_used_at = at
    resource = db.session.get(Resource, resource_id)
    days = resource.qualification_valid_days if resource is not None else None
    if not days or qualification.expires_at is None:
        return False
    renewed = at + dt.timedelta(days=days)
    if renewed <= qualification.expires_at:
        return False
    qualification.expires_at = renewed
    request_acl_refresh_for_resource(resource_id, reason="qualification.renewed")
    return True


def check_in_booking(
    *, resource_id: int, member_id: int, tenant_id: int | None, at: dt.datetime
) -> Booking | None:
    """A badge admitted at a resource whose bookings need a check-in: check the booking in.

    The booking is a confirmed one of the member's company (or booked for the
    member) within its check-in window (15 minutes before the start until the
    deadline), the same window the check-in page uses.
    """
    candidates = db.session.scalars(
        select(Booking)
        .join(Resource, Resource.id == Booking.resource_id)
        .where(
            Booking.resource_id == resource_id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.checked_in_at.is_(None),
            Resource.checkin_required.is_(True),
            Booking.start <= at + CHECKIN_EARLY,
            Booking.end > at,
        )
        .order_by(Booking.start)
    )
    for booking in candidates:
        ours = booking.booked_for_id == member_id or (
            tenant_id is not None and booking.tenant_id == tenant_id
        )
        deadline = booking.checkin_deadline() or booking.end
        if ours and at <= deadline:
            booking.checked_in_at = at
            booking.touch(at)
            return booking
    return None
