"""Fixtures for the API tests: bearer headers for the people of tests/conftest.py
(two tenants, A and B, with an admin and a member each, and a manager), and a way
to count rows before and after a request."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select


@pytest.fixture
def auth(api_token, people):  # type: ignore[no-untyped-def]
    """`auth("admin_a")` or `auth(member)`: the bearer header of that person."""
    cache: dict[int, dict[str, str]] = {}

    def headers(who: Any) -> dict[str, str]:
        member = people[who] if isinstance(who, str) else who
        if member.id not in cache:
            cache[member.id] = api_token(member)
        return cache[member.id]

    return headers


@pytest.fixture
def count(db_session):  # type: ignore[no-untyped-def]
    """`count(Model)`: how many rows the table holds now."""

    def rows(model: Any) -> int:
        return int(db_session.scalar(select(func.count()).select_from(model)))

    return rows


@pytest.fixture
def snapshot(count):  # type: ignore[no-untyped-def]
    """Row counts of every table a write could touch, to show a refused request changed nothing."""
    from app.models import AuditLog, Badge, Member, OutgoingMail, Qualification, Resource, Tenant

    tables = (AuditLog, Badge, Member, OutgoingMail, Qualification, Resource, Tenant)

    def take() -> dict[str, int]:
        return {model.__name__: count(model) for model in tables}

    return take


# -- bookings ------------------------------------------------------------------


class Clock:
    """The API's `now`, fixed: Tuesday 1 December 2026, 09:00 in Brussels, unless moved."""

    def __init__(self) -> None:
        import datetime as dt

        self.now = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)

    def __call__(self) -> Any:
        return self.now

    def set(self, moment: Any) -> None:
        self.now = moment


@pytest.fixture
def clock(monkeypatch):  # type: ignore[no-untyped-def]
    """Freeze the time the booking API works with (rules such as lead time and notice)."""
    from app.blueprints.api import bookings

    frozen = Clock()
    monkeypatch.setattr(bookings, "now", frozen)
    return frozen


@pytest.fixture
def room(make_resource):  # type: ignore[no-untyped-def]
    """The multipurpose room: the building's hours apply (Mon-Fri 07:00-22:00)."""
    from app.models import Privacy

    return make_resource(slug="room", name="Multipurpose room", privacy=Privacy.COMPANY)


@pytest.fixture
def post_booking(client, auth, clock, room):  # type: ignore[no-untyped-def]
    """`post_booking(who, start, end, **fields)`: POST /api/v1/bookings on the room by default."""

    def post(who: Any, start: str, end: str, **fields: Any) -> Any:
        body = {"resource": fields.pop("resource", "room"), "start": start, "end": end, **fields}
        return client.post("/api/v1/bookings", json=body, headers=auth(who))

    return post


@pytest.fixture
def booking_of(post_booking):  # type: ignore[no-untyped-def]
    """`booking_of(who, ...)`: make a booking through the API and return its JSON (201 asserted)."""

    def make(
        who: Any, start: str = "2026-12-02T10:00", end: str = "2026-12-02T11:00", **fields: Any
    ) -> Any:
        response = post_booking(who, start, end, **fields)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return make
