"""Fixtures for the page tests of tests/app."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select


@pytest.fixture
def sign_in(db_session: Any, as_member: Any):  # type: ignore[no-untyped-def]
    """Commit what the test built so far, then log `member` in.

    A request that ends in an error rolls the session back; committing first
    keeps the test's own rows through that (the outer transaction of
    `db_session` still undoes everything after the test).
    """

    def log_in(member: Any) -> FlaskClient:
        db_session.commit()
        return as_member(member)  # type: ignore[no-any-return]

    return log_in


@pytest.fixture
def count(db_session: Any):  # type: ignore[no-untyped-def]
    """Rows of a model (optionally filtered), read fresh from the database."""

    def rows(model: Any, *where: Any) -> int:
        db_session.expire_all()
        return int(db_session.scalar(select(func.count()).select_from(model).where(*where)))

    return rows


# -- bookings ----------------------------------------------------------------

BRUSSELS = "Europe/Brussels"
ALWAYS_OPEN = {
    day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}


@pytest.fixture
def facility():  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    from app.services.bookings.lifecycle import Facility

    return Facility(
        zone=ZoneInfo(BRUSSELS),
        building_hours=ALWAYS_OPEN,
        public_url="https://incubator.test.example",
        site_name="Makers Incubator",
    )


@pytest.fixture
def book(db_session: Any, facility: Any):  # type: ignore[no-untyped-def]
    """Create a booking through the service (every rule applies); returns the bookings."""
    import datetime as dt

    from app.services.bookings.lifecycle import create_booking

    def make(actor: Any, resource: Any, start: Any, hours: float = 1, **kwargs: Any) -> Any:
        now = kwargs.pop("now", dt.datetime.now(dt.UTC))
        result = create_booking(
            actor=actor,
            resource=resource,
            start=start,
            end=start + dt.timedelta(hours=hours),
            now=now,
            facility=kwargs.pop("facility", facility),
            **kwargs,
        )
        db_session.commit()
        return result

    return make


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Fix the booking pages' clock (`app.web.now`): Tuesday 1 December 2026, 09:00 Brussels."""
    import datetime as dt

    fixed = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
    monkeypatch.setattr("app.web.now", lambda: fixed)
    return fixed
