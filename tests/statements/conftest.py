"""Fixtures for statements, retention and data exports: two companies, their people,
resources with rates, and builders that store bookings, sessions and events as the
services and the gateway would."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest

from tests.support.booking_rows import add_booking
from tests.support.brussels import BRUSSELS, local  # noqa: F401 - the tests import them here

# The companies here have quotas; their people (manager, admin_a, member_a, admin_b,
# member_b) are tests/conftest.py's.


@pytest.fixture
def tenant_a(make_tenant):  # type: ignore[no-untyped-def]
    return make_tenant(
        name="Atelier Ölsen & Zonen",
        slug="atelier",
        quota_hours={"room": 4, "kitchen": 0, "machine": 2},
    )


@pytest.fixture
def tenant_b(make_tenant):  # type: ignore[no-untyped-def]
    return make_tenant(name="Brouwerij Bravo", slug="bravo", quota_hours={"room": 10})


@pytest.fixture
def resources(make_resource):  # type: ignore[no-untyped-def]
    from app.models import ResourceKind

    return {
        "room": make_resource(
            slug="room",
            name="Multipurpose room",
            kind=ResourceKind.ROOM,
            hourly_rate=Decimal("20.00"),
        ),
        "kitchen": make_resource(
            slug="kitchen",
            name="Kitchen",
            kind=ResourceKind.KITCHEN,
            hourly_rate=Decimal("15.00"),
        ),
        # billed by booking: it needs one to be used
        "laser": make_resource(
            slug="laser",
            name="Laser cutter",
            kind=ResourceKind.MACHINE,
            booking_required_for_use=True,
            hourly_rate=Decimal("30.00"),
        ),
        # billed by its sessions: used walk-in
        "printer": make_resource(
            slug="printer",
            name="3D printer",
            kind=ResourceKind.MACHINE,
            hourly_rate=Decimal("5.00"),
        ),
    }


@pytest.fixture
def store_booking(db_session: Any):  # type: ignore[no-untyped-def]
    """`store_booking(member, resource, start, end, ...)`: a booking row as the booking
    service leaves it (no rules: past months too); see tests/support/booking_rows.py."""

    def make(member: Any, resource: Any, start: dt.datetime, end: dt.datetime, **kw: Any) -> Any:
        return add_booking(db_session, resource, member, start, end, **kw)

    return make


@pytest.fixture
def store_session(db_session: Any):  # type: ignore[no-untyped-def]
    """A usage session as the gateway stores it."""
    from app.models import UsageSession

    def make(
        member: Any,
        resource: Any,
        start: dt.datetime,
        end: dt.datetime | None,
        **fields: Any,
    ) -> UsageSession:
        values: dict[str, Any] = {
            "session_id": str(uuid.uuid4()),
            "device_id": f"pi-{resource.slug}" if resource else "pi-x",
            "boot": "0a0b0c0d",
            "resource_id": resource.id if resource else None,
            "member_id": member.id if member else None,
            "tenant_id": member.tenant_id if member else None,
            "started_at": start,
            "ended_at": end,
            "last_event_at": end or start,
            "stop_reason": "badge_out" if end else None,
            "busy_s": int(((end or start) - start).total_seconds() * 0.75),
            "idle_s": int(((end or start) - start).total_seconds() * 0.25),
        }
        values.update(fields)
        session = UsageSession(**values)
        db_session.add(session)
        db_session.commit()
        return session

    return make


@pytest.fixture
def store_event(db_session: Any):  # type: ignore[no-untyped-def]
    """An access event as the gateway stores it (badge, member and the event's data)."""
    from app.models import AccessEvent

    counter = iter(range(1, 100000))

    def make(member: Any, at: dt.datetime, *, badge: str = "04A1B2C3D4", **fields: Any) -> Any:
        values: dict[str, Any] = {
            "event_id": str(uuid.uuid4()),
            "device_id": "pi-front",
            "type": "access.decision",
            "boot": "0a0b0c0d",
            "seq": next(counter),
            "badge_uid": badge,
            "member_id": member.id if member else None,
            "tenant_id": member.tenant_id if member else None,
            "granted": True,
            "reason": "ok",
            "mode": "online",
            "device_time": at,
            "received_at": at,
            "data": {
                "badge": badge,
                "member": member.id if member else None,
                "granted": True,
                "reason": "ok",
                "mode": "online",
            },
        }
        values.update(fields)
        event = AccessEvent(**values)
        db_session.add(event)
        db_session.commit()
        return event

    return make
