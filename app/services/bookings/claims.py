"""The claims that guard a booking's slot, and the conflict check that names what is in the way.

A booking claims its own resource; a parent (the whole Fablab) also claims
each of its children. Buffers widen every claim. The application check here
gives a friendly answer; the database (exclusion constraint or trigger)
refuses an overlap that slips past it in a race.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.extensions import db
from app.models import Booking, BookingClaim, Resource

from ..errors import N_, Conflict


def claim_window(
    resource: Resource, start: dt.datetime, end: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    return (
        start - dt.timedelta(minutes=resource.buffer_before_minutes),
        end + dt.timedelta(minutes=resource.buffer_after_minutes),
    )


def claimed_resources(resource: Resource) -> list[Resource]:
    return [resource, *[child for child in resource.children if child.active]]


def find_conflicts(
    resource: Resource,
    start: dt.datetime,
    end: dt.datetime,
    *,
    ignore_booking_ids: set[int] = frozenset(),  # type: ignore[assignment]
) -> list[Booking]:
    block_start, block_end = claim_window(resource, start, end)
    ids = [r.id for r in claimed_resources(resource)]
    query = (
        select(Booking)
        .join(BookingClaim, BookingClaim.booking_id == Booking.id)
        .where(
            BookingClaim.resource_id.in_(ids),
            BookingClaim.block_start < block_end,
            BookingClaim.block_end > block_start,
        )
        .distinct()
        .order_by(Booking.start)
    )
    if ignore_booking_ids:
        query = query.where(Booking.id.not_in(ignore_booking_ids))
    return list(db.session.scalars(query))


def conflict_error(conflicts: list[Booking] | list[tuple[dt.datetime, dt.datetime]]) -> Conflict:
    intervals = [(c.start, c.end) if isinstance(c, Booking) else c for c in conflicts]
    error = Conflict(N_("This time is already booked."), rule="conflict")
    error.conflicts = intervals  # type: ignore[attr-defined]
    return error


# PostgreSQL checks an exclusion constraint after inserting the index entry, so two
# transactions inserting overlapping claims at once can each wait for the other: one
# of them is then refused with a deadlock error instead of a constraint violation.
DEADLOCK_DETECTED = "40P01"


def _lost_a_race(exc: DBAPIError) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    return getattr(exc.orig, "sqlstate", None) == DEADLOCK_DETECTED


def place_claims(booking: Booking) -> None:
    """Write the booking's claims; the database refuses them if anything overlaps.

    A refusal (a race the check above could not see) is a Conflict, and it leaves the
    transaction failed: the edge that turns the Conflict into an answer rolls it back.
    """
    block_start, block_end = claim_window(booking.resource, booking.start, booking.end)
    booking.claims = [
        BookingClaim(resource_id=resource.id, block_start=block_start, block_end=block_end)
        for resource in claimed_resources(booking.resource)
    ]
    try:
        db.session.flush()
    except DBAPIError as exc:
        if not _lost_a_race(exc):
            raise
        raise conflict_error([(booking.start, booking.end)]) from exc


def drop_claims(booking: Booking) -> None:
    booking.claims = []
