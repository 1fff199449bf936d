"""The demo data tells the story the banner promises: who gets in where, and why not."""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.models import Booking, BookingStatus, DeviceOutbox, OutboxKind
from app.services import demo, passwords
from app.services.access.decide import decide
from app.services.access.snapshot import load_snapshot
from app.services.bookings.lifecycle import Facility
from app.services.site import get_site_settings

pytestmark = pytest.mark.db

ZONE = ZoneInfo("Europe/Brussels")
BRAM, DRIES, FARID = "04A1B2C3D4E502", "04A1B2C3D4E504", "04A1B2C3D4E506"

EXPECTED = [
    ("main-entrance", BRAM, "ok"),
    ("main-entrance", demo.MANAGER_BADGE, "ok"),
    ("main-entrance", demo.UNKNOWN_BADGE, "unknown_badge"),
    ("main-entrance", demo.REVOKED_BADGE[1], "badge_inactive"),
    ("laser-cutter", FARID, "not_qualified"),
    ("laser-cutter", DRIES, "no_booking"),
    ("laser-cutter", BRAM, "ok"),
    ("laser-cutter", demo.MANAGER_BADGE, "ok"),
    ("room-door", DRIES, "ok"),
    ("room-door", BRAM, "no_booking"),
    ("printer-1", FARID, "ok"),
    ("printer-1", BRAM, "not_qualified"),
]


# every demo account has the same password: hash it once for all the tests here
_one_hash = functools.cache(passwords.hash_password)


@pytest.fixture
def seeded(db_session, monkeypatch):
    monkeypatch.setattr(passwords, "hash_password", _one_hash)
    # late in the evening, when the building would normally be closed
    now = dt.datetime(2026, 3, 10, 22, 40, tzinfo=ZONE).astimezone(dt.UTC)
    assert demo.seed(password="demo-password-1", now=now - dt.timedelta(days=1))
    facility = Facility(zone=ZONE, building_hours=get_site_settings().building_hours)
    credentials = demo.ensure_demo_devices(now=now, sealing_key="k" * 32)
    problems = demo.ensure_demo_bookings(now=now, facility=facility)
    db_session.commit()
    return now, facility, credentials, problems


def test_every_demo_badge_gets_the_answer_the_banner_promises(seeded):
    now, _facility, credentials, problems = seeded
    assert problems == []
    assert sorted(credentials) == sorted(d[0] for d in demo.DEVICES)
    snapshot = load_snapshot(now=now, zone=ZONE)
    answers = [
        (device, badge, decide(snapshot, device_id=device, badge_uid=badge, now=now).reason.value)
        for device, badge, _expected in EXPECTED
    ]
    assert answers == EXPECTED


def test_a_second_start_keeps_the_bookings_and_makes_new_passwords(seeded, db_session):
    now, facility, first, _problems = seeded
    later = now + dt.timedelta(minutes=20)

    def bookings() -> int:
        return db_session.scalar(
            select(func.count())
            .select_from(Booking)
            # the bookings around now, not the demo's history
            .where(Booking.status == BookingStatus.CONFIRMED, Booking.end > now)
        )

    before = bookings()
    again = demo.ensure_demo_devices(now=later, sealing_key="k" * 32)
    assert demo.ensure_demo_bookings(now=later, facility=facility) == []
    assert bookings() == before == len(demo.BOOKINGS)
    assert {d: c.password for d, c in again.items()} != {d: c.password for d, c in first.items()}


def test_the_embedded_broker_settles_the_account_rows(seeded, db_session):
    now, _facility, credentials, _problems = seeded

    def pending() -> int:
        return db_session.scalar(
            select(func.count())
            .select_from(DeviceOutbox)
            .where(DeviceOutbox.kind == OutboxKind.ACCOUNT, DeviceOutbox.done_at.is_(None))
        )

    assert pending() == len(credentials)
    assert demo.settle_account_rows(credentials, now=now) == len(credentials)
    assert pending() == 0
    secrets = db_session.scalars(
        select(DeviceOutbox.secret).where(DeviceOutbox.kind == OutboxKind.ACCOUNT)
    ).all()
    assert set(secrets) == {None}
