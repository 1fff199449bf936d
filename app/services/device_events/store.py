"""Storing one event from ``up/evt``: once per (device, id), or quarantined with a reason.

`ingest_event` takes the raw payload and the device id from the topic. It
returns what the gateway must acknowledge: the id (stored, or a duplicate of a
stored one), the id with a reason (refused: kept raw in `QuarantinedEvent`), or
nothing at all (unreadable: no id to name, so no ack; the device resends it).

A batch can read which of its events are already stored in one query
(`EventBatch.load`) and pass it as ``batch``: each event then costs no query of
its own, and its row is inserted with the others' (`EventBatch.write`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, and_, insert, or_, select

from app.extensions import db
from app.models import AccessEvent, QuarantinedEvent
from bridge_protocol.errors import ProtocolError
from bridge_protocol.events import (
    AccessDecisionEvent,
    AclAppliedEvent,
    AclRejectedEvent,
    CmdExecutedEvent,
    Event,
    ReaderErrorEvent,
    SessionEndEvent,
    SessionStartEvent,
    SessionTickEvent,
    parse_event,
    peek_event_id,
)
from bridge_protocol.wire import from_ms

from . import commands, effects, presence, sessions
from .resolve import NOBODY, Resolver, Subject

#: a synchronised clock this far ahead of ours is not believed
MAX_CLOCK_LEAD = dt.timedelta(minutes=5)


class Outcome(StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"  # quarantined; acked as rejected
    UNREADABLE = "unreadable"  # no readable id: dropped, not acked


@dataclass(frozen=True)
class IngestResult:
    outcome: Outcome
    event_id: str | None = None
    reason: str | None = None
    event_type: str | None = None


def event_time(event: Event, received_at: dt.datetime) -> dt.datetime:
    """The device's time of the event if its clock was synchronised (and sane), else ours."""
    if event.clk != "sync":
        return received_at
    at = from_ms(event.ts)
    return at if at <= received_at + MAX_CLOCK_LEAD else received_at


#: ids per query when a batch reads which of its events are stored
_IDS_PER_QUERY = 500


class EventBatch:
    """The events of one ingest batch: which are stored already, and the new rows.

    `load` reads, for the whole batch, which (device, id) pairs ``access_event``
    holds; `ingest_event` then finds a duplicate without a query of its own (the
    batch's own new events included) and leaves its new row here; `write`
    inserts them all with one multi-row INSERT. Any failure there (a row the
    database refuses) raises: the caller handles the batch again event by event.
    """

    def __init__(self, stored: Iterable[tuple[str, str]] = ()) -> None:
        self._known = set(stored)
        self.rows: list[dict[str, Any]] = []

    @classmethod
    def load(cls, pairs: Iterable[tuple[str, str]]) -> EventBatch:
        """Which of `pairs` are stored, read through the (device, id) unique index.

        One query for a few hundred ids: ``(device_id = d AND event_id IN (...)) OR
        ...``, one term per device, which both databases answer with an index
        search per term. (``device_id IN (...) AND event_id IN (...)`` makes
        PostgreSQL scan the table, and a row-value IN makes SQLite scan the index.)
        """
        ordered = sorted(set(pairs))
        found: set[tuple[str, str]] = set()
        for start in range(0, len(ordered), _IDS_PER_QUERY):
            by_device: dict[str, list[str]] = {}
            for device_id, event_id in ordered[start : start + _IDS_PER_QUERY]:
                by_device.setdefault(device_id, []).append(event_id)
            rows = db.session.execute(
                select(AccessEvent.device_id, AccessEvent.event_id).where(
                    or_(
                        *(
                            and_(AccessEvent.device_id == device_id, AccessEvent.event_id.in_(ids))
                            for device_id, ids in by_device.items()
                        )
                    )
                )
            )
            found.update(rows.tuples())
        return cls(found)

    def seen(self, device_id: str, event_id: str) -> bool:
        """Whether the event is stored or already in this batch; notes it if not."""
        pair = (device_id, event_id)
        if pair in self._known:
            return True
        self._known.add(pair)
        return False

    def write(self) -> int:
        """Insert the batch's new rows (one statement); returns how many."""
        if self.rows:  # Core, not the ORM's bulk insert: no objects, no identity map
            db.session.execute(insert(cast(Table, AccessEvent.__table__)), self.rows)
        written, self.rows = len(self.rows), []
        return written


def ingest_event(
    payload: bytes,
    *,
    device_id: str,
    received_at: dt.datetime,
    resolver: Resolver,
    batch: EventBatch | None = None,
) -> IngestResult:
    """Store one event. With `batch`, no query to find a duplicate, and the new row
    waits in the batch for its `EventBatch.write`; without, it is added to the session."""
    try:
        event = parse_event(payload, expect_dev=device_id)
    except ProtocolError as exc:
        return _refuse(payload, device_id, exc.reason, received_at)
    if batch.seen(device_id, event.id) if batch is not None else _stored(device_id, event.id):
        return IngestResult(Outcome.DUPLICATE, event.id, event_type=event.type)
    at = event_time(event, received_at)
    row = _row(event, device_id, at, received_at, resolver)
    subject = _apply(
        event,
        Subject(row["member_id"], row["tenant_id"]),
        resource_id=row["resource_id"],
        device_id=device_id,
        at=at,
        received_at=received_at,
    )
    if row["member_id"] is None and subject.member_id is not None:
        row["member_id"], row["tenant_id"] = subject.member_id, subject.tenant_id
    if batch is not None:
        batch.rows.append(row)
    else:
        db.session.add(AccessEvent(**row))
    return IngestResult(Outcome.STORED, event.id, event_type=event.type)


