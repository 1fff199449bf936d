"""The database's own guarantee, without the application's check in front of it: two
overlapping claims on one resource are refused (a trigger on SQLite, an exclusion
constraint on PostgreSQL), and the service answers that refusal as a Conflict."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.exc import IntegrityError

from app.models import Booking, BookingClaim, BookingStatus
from app.services.bookings.claims import place_claims
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
