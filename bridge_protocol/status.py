"""Presence and bookkeeping messages: device and server status, event acks, demo scans."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from bridge_protocol.badges import MAX_RAW_LENGTH, ReaderFormat
from bridge_protocol.codec import PY_LAX, WireModel
from bridge_protocol.limits import (
    MAX_ACK_IDS,
    MAX_EVENT_ACK_BYTES,
    MAX_REJECTED,
    MAX_SERVER_STATUS_BYTES,
    MAX_SIM_SCAN_BYTES,
    MAX_STATUS_BYTES,
)
from bridge_protocol.version import PROTOCOL_VERSION, Version
from bridge_protocol.wire import BootId, Code, Count, EpochMs, Uuid

VersionText = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[\x21-\x7e]+$")]


class DeviceStatus(WireModel):
    """``up/status``, retained: the birth message (``ready``) and the Last Will (``lost``).

    The device republishes it when its counts change (at most every few seconds).
    The Will is registered at connect time, so its counts may be old.
    """

    MAX_BYTES: ClassVar[int] = MAX_STATUS_BYTES

    v: Version = PROTOCOL_VERSION
    state: Literal["ready", "lost"]
    boot: BootId
    ts: EpochMs | None = None
    kind: Literal["door", "machine"] | None = None
    outbox: Count | None = Field(default=None, description="events waiting for an ack")
    dead: Count | None = Field(default=None, description="events the server rejected")
    acl_ver: Count | None = Field(default=None, description="allow-list version applied")
    versions: dict[Code, VersionText] = Field(
        default_factory=dict,
        max_length=8,
        description='software versions, e.g. {"bridge": "0.1.0"}',
    )


class ServerStatus(WireModel):
    """``server/status``, retained; the gateway's Last Will says ``offline``."""

    MAX_BYTES: ClassVar[int] = MAX_SERVER_STATUS_BYTES

    v: Version = PROTOCOL_VERSION
    state: Literal["online", "offline"]


class RejectedEvent(WireModel):
    id: Uuid
    reason: Code = Field(description="an EventRejection code")


class EventAck(WireModel):
    """``down/ack``: events stored (``ids``) or refused for good (``rejected``), after commit."""

    MAX_BYTES: ClassVar[int] = MAX_EVENT_ACK_BYTES

    v: Version = PROTOCOL_VERSION
    ids: Annotated[tuple[Uuid, ...], PY_LAX] = Field(max_length=MAX_ACK_IDS)
    rejected: Annotated[tuple[RejectedEvent, ...], PY_LAX] = Field(
        default=(), max_length=MAX_REJECTED
    )


class SimScan(WireModel):
    """``sim/{dev}/scan`` (demo only): a badge presented to a simulated reader."""

    MAX_BYTES: ClassVar[int] = MAX_SIM_SCAN_BYTES

    v: Version = PROTOCOL_VERSION
    raw: str = Field(min_length=1, max_length=MAX_RAW_LENGTH)
    format: ReaderFormat | None = Field(
        default=None, description="defaults to the reader's configured format"
    )