def _stored(device_id: str, event_id: str) -> bool:
    return (
        db.session.scalar(
            select(AccessEvent.id).where(
                AccessEvent.device_id == device_id, AccessEvent.event_id == event_id
            )
        )
        is not None
    )


def _refuse(payload: bytes, device_id: str, reason: str, received_at: dt.datetime) -> IngestResult:
    event_id = peek_event_id(payload)
    if event_id is None:
        return IngestResult(Outcome.UNREADABLE, reason=reason)
    already = db.session.scalar(
        select(QuarantinedEvent.id).where(
            QuarantinedEvent.device_id == device_id, QuarantinedEvent.event_id == event_id
        )
    )
    if already is None:
        text = bytes(payload).decode("utf-8", "replace").replace("\x00", "\ufffd")
        db.session.add(
            QuarantinedEvent(
                device_id=device_id,
                event_id=event_id,
                reason=reason[:60],
                payload=text,
                received_at=received_at,
            )
        )
    return IngestResult(Outcome.REJECTED, event_id, reason)


def _badge_and_member(event: Event) -> tuple[str | None, int | None]:
    if isinstance(event, AccessDecisionEvent | SessionStartEvent):
        return event.data.badge, event.data.member
    return None, None


def _reason_and_mode(event: Event) -> tuple[str | None, str | None, bool | None]:
    """(reason, mode, granted) where the event has them."""
    if isinstance(event, AccessDecisionEvent):
        data = event.data
        return data.reason.value, data.mode.value, data.granted
    if isinstance(event, SessionStartEvent):
        return None, event.data.mode.value, None
    if isinstance(event, SessionEndEvent):
        return event.data.reason.value, None, None
    if isinstance(event, AclRejectedEvent):
        return event.data.reason, None, None
    if isinstance(event, ReaderErrorEvent):
        return event.data.code, None, None
    if isinstance(event, CmdExecutedEvent):
        return event.data.reason or event.data.result, None, None
    return None, None, None


def _row(
    event: Event,
    device_id: str,
    at: dt.datetime,
    received_at: dt.datetime,
    resolver: Resolver,
) -> dict[str, Any]:
    """The ``access_event`` row's values."""
    badge, member = _badge_and_member(event)
    subject = resolver.subject(member, badge) if (badge or member) else NOBODY
    reason, mode, granted = _reason_and_mode(event)
    return {
        "event_id": event.id,
        "device_id": device_id,
        "type": event.type,
        "boot": event.boot,
        "seq": event.seq,
        "badge_uid": badge,
        "member_id": subject.member_id,
        "tenant_id": subject.tenant_id,
        "resource_id": resolver.resource_of(device_id),
        "granted": granted,
        "reason": reason[:40] if reason else None,
        "mode": mode,
        "device_time": at,
        "clock_synced": event.clk == "sync",
        "received_at": received_at,
        "data": event.data.model_dump(mode="json"),
    }


def _apply(
    event: Event,
    subject: Subject,
    *,
    resource_id: int | None,
    device_id: str,
    at: dt.datetime,
    received_at: dt.datetime,
) -> Subject:
    """The event's effects on other rows; returns who a session event concerns."""
    if isinstance(event, AccessDecisionEvent):
        if event.data.granted and resource_id is not None and subject.member_id is not None:
            effects.check_in_booking(
                resource_id=resource_id,
                member_id=subject.member_id,
                tenant_id=subject.tenant_id,
                at=at,
            )
        return subject
    if isinstance(event, SessionStartEvent):
        row = sessions.on_start(
            event,
            device_id=device_id,
            at=at,
            received_at=received_at,
            subject=subject,
            resource_id=resource_id,
        )
        if subject.member_id is not None and resource_id is not None:
            effects.renew_qualification(member_id=subject.member_id, resource_id=resource_id, at=at)
    elif isinstance(event, SessionTickEvent):
        row = sessions.on_tick(
            event, device_id=device_id, at=at, received_at=received_at, resource_id=resource_id
        )
    elif isinstance(event, SessionEndEvent):
        row = sessions.on_end(
            event, device_id=device_id, at=at, received_at=received_at, resource_id=resource_id
        )
    else:
        _apply_device_report(event, device_id=device_id, received_at=received_at)
        return subject
    sessions.close_if_from_old_boot(row)
    return Subject(row.member_id, row.tenant_id)


def _apply_device_report(event: Event, *, device_id: str, received_at: dt.datetime) -> None:
    if isinstance(event, AclAppliedEvent):
        presence.record_acl_applied(device_id, event.data.ver)
    elif isinstance(event, CmdExecutedEvent):
        data = event.data
        commands.record_result(
            device_id=device_id,
            cid=data.cid,
            result=data.result,
            reason=data.reason,
            now=received_at,
        )
