"""Fixtures for the live view, access history, alerts and unknown badges.

Events reach the database the way the gateway stores them: a device's real
protocol payload (tests/gateway/helpers.py `DeviceEvents`) through
`ingest_event`, so member, tenant and resource are resolved as in production.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.models import Device, DeviceKind
from app.services.bookings.lifecycle import Facility
from app.services.device_events.resolve import Resolver
from app.services.device_events.store import Outcome, ingest_event
from tests.gateway.helpers import DeviceEvents
from tests.support.brussels import ALWAYS_OPEN, BRUSSELS


@pytest.fixture
def manager(make_member):  # type: ignore[no-untyped-def]
    return make_member(role="manager", name="Mia Manager", locale="en")


@pytest.fixture
def make_device(db_session: Any):  # type: ignore[no-untyped-def]
    def build(device_id: str, kind: str = "door", **fields: Any) -> Device:
        device = Device(id=device_id, kind=DeviceKind(kind), **fields)
        db_session.add(device)
        db_session.commit()
        return device

    return build


class Reporter:
    """One device's events, stored through the gateway's ingest path."""

    def __init__(self, session: Any, device_id: str) -> None:
        self._session = session
        self.device_id = device_id
        self.events = DeviceEvents(device_id)

    def send(self, payload: bytes, *, received_at: dt.datetime | None = None) -> None:
        result = ingest_event(
            payload,
            device_id=self.device_id,
            received_at=received_at or dt.datetime.now(dt.UTC),
            resolver=Resolver(),
        )
        assert result.outcome is Outcome.STORED, result
        self._session.commit()

    def scan(
        self,
        badge: str,
        *,
        granted: bool,
        member: int | None = None,
        reason: str | None = None,
        at: dt.datetime | None = None,
    ) -> None:
        at = at or dt.datetime.now(dt.UTC)
        data = {
            "badge": badge,
            "member": member,
            "granted": granted,
            "reason": reason or ("ok" if granted else "unknown_badge"),
            "mode": "online",
        }
        self.send(self.events.event("access.decision", data, at=at), received_at=at)

    def door(self, type_: str, *, at: dt.datetime, **data: Any) -> None:
        self.send(self.events.event(type_, data, at=at), received_at=at)


@pytest.fixture
def reporter(db_session: Any):  # type: ignore[no-untyped-def]
    def make(device_id: str) -> Reporter:
        return Reporter(db_session, device_id)

    return make


@pytest.fixture
def facility() -> Facility:
    return Facility(
        zone=BRUSSELS,
        building_hours=ALWAYS_OPEN,
        public_url="https://incubator.test.example",
        site_name="Makers Incubator",
    )
