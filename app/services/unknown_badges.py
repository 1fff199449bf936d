"""Badges scanned at a device that matched nobody: offered on the badge form.

A device reports every scan as an ``access.decision`` event with the badge's
canonical UID; a badge nobody holds is denied as ``unknown_badge``. Whoever
registers a badge just scans it at the nearest door or machine and picks it
on the form, so nobody types badge numbers. Only the device and the time are
shown: an unknown badge belongs to nobody yet, so no tenant's data is in it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, select

from app.extensions import db
from app.models import AccessEvent, Badge, Device
from bridge_protocol.events import EventType
from bridge_protocol.reasons import DecisionReason

WINDOW = dt.timedelta(minutes=10)
MAX_OFFERED = 5


@dataclass(frozen=True)
class UnknownScan:
    event_id: int  # the access_event row, to pick the scan by reference
    uid: str
    device_id: str
    device_label: str
    at: dt.datetime

    @property
    def device_name(self) -> str:
        return self.device_label or self.device_id


def recent_unknown_badges(
    *, now: dt.datetime, window: dt.timedelta = WINDOW, limit: int = MAX_OFFERED
) -> list[UnknownScan]:
    """The latest scan of each unknown badge within `window`, newest first.

    A badge ever registered is left out: one registered since the scan, and a revoked
    one (a device deciding from its allow-list calls it unknown too, but it was
    somebody's, possibly another company's).
    """
    rows = db.session.execute(_unknown_scans(now - window).limit(limit * 10))
    offered: dict[str, UnknownScan] = {}
    for event_id, uid, device_id, at, label in rows:
        if uid is not None and uid not in offered:  # never None: the query asks for a UID
            offered[uid] = UnknownScan(event_id, uid, device_id, label or "", at)
    return list(offered.values())[:limit]


def unknown_scan(
    event_id: int, *, now: dt.datetime, window: dt.timedelta = WINDOW
) -> UnknownScan | None:
    """One offered scan by its event id (the form without JavaScript); None once too old."""
    row = db.session.execute(_unknown_scans(now - window).where(AccessEvent.id == event_id)).first()
    if row is None:
        return None
    found_id, uid, device_id, at, label = row
    if uid is None:
        return None
    return UnknownScan(found_id, uid, device_id, label or "", at)


def _unknown_scans(
    since: dt.datetime,
) -> Select[tuple[int, str | None, str, dt.datetime, str]]:
    return (
        select(
            AccessEvent.id,
            AccessEvent.badge_uid,
            AccessEvent.device_id,
            AccessEvent.device_time,
            Device.label,
        )
        .outerjoin(Device, Device.id == AccessEvent.device_id)
        .where(
            AccessEvent.received_at >= since,  # the indexed column narrows it first
            AccessEvent.device_time >= since,
            AccessEvent.type == EventType.ACCESS_DECISION.value,
            AccessEvent.reason == DecisionReason.UNKNOWN_BADGE.value,
            AccessEvent.badge_uid.is_not(None),
            # Never registered: not even a revoked badge (that one is someone's history).
            ~select(Badge.id).where(Badge.uid == AccessEvent.badge_uid).exists(),
        )
        .order_by(AccessEvent.device_time.desc(), AccessEvent.id.desc())
    )
