"""The demo's ten weeks of history: reports, the public report and statements show something."""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.models import (
    AccessEvent,
    Booking,
    BookingClaim,
    BookingStatus,
    Tenant,
    UsageSession,
)
from app.services import demo, passwords, public_report
from app.services.bookings.lifecycle import Facility
from app.services.reports.periods import month_period
from app.services.reports.usage import usage_report
from app.services.site import get_site_settings
from app.services.statements.build import Month, build_statement

pytestmark = pytest.mark.db

ZONE = ZoneInfo("Europe/Brussels")
_one_hash = functools.cache(passwords.hash_password)
NOW = dt.datetime(2026, 3, 12, 16, 10, tzinfo=ZONE).astimezone(dt.UTC)


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def seeded(db_session, monkeypatch):
    monkeypatch.setattr(passwords, "hash_password", _one_hash)
    assert demo.seed(password="demo-password-1", now=NOW)
    demo.ensure_demo_devices(now=NOW, sealing_key="k" * 32)  # door entries count at doors
    db_session.commit()
    return demo.demo_manager()


def test_last_month_report_shows_booked_and_used_hours_of_several_companies(seeded):
    report = usage_report(
        seeded,
        period=month_period(2026, 2, ZONE),
        group_by="tenant",
        now=NOW,
        building_hours=get_site_settings().building_hours,
    )
    booked = [row for row in report.rows if row.booked_s > 0]
    used = [row for row in report.rows if row.used_s > 0]
    assert len(booked) >= 5
    assert len(used) >= 3
    assert report.total.door_entries is not None
    assert report.total.door_entries > 100


def test_the_public_report_names_counts_and_mixed_days(seeded, db_session):
    stats = public_report.public_stats(db_session, NOW, zone=ZONE)
    shown = [f for f in stats["facilities"] if f["companies"] is not None and f["companies"] >= 3]
    assert shown, stats["facilities"]
    assert stats["totals"]["mixed_days"] >= 1
    assert stats["totals"]["machine_hours"] > 0
    assert stats["totals"]["room_hours"] > 0
    named = {name for f in stats["facilities"] for name in f["named_companies"]}
    assert named
    assert named <= {"Houtatelier Van Damme", "Pixelsmid"}
    # three traditional and three creative companies: those sectors are named, not "other"
    sectors = {row["sector"] for row in stats["totals"]["sectors"]}
    assert {"traditional", "creative"} <= sectors


def test_a_statement_of_last_month_has_lines(seeded, db_session):
    tenant = db_session.scalar(select(Tenant).where(Tenant.slug == "houtatelier"))
    statement = build_statement(
        seeded, tenant_id=tenant.id, month=Month(2026, 2), zone=ZONE, now=NOW
    )
    assert statement.lines
    assert statement.total_amount > 0


def test_history_is_consistent_and_in_the_past(seeded, db_session):
    bookings = db_session.scalars(select(Booking)).all()
    statuses = {b.status for b in bookings}
    assert {BookingStatus.CONFIRMED, BookingStatus.CANCELLED, BookingStatus.NO_SHOW} <= statuses
    assert sum(b.status == BookingStatus.NO_SHOW for b in bookings) == 2
    for booking in bookings:
        assert booking.end <= NOW
        assert bool(booking.claims) == booking.holds_slot
        assert booking.start.astimezone(ZONE).weekday() != 6  # closed on Sundays
    assert db_session.scalar(select(func.max(UsageSession.ended_at))) <= NOW
    crossing = [
        s
        for s in db_session.scalars(select(UsageSession))
        if s.started_at.astimezone(ZONE).date() != s.ended_at.astimezone(ZONE).date()
    ]
    assert crossing  # a print ran past midnight
    oldest = db_session.scalar(select(func.min(AccessEvent.device_time)))
    assert NOW - oldest > dt.timedelta(weeks=9)


def test_seeding_twice_adds_nothing_and_the_bookings_around_now_still_fit(seeded, db_session):
    counts = [_count(db_session, m) for m in (Booking, BookingClaim, UsageSession, AccessEvent)]
    assert not demo.seed(password="demo-password-1", now=NOW + dt.timedelta(hours=2))
    assert [
        _count(db_session, m) for m in (Booking, BookingClaim, UsageSession, AccessEvent)
    ] == counts
    facility = Facility(zone=ZONE, building_hours=get_site_settings().building_hours)
    assert demo.ensure_demo_bookings(now=NOW, facility=facility) == []
