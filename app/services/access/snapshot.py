"""What an access decision needs, read from the database in one go."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.extensions import db
from app.models import (
    Badge,
    Booking,
    BookingStatus,
    Device,
    DeviceKind,
    Member,
    Qualification,
    Resource,
    ResourceStatus,
    Role,
    Tenant,
    TenantStatus,
)

from ..site import get_site_settings

BOOKING_LOOKBEHIND = dt.timedelta(days=1)
BOOKING_LOOKAHEAD = dt.timedelta(days=8)


@dataclass(frozen=True)
class MemberFacts:
    id: int
    active: bool
    staff: bool
    tenant_id: int | None


@dataclass(frozen=True)
class TenantFacts:
    active: bool
    contract_start: dt.date | None
    contract_end: dt.date | None

    def running_on(self, day: dt.date) -> bool:
        if self.contract_start and day < self.contract_start:
            return False
        return not (self.contract_end and day > self.contract_end)


@dataclass(frozen=True)
class ResourceFacts:
    id: int
    parent_id: int | None
    kind: str
    status: ResourceStatus
    active: bool
    training_required: bool
    booking_required: bool
    opening_hours: dict[str, Any]


@dataclass(frozen=True)
class BookingFacts:
    start: dt.datetime
    end: dt.datetime
    tenant_id: int | None
    member_id: int


@dataclass(frozen=True)
class DeviceFacts:
    id: str
    kind: DeviceKind
    resource_id: int | None
    active: bool
    unlock_schedule: dict[str, Any] | None


@dataclass
class AccessSnapshot:
    taken_at: dt.datetime
    zone: ZoneInfo
    building_hours: dict[str, Any]
    badges: dict[str, tuple[int, bool]] = field(default_factory=dict)  # uid -> (member, active)
    members: dict[int, MemberFacts] = field(default_factory=dict)
    tenants: dict[int, TenantFacts] = field(default_factory=dict)
    resources: dict[int, ResourceFacts] = field(default_factory=dict)
    # (member, resource) -> expiry (None: never)
    qualifications: dict[tuple[int, int], dt.datetime | None] = field(default_factory=dict)
    bookings: dict[int, list[BookingFacts]] = field(default_factory=lambda: defaultdict(list))
    devices: dict[str, DeviceFacts] = field(default_factory=dict)


def load_snapshot(*, now: dt.datetime, zone: ZoneInfo) -> AccessSnapshot:
    snapshot = AccessSnapshot(
        taken_at=now, zone=zone, building_hours=get_site_settings().building_hours
    )
    for uid, member_id, active in db.session.execute(
        select(Badge.uid, Badge.member_id, Badge.active)
    ):
        # An active badge wins over a revoked one with the same UID.
        if active or uid not in snapshot.badges:
            snapshot.badges[uid] = (member_id, active)
    for member in db.session.scalars(select(Member)):
        snapshot.members[member.id] = MemberFacts(
            member.id, member.active, member.role == Role.MANAGER, member.tenant_id
        )
    for tenant in db.session.scalars(select(Tenant)):
        snapshot.tenants[tenant.id] = TenantFacts(
            tenant.status == TenantStatus.ACTIVE, tenant.contract_start, tenant.contract_end
        )
    resources = list(db.session.scalars(select(Resource)))
    by_id = {r.id: r for r in resources}
    for resource in resources:
        hours = resource.opening_hours
        if hours is None and resource.parent_id is not None:
            hours = by_id[resource.parent_id].opening_hours
        snapshot.resources[resource.id] = ResourceFacts(
            id=resource.id,
            parent_id=resource.parent_id,
            kind=resource.kind.value,
            status=resource.status,
            active=resource.active,
            training_required=resource.training_required,
            booking_required=resource.booking_required_for_use,
            opening_hours=hours if hours is not None else snapshot.building_hours,
        )
    for member_id, resource_id, expires_at in db.session.execute(
        select(Qualification.member_id, Qualification.resource_id, Qualification.expires_at).where(
            Qualification.revoked_at.is_(None)
        )
    ):
        snapshot.qualifications[(member_id, resource_id)] = expires_at
    for booking in db.session.execute(
        select(
            Booking.resource_id,
            Booking.start,
            Booking.end,
            Booking.tenant_id,
            Booking.booked_for_id,
        ).where(
            Booking.status == BookingStatus.CONFIRMED,
            Booking.end > now - BOOKING_LOOKBEHIND,
            Booking.start < now + BOOKING_LOOKAHEAD,
        )
    ):
        snapshot.bookings[booking.resource_id].append(
            BookingFacts(booking.start, booking.end, booking.tenant_id, booking.booked_for_id)
        )
    for device in db.session.scalars(select(Device)):
        snapshot.devices[device.id] = DeviceFacts(
            device.id, device.kind, device.resource_id, device.active, device.unlock_schedule
        )
    return snapshot
