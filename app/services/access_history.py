"""A member's own access history: their badge scans and machine sessions, nobody else's.

Whatever the member's role, these lists hold only rows attributed to them (a
manager's own page is their own history too; the fleet's is on the dashboard).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.models import AccessEvent, Device, Member, Resource, UsageSession
from bridge_protocol.events import EventType

from .pagination import Page, paginate


@dataclass(frozen=True)
class Scan:
    at: dt.datetime
    place: str  # the resource, else the device's label, else its id
    granted: bool | None
    reason: str | None


@dataclass(frozen=True)
class Use:
    place: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    duration: dt.timedelta
    stop_reason: str | None
    provisional_end: bool


def own_scans(member: Member, *, page: int = 1, per_page: int = 25) -> Page[Scan]:
    """The member's badge scans at doors and machines, newest first."""
    query = (
        select(AccessEvent)
        .where(
            AccessEvent.member_id == member.id,
            AccessEvent.type == EventType.ACCESS_DECISION.value,
        )
        .order_by(AccessEvent.device_time.desc(), AccessEvent.id.desc())
    )
    found = paginate(query, page=page, per_page=per_page)
    names = _place_names({e.device_id for e in found.items}, {e.resource_id for e in found.items})
    items = [
        Scan(
            at=event.device_time,
            place=names.of(event.device_id, event.resource_id),
            granted=event.granted,
            reason=event.reason,
        )
        for event in found.items
    ]
    return Page(items=items, total=found.total, page=found.page, per_page=found.per_page)


def own_sessions(
    member: Member, *, now: dt.datetime, page: int = 1, per_page: int = 25
) -> Page[Use]:
    """The member's machine sessions, newest first; a running one lasts until `now`."""
    query = (
        select(UsageSession)
        .where(UsageSession.member_id == member.id)
        .order_by(UsageSession.started_at.desc(), UsageSession.id.desc())
    )
    found = paginate(query, page=page, per_page=per_page)
    names = _place_names({s.device_id for s in found.items}, {s.resource_id for s in found.items})
    items = [
        Use(
            place=names.of(session.device_id, session.resource_id),
            started_at=session.started_at,
            ended_at=session.ended_at,
            duration=max(session.duration_until(now), dt.timedelta(0)),
            stop_reason=session.stop_reason,
            provisional_end=session.provisional_end,
        )
        for session in found.items
    ]
    return Page(items=items, total=found.total, page=found.page, per_page=found.per_page)


@dataclass(frozen=True)
class _Names:
    devices: dict[str, str]
    resources: dict[int, str]

    def of(self, device_id: str, resource_id: int | None) -> str:
        if resource_id is not None and resource_id in self.resources:
            return self.resources[resource_id]
        return self.devices.get(device_id) or device_id


def _place_names(device_ids: set[str], resource_ids: set[int | None]) -> _Names:
    wanted = {r for r in resource_ids if r is not None}
    devices: dict[str, str] = {}
    if device_ids:
        query = select(Device.id, Device.label).where(Device.id.in_(device_ids))
        devices = {device_id: name for device_id, name in db.session.execute(query)}
    resources: dict[int, str] = {}
    if wanted:
        query_r = select(Resource.id, Resource.name).where(Resource.id.in_(wanted))
        resources = {resource_id: name for resource_id, name in db.session.execute(query_r)}
    return _Names(devices, resources)
