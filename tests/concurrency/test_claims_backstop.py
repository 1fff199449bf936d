"""The database's own guarantee, without the application's check in front of it: two
overlapping claims on one resource are refused (a trigger on SQLite, an exclusion
constraint on PostgreSQL), and the service answers that refusal as a Conflict."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.exc import IntegrityError

from app.models import Booking, BookingClaim, BookingStatus
from app.services.bookings.claims import insert_booking, place_claims
from app.services.errors import Conflict

pytestmark = pytest.mark.db

TEN = dt.datetime(2030, 3, 6, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def member(make_member):
    return make_member()


def booking(member, resource, start, end):
    return Booking(
        resource=resource,
        tenant=member.tenant,
        booked_by=member,
        booked_for=member,
        start=start,
        end=end,
        status=BookingStatus.CONFIRMED,
    )


def test_the_database_refuses_an_overlapping_claim(db_session, member, make_resource):
    room = make_resource()
    first = booking(member, room, TEN, TEN + HOUR)
    first.claims = [BookingClaim(resource_id=room.id, block_start=TEN, block_end=TEN + HOUR)]
    db_session.add(first)
    db_session.commit()
    second = booking(member, room, TEN + HOUR / 2, TEN + 2 * HOUR)
    second.claims = [
        BookingClaim(resource_id=room.id, block_start=TEN + HOUR / 2, block_end=TEN + 2 * HOUR)
    ]
    db_session.add(second)
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()


def test_touching_claims_and_other_resources_are_fine(db_session, member, make_resource):
    room, kitchen = make_resource(), make_resource()
    for resource, start in ((room, TEN), (room, TEN + HOUR), (kitchen, TEN)):
        row = booking(member, resource, start, start + HOUR)
        row.claims = [
            BookingClaim(resource_id=resource.id, block_start=start, block_end=start + HOUR)
        ]
        db_session.add(row)
    db_session.commit()
    assert db_session.query(BookingClaim).count() == 3


def test_place_claims_answers_the_refusal_as_a_conflict(db_session, member, make_resource):
    room = make_resource()
    first = booking(member, room, TEN, TEN + HOUR)
    db_session.add(first)
    place_claims(first)
    db_session.commit()
    second = booking(member, room, TEN, TEN + HOUR)
    db_session.add(second)
    with pytest.raises(Conflict) as caught:
        place_claims(second)  # no application check before it: only the database refuses
    assert caught.value.conflicts == [(TEN, TEN + HOUR)]
    db_session.rollback()
    assert db_session.query(Booking).count() == 1


def test_a_whole_fablab_claim_is_refused_by_a_machines_claim(db_session, member, make_resource):
    fablab = make_resource()
    laser = make_resource(kind="machine", parent=fablab)
    machine_booking = booking(member, laser, TEN, TEN + HOUR)
    db_session.add(machine_booking)
    place_claims(machine_booking)
    db_session.commit()
    workshop = booking(member, fablab, TEN - HOUR, TEN + 2 * HOUR)
    db_session.add(workshop)
    with pytest.raises(Conflict):
        place_claims(workshop)
    db_session.rollback()


def new_booking(member, resource, start, end):
    """`insert_booking`, the way a new booking is written: no application check before it."""
    return insert_booking(
        resource,
        tenant_id=member.tenant_id,
        booked_by_id=member.id,
        booked_for_id=member.id,
        title="",
        start=start,
        end=end,
        status=BookingStatus.CONFIRMED,
        series_id=None,
        created_at=TEN - 24 * HOUR,
        updated_at=TEN - 24 * HOUR,
    )


def test_insert_booking_writes_the_booking_and_a_claim_per_machine(
    db_session, member, make_resource
):
    fablab = make_resource()
    laser, cnc = (make_resource(kind="machine", parent=fablab) for _ in range(2))
    workshop = new_booking(member, fablab, TEN, TEN + HOUR)
    assert workshop.id is not None
    assert (workshop.sequence, workshop.note, workshop.resource) == (0, "", fablab)
    db_session.commit()
    claims = db_session.query(BookingClaim).filter(BookingClaim.booking_id == workshop.id)
    assert sorted(c.resource_id for c in claims) == sorted([fablab.id, laser.id, cnc.id])
    assert {(c.block_start, c.block_end) for c in claims} == {(TEN, TEN + HOUR)}


def test_insert_booking_answers_the_refusal_as_a_conflict(db_session, member, make_resource):
    fablab = make_resource()
    laser = make_resource(kind="machine", parent=fablab)
    new_booking(member, laser, TEN, TEN + HOUR)
    db_session.commit()
    with pytest.raises(Conflict) as caught:
        new_booking(member, fablab, TEN - HOUR, TEN + 2 * HOUR)  # claims the laser too
    assert caught.value.conflicts == [(TEN - HOUR, TEN + 2 * HOUR)]
    db_session.rollback()
    assert db_session.query(Booking).count() == 1
    assert db_session.query(BookingClaim).count() == 1
