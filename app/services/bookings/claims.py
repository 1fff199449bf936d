"""The claims that guard a booking's slot, and the conflict check that names what is in the way.

A booking claims its own resource; a parent (the whole Fablab) also claims
each of its children. Buffers widen every claim. The application check here
gives a friendly answer; the database (exclusion constraint or trigger)
refuses an overlap that slips past it in a race.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    CompoundSelect,
    Integer,
    Select,
    String,
    bindparam,
    cast,
    func,
    insert,
    literal_column,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.dml import Insert, ReturningInsert

from app.extensions import db
from app.models import Booking, BookingClaim, Closure, Device, Resource

from ..errors import N_, Conflict
from .quota import LONGEST_BOOKING
from .rules import closing_any, closure_reach


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


# No claim lasts longer: the longest booking and a buffer of at most a day on each side
# (the resources service caps both).
LONGEST_CLAIM = LONGEST_BOOKING + dt.timedelta(days=2)


@dataclass(frozen=True)
class Survey:
    """What one look at a slot found: the bookings whose claims overlap it, the closures
    that close it, and (when asked) the devices a change of the resource concerns."""

    booking_ids: list[int]
    closure_ids: list[int]
    device_ids: list[str]


def survey_slot(
    resource: Resource,
    start: dt.datetime,
    end: dt.datetime,
    *,
    with_devices: bool = False,
) -> Survey:
    """The conflict check, the closure check and the devices to tell, in one round trip.

    The same conditions as `find_conflicts` and `rules.find_closure`; only ids come
    back, so the usual answer (nothing in the way) loads no objects. Devices: the
    active ones at the resource or at one of its machines (a booking of the whole
    Fablab concerns them all).
    """
    block_start, block_end = claim_window(resource, start, end)
    values: dict[str, Any] = {
        "claimed": [r.id for r in claimed_resources(resource)],
        "block_start": block_start,
        "block_end": block_end,
        "claims_end_before": block_end + LONGEST_CLAIM,
        "reach": closure_reach(resource),
        "start": start,
        "end": end,
    }
    if with_devices:
        values["device_resources"] = [resource.id, *(c.id for c in resource.children)]
    found = Survey([], [], [])
    for row_kind, row_ref, row_device in db.session.execute(_survey(with_devices), values):
        if row_kind == "booking":
            if row_ref not in found.booking_ids:  # a Fablab booking claims each machine
                found.booking_ids.append(row_ref)
        elif row_kind == "closure":
            found.closure_ids.append(row_ref)
        else:
            found.device_ids.append(row_device)
    found.device_ids.sort()
    return found


@functools.cache
def _survey(with_devices: bool) -> CompoundSelect:
    """`survey_slot`'s query, built once; the values are bound at each run."""
    at = Booking.start.type
    parts: list[Select[Any]] = [
        select(
            literal_column("'booking'").label("kind"),
            BookingClaim.booking_id.label("ref"),
            cast(null(), String).label("device"),
        ).where(
            BookingClaim.resource_id.in_(bindparam("claimed", expanding=True)),
            BookingClaim.block_start < bindparam("block_end", type_=at),
            BookingClaim.block_end > bindparam("block_start", type_=at),
            # Implied by the line before last: it bounds the index range from both sides,
            # so the resource's claims further ahead are not read.
            BookingClaim.block_end < bindparam("claims_end_before", type_=at),
        ),
        select(literal_column("'closure'"), Closure.id, cast(null(), String)).where(
            closing_any(
                bindparam("reach", expanding=True),
                bindparam("start", type_=at),
                bindparam("end", type_=at),
            )
        ),
    ]
    if with_devices:
        parts.append(
            select(literal_column("'device'"), cast(null(), Integer), Device.id).where(
                Device.active.is_(True),
                Device.resource_id.in_(bindparam("device_resources", expanding=True)),
            )
        )
    return union_all(*parts)


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


def insert_booking(resource: Resource, **values: Any) -> Booking:
    """A new booking of `resource` and its claims, as plain INSERTs (`NEW_BOOKING` columns).

    The ORM's unit of work costs more than the rest of a booking's writes together, and
    a new booking needs none of it: the row comes back from the database (RETURNING)
    and joins the session as a loaded object, as if it had been read. PostgreSQL writes
    the booking and its claims in one statement, SQLite in two. The claims are refused
    like `place_claims`'s if anything overlaps.
    """
    if db.session.new or db.session.dirty or db.session.deleted:
        db.session.flush()  # released no-shows and a new series go first
    values["resource_id"] = resource.id
    block_start, block_end = claim_window(resource, values["start"], values["end"])
    claimed = [r.id for r in claimed_resources(resource)]
    try:
        if db.session.get_bind().dialect.name == "postgresql":
            row = db.session.execute(
                _insert_booking_and_claims(),
                {**values, "claimed": claimed, "claim_start": block_start, "claim_end": block_end},
            ).one()
        else:
            row = db.session.execute(_insert_booking(), values).one()
            claims = [
                {
                    "booking_id": row.id,
                    "resource_id": r,
                    "block_start": block_start,
                    "block_end": block_end,
                }
                for r in claimed
            ]
            db.session.execute(_insert_claim(), claims[0] if len(claims) == 1 else claims)
    except DBAPIError as exc:
        if not _lost_a_race(exc):
            raise
        raise conflict_error([(values["start"], values["end"])]) from exc
    booking = Booking(**row._mapping)
    make_transient_to_detached(booking)
    db.session.add(booking)
    set_committed_value(booking, "resource", resource)
    return booking


NEW_BOOKING = (
    "resource_id",
    "tenant_id",
    "booked_by_id",
    "booked_for_id",
    "title",
    "start",
    "end",
    "status",
    "series_id",
    "created_at",
    "updated_at",
)


def _new_booking_row() -> Insert:
    table = Booking.__table__
    return insert(table).values(  # type: ignore[arg-type]
        {name: bindparam(name, type_=table.c[name].type) for name in NEW_BOOKING}
    )


@functools.cache
def _insert_booking() -> ReturningInsert[Any]:
    return _new_booking_row().returning(*Booking.__table__.c)


@functools.cache
def _insert_claim() -> Insert:
    return insert(BookingClaim.__table__)  # type: ignore[arg-type]


@functools.cache
def _insert_booking_and_claims() -> Select[Any]:
    """PostgreSQL: the booking, and a claim for each of `claimed`, in one statement."""
    new = _new_booking_row().returning(*Booking.__table__.c).cte("new_booking")
    at = Booking.start.type
    claimed = (
        func.unnest(bindparam("claimed", type_=ARRAY(Integer)))
        .table_valued("resource_id")
        .render_derived()
    )
    claims = (
        insert(BookingClaim.__table__)  # type: ignore[arg-type]
        .from_select(
            ["booking_id", "resource_id", "block_start", "block_end"],
            select(
                new.c.id,
                claimed.c.resource_id,
                bindparam("claim_start", type_=at),
                bindparam("claim_end", type_=at),
            )
            .select_from(new)
            .join(claimed, true()),
        )
        .cte("new_claims")
    )
    return select(new).add_cte(claims)


def drop_claims(booking: Booking) -> None:
    booking.claims = []
