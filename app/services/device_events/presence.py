"""Device presence from ``up/status``: the birth (``ready``) and the Last Will (``lost``).

A Will is registered at connect time, so the broker may publish an old boot's
Will after the device has come back under a new boot (a takeover, a slow
keepalive timeout): a ``lost`` whose boot is not the device's current boot is
ignored. A ``ready`` with a new boot means the device restarted: sessions of
its earlier boots that it never ended are closed as orphans.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum

from sqlalchemy import update

from app.extensions import db
from app.models import Device
from bridge_protocol.status import DeviceStatus

from .sessions import close_sessions_of_old_boots


class PresenceOutcome(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    STALE_WILL = "stale_will"
    UNKNOWN_DEVICE = "unknown_device"


def apply_status(device_id: str, status: DeviceStatus, *, now: dt.datetime) -> PresenceOutcome:
    device = db.session.get(Device, device_id)
    if device is None:
        return PresenceOutcome.UNKNOWN_DEVICE
    if status.state == "lost":
        if device.boot is not None and status.boot != device.boot:
            return PresenceOutcome.STALE_WILL
        device.online = False
        return PresenceOutcome.OFFLINE
    if status.boot != device.boot:
        close_sessions_of_old_boots(device_id, status.boot)
        device.boot = status.boot
    device.online = True
    device.last_seen_at = now
    if status.versions:
        device.versions = dict(status.versions)
    if status.outbox is not None:
        device.outbox_count = status.outbox
    if status.dead is not None:
        device.dead_letter_count = status.dead
    if status.acl_ver is not None:
        device.acl_version_applied = status.acl_ver
    return PresenceOutcome.ONLINE


def record_acl_applied(device_id: str, ver: int) -> None:
    """An ``acl.applied`` event (possibly an old one, resent): the version only grows."""
    device = db.session.get(Device, device_id)
    if device is not None and (
        device.acl_version_applied is None or ver > device.acl_version_applied
    ):
        device.acl_version_applied = ver


def mark_seen(device_ids: Iterable[str], *, now: dt.datetime) -> None:
    """Devices that sent anything in this batch were there."""
    ids = sorted(set(device_ids))
    if ids:
        db.session.execute(update(Device).where(Device.id.in_(ids)).values(last_seen_at=now))
