"""The SQL helpers the reports are built with, on the database under test."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Float, bindparam, literal, select

from app.models.base import UTCDateTime
from app.services.reports.sql import epoch_seconds, overlap_seconds, seconds, shifted

pytestmark = pytest.mark.db

NOON = dt.datetime(2026, 11, 3, 12, tzinfo=dt.UTC)


def test_epoch_seconds_of_a_stored_instant(db_session) -> None:  # type: ignore[no-untyped-def]
    found = db_session.scalar(select(epoch_seconds(literal(NOON, UTCDateTime()))))
    assert found == pytest.approx(seconds(NOON), abs=1e-3)


def test_overlap_is_clipped_and_never_negative(db_session) -> None:  # type: ignore[no-untyped-def]
    start, end = literal(100.0, Float()), literal(400.0, Float())
    inside = db_session.scalar(select(overlap_seconds(start, end, 200.0, 1000.0)))
    outside = db_session.scalar(select(overlap_seconds(start, end, 500.0, 1000.0)))
    assert (inside, outside) == (200.0, 0.0)


@pytest.mark.parametrize("hours", [1, 8, 24])
def test_a_shift_follows_its_seconds_whatever_ran_before(db_session, hours) -> None:  # type: ignore[no-untyped-def]
    """Statements that shift by different amounts must not share a compiled form: the
    first version wrote the seconds into the SQL, which SQLAlchemy caches per shape."""
    plain = select(shifted(literal(NOON, UTCDateTime()), -3600.0 * hours))
    bound = select(shifted(literal(NOON, UTCDateTime()), bindparam("secs", type_=Float())))
    expected = NOON - dt.timedelta(hours=hours)
    for statement, params in ((plain, {}), (bound, {"secs": -3600.0 * hours})):
        found = db_session.execute(select(epoch_seconds(statement.scalar_subquery())), params)
        assert found.scalar() == pytest.approx(seconds(expected), abs=1.0)
