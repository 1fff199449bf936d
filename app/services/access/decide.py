"""One access decision, from the snapshot alone: no database, no writes (the hot path)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.models import DeviceKind, ResourceStatus
from bridge_protocol.reasons import DecisionReason

from ..bookings.hours import open_intervals
from .snapshot import AccessSnapshot, BookingFacts, ResourceFacts

# A room's door opens a little before and after the booking.
DOOR_MARGIN = dt.timedelta(minutes=10)
MAX_SESSION = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Decision:
    granted: bool
    reason: DecisionReason
    member_id: int | None = None
    staff: bool = False
    max_s: int | None = None


def _deny(reason: DecisionReason, member_id: int | None = None) -> Decision:
    return Decision(False, reason, member_id)


def current_opening(
    snapshot: AccessSnapshot, hours: dict, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime] | None:
    day = now.astimezone(snapshot.zone).date()
    for start, end in open_intervals(hours, snapshot.zone, day - dt.timedelta(days=1), day):
        if start <= now < end:
            return start, end
    return None


def resource_state_refusal(resource: ResourceFacts | None) -> DecisionReason | None:
    if resource is None or not resource.active or resource.status == ResourceStatus.DISABLED:
        return DecisionReason.RESOURCE_UNAVAILABLE
    if resource.status == ResourceStatus.LOCKED_OUT:
        return DecisionReason.LOCKED_OUT
    if resource.status == ResourceStatus.MAINTENANCE:
        return DecisionReason.RESOURCE_UNAVAILABLE
    return None


def bookings_of(snapshot: AccessSnapshot, resource: ResourceFacts) -> list[BookingFacts]:
    """Bookings that cover the resource: its own and its parent's (a whole-Fablab booking)."""
    found = list(snapshot.bookings.get(resource.id, ()))
    if resource.parent_id is not None:
        found += snapshot.bookings.get(resource.parent_id, ())
    return found


def decide(
    snapshot: AccessSnapshot, *, device_id: str, badge_uid: str, now: dt.datetime
) -> Decision:
    device = snapshot.devices.get(device_id)
    if device is None or not device.active:
        return _deny(DecisionReason.RESOURCE_UNAVAILABLE)
    badge = snapshot.badges.get(badge_uid)
    if badge is None:
        return _deny(DecisionReason.UNKNOWN_BADGE)
    member_id, badge_active = badge
    if not badge_active:
        return _deny(DecisionReason.BADGE_INACTIVE, member_id)
    member = snapshot.members.get(member_id)
    if member is None or not member.active:
        return _deny(DecisionReason.MEMBER_INACTIVE, member_id)
    if member.staff:
        return Decision(True, DecisionReason.OK, member_id, staff=True)
    tenant = snapshot.tenants.get(member.tenant_id) if member.tenant_id else None
    if tenant is None or not tenant.active:
        return _deny(DecisionReason.TENANT_INACTIVE, member_id)
    if not tenant.running_on(now.astimezone(snapshot.zone).date()):
        return _deny(DecisionReason.CONTRACT_ENDED, member_id)

    if device.resource_id is None:  # the building's entrance
        if current_opening(snapshot, snapshot.building_hours, now) is None:
            return _deny(DecisionReason.OUTSIDE_HOURS, member_id)
        return Decision(True, DecisionReason.OK, member_id)

    resource = snapshot.resources.get(device.resource_id)
    refusal = resource_state_refusal(resource)
    if refusal is not None or resource is None:
        return _deny(refusal or DecisionReason.RESOURCE_UNAVAILABLE, member_id)
    if device.kind == DeviceKind.DOOR:
        return _decide_room_door(snapshot, resource, member.tenant_id, member_id, now)
    return _decide_machine(snapshot, resource, member.tenant_id, member_id, now)


def _decide_room_door(
    snapshot: AccessSnapshot,
    resource: ResourceFacts,
    tenant_id: int | None,
    member_id: int,
    now: dt.datetime,
) -> Decision:
    for booking in bookings_of(snapshot, resource):
        if (
            booking.tenant_id == tenant_id
            and booking.start - DOOR_MARGIN <= now < booking.end + DOOR_MARGIN
        ):
            return Decision(True, DecisionReason.OK, member_id)
    return _deny(DecisionReason.NO_BOOKING, member_id)


def _decide_machine(
    snapshot: AccessSnapshot,
    resource: ResourceFacts,
    tenant_id: int | None,
    member_id: int,
    now: dt.datetime,
) -> Decision:
    if resource.training_required:
        key = (member_id, resource.id)
        if key not in snapshot.qualifications:
            return _deny(DecisionReason.NOT_QUALIFIED, member_id)
        expires = snapshot.qualifications[key]
        if expires is not None and expires <= now:
            return _deny(DecisionReason.NOT_QUALIFIED, member_id)
    opening = current_opening(snapshot, resource.opening_hours, now)
    if opening is None:
        return _deny(DecisionReason.OUTSIDE_HOURS, member_id)
    bookings = bookings_of(snapshot, resource)
    ours = [b for b in bookings if b.tenant_id == tenant_id and b.start <= now < b.end]
    theirs = [b for b in bookings if b.tenant_id != tenant_id and b.start <= now < b.end]
    if theirs or (resource.booking_required and not ours):
        # Someone else has booked it now, or it may only be used during a booking.
        return _deny(DecisionReason.NO_BOOKING, member_id)
    # Until someone else's next booking or closing time, whichever comes first.
    limit = min(opening[1], now + MAX_SESSION)
    for booking in bookings:
        if booking.tenant_id != tenant_id and booking.end > now:
            limit = min(limit, max(booking.start, now))
    return Decision(
        True, DecisionReason.OK, member_id, max_s=max(0, int((limit - now).total_seconds()))
    )
