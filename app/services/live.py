"""The managers' live view: the latest events, the sessions running, the fleet, open alerts.

`live_version` is what the page polls for: one cheap statement of maxima and
counts that changes whenever anything the view shows changes (a new event, a
session opened or closed, a device's presence, an alert). The caller turns it
into an ETag and answers 304 when the browser already has it, so the full
`live_view` is read only when there is something new.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import AccessEvent, Device, DeviceAlert, Member, Resource, UsageSession
from bridge_protocol.events import EventType

from . import alerts

#: what the live list shows: scans, sessions and the doors; not ticks or list receipts
LIVE_TYPES = tuple(
    t.value
    for t in (
        EventType.ACCESS_DECISION,
        EventType.SESSION_START,
        EventType.SESSION_END,
        EventType.DOOR_OPENED,
        EventType.DOOR_CLOSED,
        EventType.DOOR_HELD_OPEN,
        EventType.DOOR_FORCED,
        EventType.READER_ERROR,
    )
)
MAX_EVENTS = 100
MAX_SESSIONS = 50
MAX_ALERTS = 20


@dataclass(frozen=True)
class LiveEvent:
    id: int
    at: dt.datetime
    device_id: str
    device_label: str
    resource_id: int | None
    resource: str | None
    type: str
    granted: bool | None
    reason: str | None
    member_id: int | None
    member: str | None


@dataclass(frozen=True)
class OpenSession:
    id: int
    device_id: str
    device_label: str
    resource_id: int | None
    resource: str | None
    member_id: int | None
    member: str | None
    started_at: dt.datetime


@dataclass(frozen=True)
class Fleet:
    online: int
    offline: int


@dataclass(frozen=True)
class LiveView:
    events: list[LiveEvent]
    sessions: list[OpenSession]
    fleet: Fleet
    alerts: list[DeviceAlert]


def _version_statement() -> Select[Any]:
    return select(
        select(func.max(AccessEvent.id)).where(AccessEvent.type.in_(LIVE_TYPES)).scalar_subquery(),
        select(func.max(UsageSession.id)).scalar_subquery(),
        select(func.count(UsageSession.id))
        .where(UsageSession.ended_at.is_(None))
        .scalar_subquery(),
        select(func.max(Device.updated_at)).scalar_subquery(),
        select(func.count(Device.id)).where(Device.online.is_(True)).scalar_subquery(),
        select(func.max(DeviceAlert.id)).scalar_subquery(),
        select(func.count(DeviceAlert.id))
        .where(DeviceAlert.cleared_at.is_(None), DeviceAlert.notified_at.is_not(None))
        .scalar_subquery(),
    )


# Built once: a poll that finds nothing new runs this and nothing else, and building
# the statement anew each time cost more than running it.
_VERSION = _version_statement()


def live_version() -> str:
    """A short text that changes whenever `live_view` would (one round trip, indexes only)."""
    row = db.session.execute(_VERSION).one()
    return "-".join(_part(value) for value in row)


def _part(value: object) -> str:
    if isinstance(value, dt.datetime):
        return str(int(value.timestamp() * 1000))
    return "0" if value is None else str(value)


def live_view(*, events: int = 20) -> LiveView:
    return LiveView(
        events=latest_events(limit=events),
        sessions=open_sessions(),
        fleet=fleet(),
        alerts=alerts.open_alerts(limit=MAX_ALERTS),
    )


def latest_events(*, limit: int = 20) -> list[LiveEvent]:
    """The newest events as they arrived (the device's own time shown), newest first."""
    limit = min(max(limit, 1), MAX_EVENTS)
    place = aliased(Resource)
    rows = db.session.execute(
        select(AccessEvent, Device.label, place.name, Member.name)
        .outerjoin(Device, Device.id == AccessEvent.device_id)
        .outerjoin(place, place.id == AccessEvent.resource_id)
        .outerjoin(Member, Member.id == AccessEvent.member_id)
        .where(AccessEvent.type.in_(LIVE_TYPES))
        .order_by(AccessEvent.id.desc())
        .limit(limit)
    )
    return [
        LiveEvent(
            id=event.id,
            at=event.device_time,
            device_id=event.device_id,
            device_label=label or "",
            resource_id=event.resource_id,
            resource=resource,
            type=event.type,
            granted=event.granted,
            reason=event.reason,
            member_id=event.member_id,
            member=member,
        )
        for event, label, resource, member in rows
    ]


def open_sessions() -> list[OpenSession]:
    """Machine sessions running now, the longest-running last."""
    rows = db.session.execute(
        select(UsageSession, Device.label, Resource.name, Member.name)
        .outerjoin(Device, Device.id == UsageSession.device_id)
        .outerjoin(Resource, Resource.id == UsageSession.resource_id)
        .outerjoin(Member, Member.id == UsageSession.member_id)
        .where(UsageSession.ended_at.is_(None))
        .order_by(UsageSession.started_at.desc(), UsageSession.id.desc())
        .limit(MAX_SESSIONS)
    )
    return [
        OpenSession(
            id=session.id,
            device_id=session.device_id,
            device_label=label or "",
            resource_id=session.resource_id,
            resource=resource,
            member_id=session.member_id,
            member=member,
            started_at=session.started_at,
        )
        for session, label, resource, member in rows
    ]


def fleet() -> Fleet:
    """Devices in service, online and offline."""
    query = (
        select(Device.online, func.count(Device.id))
        .where(Device.active.is_(True))
        .group_by(Device.online)
    )
    counts: dict[bool, int] = {online: n for online, n in db.session.execute(query)}
    return Fleet(online=counts.get(True, 0), offline=counts.get(False, 0))
