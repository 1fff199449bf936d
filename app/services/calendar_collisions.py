"""Bookings in the way of closures: listed for managers, never cancelled by an import."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import HOLDING_STATUSES, Booking, CalendarSource, Closure, Member, Resource

from .errors import N_, PermissionDenied

SOURCE_PREFIX = "calendar:"


@dataclass(frozen=True)
class Collision:
    """A booking that holds its slot inside an imported closure."""

    booking: Booking
    closure: Closure


def _affected_resources(resource_id: int | None) -> list[int] | None:
    """The resources a closure keeps from being booked (None: all of them).

    The booking rules' reach (`rules.find_closure`) read backwards: a closed
    resource's children, and the parent it belongs to.
    """
    if resource_id is None:
        return None
    resource = db.session.get(Resource, resource_id)
    if resource is None:
        return [resource_id]
    ids = [resource.id] + [child.id for child in resource.children]
    return ids + ([resource.parent_id] if resource.parent_id else [])


def bookings_in_closures(closures: Iterable[Closure], *, now: dt.datetime) -> list[Collision]:
    """Pending and confirmed bookings, not yet over, inside any of `closures`; soonest first."""
    found: dict[int, Collision] = {}
    for closure in closures:
        if closure.end <= now:
            continue
        query = (
            select(Booking)
            .options(
                joinedload(Booking.resource),
                joinedload(Booking.tenant),
                joinedload(Booking.booked_for),
            )
            .where(
                Booking.status.in_(HOLDING_STATUSES),
                Booking.start < closure.end,
                Booking.end > closure.start,
                Booking.end > now,
            )
        )
        affected = _affected_resources(closure.resource_id)
        if affected is not None:
            query = query.where(Booking.resource_id.in_(affected))
        for booking in db.session.scalars(query):
            found.setdefault(booking.id, Collision(booking, closure))
    return sorted(found.values(), key=lambda c: (c.booking.start, c.booking.id))


def imported_collisions(
    actor: Member, *, now: dt.datetime, source: CalendarSource | None = None
) -> list[Collision]:
    """Bookings in the way of imported closures (of one calendar, or of all)."""
    if not actor.is_manager:
        raise PermissionDenied(N_("Only managers manage imported calendars."))
    query = select(Closure).where(Closure.end > now).order_by(Closure.start, Closure.id)
    if source is not None:
        query = query.where(Closure.source == source.closure_source)
    else:
        query = query.where(Closure.source.like(f"{SOURCE_PREFIX}%"))
    return bookings_in_closures(db.session.scalars(query), now=now)
