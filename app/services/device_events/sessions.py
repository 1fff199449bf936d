"""Usage sessions, built from ``session.start``, ``session.tick`` and ``session.end`` in any order.

Whichever event of a session arrives first creates its row. Durations come from
the device's monotonic clock (``elapsed_s``), so a session's end is its start
plus the elapsed time the device reported. The device closes its own sessions;
the server closes one (``orphaned``, a *provisional* end at its last tick) only
when the device reports a new boot without having ended it, or after 24 hours
without events while the device is online. A later ``session.end`` from the
device replaces a provisional end.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.extensions import db
from app.models import Device, UsageSession
from bridge_protocol.events import SessionEndEvent, SessionStartEvent, SessionTickEvent
from bridge_protocol.reasons import SessionEndReason

from .resolve import Subject

SILENCE = dt.timedelta(hours=24)


def _find(device_id: str, sid: str) -> UsageSession | None:
    return db.session.scalar(
        select(UsageSession).where(
            UsageSession.device_id == device_id, UsageSession.session_id == sid
        )
    )


def _seconds(value: int) -> dt.timedelta:
    return dt.timedelta(seconds=value)


def _open_row(
    device_id: str, sid: str, *, boot: str, started_at: dt.datetime, received_at: dt.datetime
) -> UsageSession:
    row = UsageSession(
        session_id=sid,
        device_id=device_id,
        boot=boot,
        started_at=started_at,
        last_event_at=received_at,
        busy_s=0,
        idle_s=0,
        provisional_end=False,
    )
    db.session.add(row)
    return row


def _seen(row: UsageSession, received_at: dt.datetime) -> None:
    if row.last_event_at is None or received_at > row.last_event_at:
        row.last_event_at = received_at


def on_start(
    event: SessionStartEvent,
    *,
    device_id: str,
    at: dt.datetime,
    received_at: dt.datetime,
    subject: Subject,
    resource_id: int | None,
) -> UsageSession:
    row = _find(device_id, event.data.sid)
    if row is None:
        row = _open_row(
            device_id, event.data.sid, boot=event.boot, started_at=at, received_at=received_at
        )
    else:
        # Created by a tick or an end that came first: the start knows the real
        # start; an end already set keeps its duration.
        if row.ended_at is not None:
            row.ended_at = at + (row.ended_at - row.started_at)
        row.started_at = at
        row.boot = event.boot
    row.member_id = subject.member_id
    row.tenant_id = subject.tenant_id
    row.resource_id = resource_id
    _seen(row, received_at)
    return row


def _find_or_open(
    event: SessionTickEvent | SessionEndEvent,
    *,
    device_id: str,
    at: dt.datetime,
    received_at: dt.datetime,
    resource_id: int | None,
) -> UsageSession:
    """The session a tick or end belongs to; opened from it when the start is still to come."""
    data = event.data
    row = _find(device_id, data.sid)
    if row is None:
        row = _open_row(
            device_id,
            data.sid,
            boot=event.boot,
            started_at=at - _seconds(data.elapsed_s),
            received_at=received_at,
        )
        row.resource_id = resource_id
    return row


def on_tick(
    event: SessionTickEvent,
    *,
    device_id: str,
    at: dt.datetime,
    received_at: dt.datetime,
    resource_id: int | None,
) -> UsageSession:
    data = event.data
    row = _find_or_open(
        event, device_id=device_id, at=at, received_at=received_at, resource_id=resource_id
    )
    tick_at = row.started_at + _seconds(data.elapsed_s)
    if row.last_tick_at is None or tick_at > row.last_tick_at:
        row.last_tick_at = tick_at
    if row.ended_at is None or row.provisional_end:
        row.busy_s = max(row.busy_s or 0, data.busy_s)
        row.idle_s = max(row.idle_s or 0, data.idle_s)
    if row.ended_at is not None and row.provisional_end and tick_at > row.ended_at:
        row.ended_at = tick_at
    _seen(row, received_at)
    return row


def on_end(
    event: SessionEndEvent,
    *,
    device_id: str,
    at: dt.datetime,
    received_at: dt.datetime,
    resource_id: int | None,
) -> UsageSession:
    data = event.data
    row = _find_or_open(
        event, device_id=device_id, at=at, received_at=received_at, resource_id=resource_id
    )
    if row.ended_at is None or row.provisional_end:
        row.ended_at = row.started_at + _seconds(data.elapsed_s)
        row.stop_reason = str(data.reason)
        row.provisional_end = False
        row.busy_s = data.busy_s
        row.idle_s = data.idle_s
    _seen(row, received_at)
    return row


def close_orphan(row: UsageSession) -> None:
    """End an open session at its last tick (or its start), until the device says otherwise."""
    row.ended_at = row.last_tick_at or row.started_at
    row.stop_reason = SessionEndReason.ORPHANED.value
    row.provisional_end = True


def close_if_from_old_boot(row: UsageSession) -> bool:
    """An old boot's session that arrives after the device reported a new boot: orphaned."""
    if row.ended_at is not None:
        return False
    device = db.session.get(Device, row.device_id)
    if device is None or device.boot is None or device.boot == row.boot:
        return False
    close_orphan(row)
    return True


def close_sessions_of_old_boots(device_id: str, boot: str) -> int:
    """The device reported boot `boot`: its open sessions of any other boot are orphans."""
    rows = db.session.scalars(
        select(UsageSession).where(
            UsageSession.device_id == device_id,
            UsageSession.ended_at.is_(None),
            UsageSession.boot != boot,
        )
    )
    closed = 0
    for row in rows:
        close_orphan(row)
        closed += 1
    return closed


def close_silent_sessions(*, now: dt.datetime, silence: dt.timedelta = SILENCE) -> int:
    """Jobs runner: open sessions without an event for `silence` at a device that is online."""
    rows = db.session.scalars(
        select(UsageSession)
        .join(Device, Device.id == UsageSession.device_id)
        .where(
            UsageSession.ended_at.is_(None),
            UsageSession.last_event_at < now - silence,
            Device.online.is_(True),
        )
    )
    closed = 0
    for row in rows:
        close_orphan(row)
        closed += 1
    return closed
