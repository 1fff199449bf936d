"""Events: what a device reports through its outbox on ``up/evt``.

Every event is one JSON object: the envelope fields, a ``type`` and a ``data``
object whose shape depends on the type::

    {"v":1,"id":"...","dev":"door-main","boot":"0a1b2c3d","seq":17,
     "ts":1711846800000,"mono":5025,"clk":"sync",
     "type":"door.forced","data":{}}
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from bridge_protocol.codec import PY_LAX, Payload, WireModel, parse
from bridge_protocol.errors import ForeignDevice
from bridge_protocol.limits import MAX_EVENT_BYTES
from bridge_protocol.reasons import DecisionReason, SessionEndReason
from bridge_protocol.version import PROTOCOL_VERSION, Version
from bridge_protocol.wire import (
    BootId,
    CanonicalUid,
    Code,
    Count,
    DeviceId,
    EpochMs,
    MemberId,
    Seconds,
    Uuid,
)

Clock = Literal["sync", "unsync"]
CommandName = Literal["unlock", "power_off", "lockout", "resync"]
CommandResult = Literal["executed", "refused"]


class EventType(StrEnum):
    ACCESS_DECISION = "access.decision"
    SESSION_START = "session.start"
    SESSION_TICK = "session.tick"
    SESSION_END = "session.end"
    DOOR_OPENED = "door.opened"
    DOOR_CLOSED = "door.closed"
    DOOR_HELD_OPEN = "door.held_open"
    DOOR_FORCED = "door.forced"
    ACL_APPLIED = "acl.applied"
    ACL_REJECTED = "acl.rejected"
    READER_ERROR = "reader.error"
    CMD_EXECUTED = "cmd.executed"


class DecisionMode(StrEnum):
    """Who decided: the server (``online``) or the device's allow-list.

    ``cache``: the broker and the server were up but no answer came in time.
    ``offline``: no broker connection, or the server's status is offline.
    """

    ONLINE = "online"
    CACHE = "cache"
    OFFLINE = "offline"


# Payloads ---------------------------------------------------------------------


class AccessDecision(WireModel):
    badge: CanonicalUid
    member: MemberId | None = None
    granted: bool
    reason: Annotated[DecisionReason, PY_LAX]
    mode: Annotated[DecisionMode, PY_LAX]
    req: Uuid | None = Field(default=None, description="the online request, if one was sent")
    acl_ver: Count | None = Field(default=None, description="allow-list used, if any")

    @model_validator(mode="after")
    def _granted_only_with_ok(self) -> AccessDecision:
        if self.granted != (self.reason is DecisionReason.OK):
            raise ValueError("granted must be true exactly when reason is 'ok'")
        return self


class SessionStart(WireModel):
    sid: Uuid
    member: MemberId
    badge: CanonicalUid
    mode: Annotated[DecisionMode, PY_LAX]
    max_s: Seconds | None = None


class SessionTick(WireModel):
    sid: Uuid
    elapsed_s: Seconds = Field(description="since session.start, from the monotonic clock")
    busy_s: Seconds = Field(description="total time the busy input was active")
    idle_s: Seconds = Field(description="total time the busy input was inactive")
    busy: bool = Field(description="the busy input now")


class SessionEnd(WireModel):
    sid: Uuid
    reason: Annotated[SessionEndReason, PY_LAX]
    elapsed_s: Seconds
    busy_s: Seconds
    idle_s: Seconds


class DoorOpened(WireModel):
    by: Literal["badge", "schedule", "remote"] = Field(description="what released the strike")


class DoorClosed(WireModel):
    open_s: Seconds


class DoorHeldOpen(WireModel):
    open_s: Seconds


class DoorForced(WireModel):
    """The door opened while the strike was locked."""


class AclApplied(WireModel):
    ver: Count
    entries: Count
    exp: EpochMs


class AclRejected(WireModel):
    ver: Count | None = Field(default=None, description="if the body could be read")
    reason: Code = Field(description="an AclRejection code")


class ReaderError(WireModel):
    code: Code = Field(description="unreadable, bad_format, disconnected, ...")
    detail: str = Field(default="", max_length=200)


class CmdExecuted(WireModel):
    cid: Uuid
    command: CommandName
    result: CommandResult
    reason: Code | None = Field(default=None, description="a CommandRefusal code when refused")

    @model_validator(mode="after")
    def _reason_only_when_refused(self) -> CmdExecuted:
        if (self.result == "refused") != (self.reason is not None):
            raise ValueError("reason is required when refused and absent when executed")
        return self


# Envelopes --------------------------------------------------------------------


class EventEnvelope(WireModel):
    """The fields every event carries."""

    MAX_BYTES: ClassVar[int] = MAX_EVENT_BYTES

    v: Version = PROTOCOL_VERSION
    id: Uuid = Field(description="idempotency key, unique per device")
    dev: DeviceId
    boot: BootId
    seq: Count = Field(description="persisted counter; restarts only with a new boot")
    ts: EpochMs = Field(description="device wall clock; trusted only when clk is sync")
    mono: Count = Field(description="monotonic milliseconds since boot")
    clk: Clock


class AccessDecisionEvent(EventEnvelope):
    type: Literal["access.decision"] = "access.decision"
    data: AccessDecision


class SessionStartEvent(EventEnvelope):
    type: Literal["session.start"] = "session.start"
    data: SessionStart


class SessionTickEvent(EventEnvelope):
    type: Literal["session.tick"] = "session.tick"
    data: SessionTick


class SessionEndEvent(EventEnvelope):
    type: Literal["session.end"] = "session.end"
    data: SessionEnd


class DoorOpenedEvent(EventEnvelope):
    type: Literal["door.opened"] = "door.opened"
    data: DoorOpened


class DoorClosedEvent(EventEnvelope):
    type: Literal["door.closed"] = "door.closed"
    data: DoorClosed


class DoorHeldOpenEvent(EventEnvelope):
    type: Literal["door.held_open"] = "door.held_open"
    data: DoorHeldOpen


class DoorForcedEvent(EventEnvelope):
    type: Literal["door.forced"] = "door.forced"
    data: DoorForced


class AclAppliedEvent(EventEnvelope):
    type: Literal["acl.applied"] = "acl.applied"
    data: AclApplied


class AclRejectedEvent(EventEnvelope):
    type: Literal["acl.rejected"] = "acl.rejected"
    data: AclRejected


class ReaderErrorEvent(EventEnvelope):
    type: Literal["reader.error"] = "reader.error"
    data: ReaderError


class CmdExecutedEvent(EventEnvelope):
    type: Literal["cmd.executed"] = "cmd.executed"
    data: CmdExecuted


Event = Annotated[
    AccessDecisionEvent
    | SessionStartEvent
    | SessionTickEvent
    | SessionEndEvent
    | DoorOpenedEvent
    | DoorClosedEvent
    | DoorHeldOpenEvent
    | DoorForcedEvent
    | AclAppliedEvent
    | AclRejectedEvent
    | ReaderErrorEvent
    | CmdExecutedEvent,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)

EVENT_MODELS: dict[EventType, type[EventEnvelope]] = {
    EventType.ACCESS_DECISION: AccessDecisionEvent,
    EventType.SESSION_START: SessionStartEvent,
    EventType.SESSION_TICK: SessionTickEvent,
    EventType.SESSION_END: SessionEndEvent,
    EventType.DOOR_OPENED: DoorOpenedEvent,
    EventType.DOOR_CLOSED: DoorClosedEvent,
    EventType.DOOR_HELD_OPEN: DoorHeldOpenEvent,
    EventType.DOOR_FORCED: DoorForcedEvent,
    EventType.ACL_APPLIED: AclAppliedEvent,
    EventType.ACL_REJECTED: AclRejectedEvent,
    EventType.READER_ERROR: ReaderErrorEvent,
    EventType.CMD_EXECUTED: CmdExecutedEvent,
}


def parse_event(payload: Payload, *, expect_dev: str | None = None) -> Event:
    """Decode one event; with `expect_dev` (the device id from the topic) refuse another dev."""
    event = parse(EVENT_ADAPTER, payload, max_bytes=MAX_EVENT_BYTES)
    if expect_dev is not None and event.dev != expect_dev:
        raise ForeignDevice(f"event from {event.dev!r} published by {expect_dev!r}")
    return event


class _IdProbe(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    id: Uuid


def peek_event_id(payload: Payload) -> str | None:
    """The ``id`` of an event that failed to parse, so the server can reject it by name.

    None when even that cannot be read (oversize, not JSON, no valid id): such a
    payload cannot be acknowledged, and the device will resend it.
    """
    if not isinstance(payload, bytes | bytearray | str):
        payload = bytes(payload)
    if len(payload) > MAX_EVENT_BYTES:
        return None
    try:
        return _IdProbe.model_validate_json(payload).id
    except ValidationError:
        return None
