"""The allow-list a device decides from when the server cannot answer.

Built from the same snapshot and the same rules as online decisions, expanded
into UTC intervals for the list's validity, so a Pi needs no time-zone rules.
"""

from __future__ import annotations

import datetime as dt

from app.models import DeviceKind
from bridge_protocol.acl import AllowEntry, AllowList, StalePolicy
from bridge_protocol.badge_keys import badge_hmac, derive_device_key
from bridge_protocol.wire import to_ms

from ..bookings.hours import open_intervals
from .decide import DOOR_MARGIN, bookings_of, resource_state_refusal
from .snapshot import AccessSnapshot, DeviceFacts, MemberFacts

VALIDITY = dt.timedelta(days=7)
Interval = tuple[dt.datetime, dt.datetime]


def _merge(intervals: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _clip(intervals: list[Interval], start: dt.datetime, end: dt.datetime) -> list[Interval]:
    return _merge([(max(a, start), min(b, end)) for a, b in intervals if b > start and a < end])


def _intersect(first: list[Interval], second: list[Interval]) -> list[Interval]:
    return _merge(
        [
            (max(a1, a2), min(b1, b2))
            for a1, b1 in first
            for a2, b2 in second
            if max(a1, a2) < min(b1, b2)
        ]
    )


def _subtract(intervals: list[Interval], holes: list[Interval]) -> list[Interval]:
    result = intervals
    for h_start, h_end in _merge(holes):
        pieces: list[Interval] = []
        for a, b in result:
            if h_end <= a or h_start >= b:
                pieces.append((a, b))
                continue
            if a < h_start:
                pieces.append((a, h_start))
            if h_end < b:
                pieces.append((h_end, b))
        result = pieces
    return result


def _hours(
    snapshot: AccessSnapshot, hours: dict, start: dt.datetime, end: dt.datetime
) -> list[Interval]:
    zone = snapshot.zone
    first = start.astimezone(zone).date() - dt.timedelta(days=1)
    last = end.astimezone(zone).date()
    return _clip(open_intervals(hours, zone, first, last), start, end)


def member_intervals(
    snapshot: AccessSnapshot,
    device: DeviceFacts,
    member: MemberFacts,
    start: dt.datetime,
    end: dt.datetime,
) -> tuple[list[Interval], str, bool]:
    """When `member` may pass at `device` in [start, end): intervals, the reason outside
    them, and whether the device may admit them without asking the server."""
    if member.staff:
        return [(start, end)], "outside_hours", True
    tenant = snapshot.tenants.get(member.tenant_id) if member.tenant_id else None
    if tenant is None or not tenant.active:
        return [], "outside_hours", False
    # Only the days of the contract.
    contract: list[Interval] = [(start, end)]
    if tenant.contract_end is not None:
        stop = dt.datetime.combine(
            tenant.contract_end + dt.timedelta(days=1), dt.time(0), tzinfo=snapshot.zone
        )
        contract = _clip(contract, start, min(end, stop))
    if device.resource_id is None:
        return (
            _intersect(_hours(snapshot, snapshot.building_hours, start, end), contract),
            "outside_hours",
            True,
        )
    resource = snapshot.resources.get(device.resource_id)
    if resource is None:
        return [], "outside_hours", False
    ours = [
        (b.start - DOOR_MARGIN, b.end + DOOR_MARGIN)
        if device.kind == DeviceKind.DOOR
        else (b.start, b.end)
        for b in bookings_of(snapshot, resource)
        if b.tenant_id == member.tenant_id
    ]
    if device.kind == DeviceKind.DOOR:
        return _intersect(_clip(ours, start, end), contract), "no_booking", True
    if resource.training_required:
        key = (member.id, resource.id)
        if key not in snapshot.qualifications:
            return [], "outside_hours", False
        expires = snapshot.qualifications[key]
        if expires is not None:
            contract = _clip(contract, start, min(end, expires))
    theirs = [
        (b.start, b.end) for b in bookings_of(snapshot, resource) if b.tenant_id != member.tenant_id
    ]
    allowed = _subtract(
        _intersect(_hours(snapshot, resource.opening_hours, start, end), contract), theirs
    )
    if resource.booking_required:
        # Offline use stays possible inside the company's booking windows; the
        # list is republished whenever a booking of this machine changes.
        return _intersect(allowed, _clip(ours, start, end)), "no_booking", True
    return allowed, "outside_hours", True


def build_allow_list(
    snapshot: AccessSnapshot, *, device_id: str, site_badge_key: bytes, ver: int, now: dt.datetime
) -> AllowList:
    device = snapshot.devices[device_id]
    end = now + VALIDITY
    device_key = derive_device_key(site_badge_key, device_id)
    resource = snapshot.resources.get(device.resource_id) if device.resource_id else None
    entries = []
    for uid, (member_id, active) in sorted(snapshot.badges.items()):
        member = snapshot.members.get(member_id)
        if not active or member is None or not member.active:
            continue
        intervals, outside, offline_ok = member_intervals(snapshot, device, member, now, end)
        if not intervals:
            continue
        entries.append(
            AllowEntry(
                badge=badge_hmac(device_key, uid),
                member=member_id,
                staff=member.staff,
                offline_ok=offline_ok,
                valid=tuple((to_ms(a), to_ms(b)) for a, b in intervals),
                outside_reason=outside,  # type: ignore[arg-type]
            )
        )
    unlock: list[Interval] = []
    if device.kind == DeviceKind.DOOR and device.unlock_schedule:
        unlock = _hours(snapshot, device.unlock_schedule, now, end)
    return AllowList(
        dev=device_id,
        iat=to_ms(now),
        exp=to_ms(end),
        ver=ver,
        locked_out=resource is not None and resource_state_refusal(resource) is not None,
        unlock=tuple((to_ms(a), to_ms(b)) for a, b in unlock),
        stale_policy=StalePolicy.STAFF_ONLY
        if device.kind == DeviceKind.MACHINE
        else StalePolicy.KEEP,
        entries=tuple(entries),
    )
