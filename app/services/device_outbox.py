"""The `DeviceOutbox` table: what the gateway must send to the devices.

The web side calls `request_acl_refresh` in the same transaction as any change
that alters what a device may admit; the gateway claims the committed rows,
builds, signs, publishes and marks them (`claim_pending`, `mark_done`,
`mark_failed`).

Coalescing: a change adds no row when an unclaimed pending row already covers
the device. "Unclaimed" matters: the gateway claims rows (``attempts`` + 1,
committed) *before* it reads the data it publishes, so a change that joins a
claimed row could be missed. The coalescing read locks the row it joins
(``FOR UPDATE`` on PostgreSQL; on SQLite every write transaction already holds
the database lock), so a claim waits for the change to commit, or the change
sees the claim and adds a row of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import or_, select, update

from app.extensions import db
from app.models import Device, DeviceOutbox, OutboxKind, Resource

MAX_ATTEMPTS = 10


def request_acl_refresh(*, reason: str, device_id: str | None = None) -> DeviceOutbox:
    """Ask the gateway to republish the allow-list of `device_id` (None: every device).

    Returns the pending row that covers the request, new or already there.
    """
    covering = select(DeviceOutbox).where(
        DeviceOutbox.kind == OutboxKind.ACL,
        DeviceOutbox.done_at.is_(None),
        DeviceOutbox.attempts == 0,
    )
    if device_id is None:
        covering = covering.where(DeviceOutbox.device_id.is_(None))
    else:
        covering = covering.where(
            or_(DeviceOutbox.device_id == device_id, DeviceOutbox.device_id.is_(None))
        )
    pending = db.session.scalar(covering.order_by(DeviceOutbox.id).limit(1).with_for_update())
    if pending is not None:
        return pending
    row = DeviceOutbox(kind=OutboxKind.ACL, device_id=device_id, reason=reason[:80])
    db.session.add(row)
    return row


def devices_of_resource(resource: Resource | int) -> list[str]:
    """Active devices at `resource` or at one of its children (a parent booking covers them)."""
    resource_id = resource if isinstance(resource, int) else resource.id
    children = select(Resource.id).where(Resource.parent_id == resource_id)
    return list(
        db.session.scalars(
            select(Device.id)
            .where(
                Device.active.is_(True),
                or_(Device.resource_id == resource_id, Device.resource_id.in_(children)),
            )
            .order_by(Device.id)
        )
    )


def request_acl_refresh_for_resource(resource: Resource | int, *, reason: str) -> int:
    """`request_acl_refresh` for each device `resource` concerns; returns how many."""
    devices = devices_of_resource(resource)
    for device_id in devices:
        request_acl_refresh(reason=reason, device_id=device_id)
    return len(devices)


# The gateway's side ------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimedRow:
    """A claimed row's facts, read before the claim commits (no lazy loads after it)."""

    id: int
    kind: OutboxKind
    device_id: str | None
    command_id: str | None


def claim_pending(*, kinds: Iterable[OutboxKind], limit: int = 100) -> list[ClaimedRow]:
    """Pending rows of `kinds`, oldest first, each counted as one more attempt.

    The caller commits the claim before it reads what it will publish.
    """
    rows = list(
        db.session.scalars(
            select(DeviceOutbox)
            .where(DeviceOutbox.done_at.is_(None), DeviceOutbox.kind.in_(list(kinds)))
            .order_by(DeviceOutbox.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    for row in rows:
        row.attempts += 1
    db.session.flush()
    return [ClaimedRow(row.id, row.kind, row.device_id, row.command_id) for row in rows]


def newest_pending_id() -> int | None:
    """The id of the newest pending row of any kind, or None."""
    return db.session.scalar(
        select(DeviceOutbox.id)
        .where(DeviceOutbox.done_at.is_(None))
        .order_by(DeviceOutbox.id.desc())
        .limit(1)
    )


def mark_done(row_ids: Iterable[int], *, now: dt.datetime, error: str | None = None) -> None:
    ids = list(row_ids)
    if ids:
        db.session.execute(
            update(DeviceOutbox)
            .where(DeviceOutbox.id.in_(ids))
            .values(done_at=now, last_error=error[:300] if error else None)
        )


def mark_failed(row_ids: Iterable[int], *, now: dt.datetime, error: str) -> None:
    """Record a failed attempt; a row that failed `MAX_ATTEMPTS` times is given up (done)."""
    ids = list(row_ids)
    if not ids:
        return
    db.session.execute(
        update(DeviceOutbox).where(DeviceOutbox.id.in_(ids)).values(last_error=error[:300])
    )
    db.session.execute(
        update(DeviceOutbox)
        .where(DeviceOutbox.id.in_(ids), DeviceOutbox.attempts >= MAX_ATTEMPTS)
        .values(done_at=now)
    )


def bump_acl_version(device_id: str) -> int | None:
    """The device's next allow-list version, to be committed before anything is published
    (a version is never sent twice, even if the publish or the process fails).

    The caller commits after each device, so the gateway never holds two device rows'
    locks at once (the ingest worker locks device rows too: no deadlock between them).
    """
    device = db.session.get(Device, device_id)
    if device is None:
        return None
    device.acl_version_published = (device.acl_version_published or 0) + 1
    db.session.flush()
    return device.acl_version_published
