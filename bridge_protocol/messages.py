"""Every message of the MQTT contract, in one place.

Import models from here. `MESSAGES` lists each message with its topic, whether
it is signed and its size limit; the JSON Schema generator and the docs use it.
Decode with `parse(Model, payload)` (or `parse_event` for events, and
`signing.open_signed` for signed bodies).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bridge_protocol import limits, topics
from bridge_protocol.access import AccessRequest, AccessResponse
from bridge_protocol.acl import AllowEntry, AllowList, StalePolicy
from bridge_protocol.codec import WireModel, dump, parse
from bridge_protocol.commands import Command, CommandAck, Lockout, PowerOff, Resync, Unlock
from bridge_protocol.events import (
    EVENT_ADAPTER,
    EVENT_MODELS,
    AccessDecision,
    AccessDecisionEvent,
    AclApplied,
    AclAppliedEvent,
    AclRejected,
    AclRejectedEvent,
    CmdExecuted,
    CmdExecutedEvent,
    DecisionMode,
    DoorClosed,
    DoorClosedEvent,
    DoorForced,
    DoorForcedEvent,
    DoorHeldOpen,
    DoorHeldOpenEvent,
    DoorOpened,
    DoorOpenedEvent,
    Event,
    EventEnvelope,
    EventType,
    ReaderError,
    ReaderErrorEvent,
    SessionEnd,
    SessionEndEvent,
    SessionStart,
    SessionStartEvent,
    SessionTick,
    SessionTickEvent,
    parse_event,
    peek_event_id,
)
from bridge_protocol.signing import SignedEnvelope
from bridge_protocol.status import DeviceStatus, EventAck, RejectedEvent, ServerStatus, SimScan

__all__ = [
    "EVENT_ADAPTER",
    "EVENT_MODELS",
    "MESSAGES",
    "AccessDecision",
    "AccessDecisionEvent",
    "AccessRequest",
    "AccessResponse",
    "AclApplied",
    "AclAppliedEvent",
    "AclRejected",
    "AclRejectedEvent",
    "AllowEntry",
    "AllowList",
    "CmdExecuted",
    "CmdExecutedEvent",
    "Command",
    "CommandAck",
    "DecisionMode",
    "DeviceStatus",
    "DoorClosed",
    "DoorClosedEvent",
    "DoorForced",
    "DoorForcedEvent",
    "DoorHeldOpen",
    "DoorHeldOpenEvent",
    "DoorOpened",
    "DoorOpenedEvent",
    "Event",
    "EventAck",
    "EventEnvelope",
    "EventType",
    "Lockout",
    "MessageSpec",
    "PowerOff",
    "ReaderError",
    "ReaderErrorEvent",
    "RejectedEvent",
    "Resync",
    "ServerStatus",
    "SessionEnd",
    "SessionEndEvent",
    "SessionStart",
    "SessionStartEvent",
    "SessionTick",
    "SessionTickEvent",
    "SignedEnvelope",
    "SimScan",
    "StalePolicy",
    "Unlock",
    "WireModel",
    "dump",
    "parse",
    "parse_event",
    "peek_event_id",
]


@dataclass(frozen=True)
class MessageSpec:
    name: str
    topic: str
    schema: Any
    max_bytes: int
    signed: bool = False
    retained: bool = False


_K = topics.TopicKind

MESSAGES: tuple[MessageSpec, ...] = (
    MessageSpec(
        "DeviceStatus",
        topics.topic_template(_K.STATUS),
        DeviceStatus,
        limits.MAX_STATUS_BYTES,
        retained=True,
    ),
    MessageSpec("Event", topics.topic_template(_K.EVENT), EVENT_ADAPTER, limits.MAX_EVENT_BYTES),
    MessageSpec(
        "AccessRequest",
        topics.topic_template(_K.AUTH_REQUEST),
        AccessRequest,
        limits.MAX_AUTH_REQUEST_BYTES,
    ),
    MessageSpec(
        "CommandAck", topics.topic_template(_K.CMD_ACK), CommandAck, limits.MAX_CMD_ACK_BYTES
    ),
    MessageSpec(
        "AllowList",
        topics.topic_template(_K.ACL),
        AllowList,
        limits.MAX_ACL_BYTES,
        signed=True,
        retained=True,
    ),
    MessageSpec(
        "AccessResponse",
        topics.topic_template(_K.AUTH_RESPONSE),
        AccessResponse,
        limits.MAX_AUTH_RESPONSE_BYTES,
        signed=True,
    ),
    MessageSpec(
        "EventAck", topics.topic_template(_K.EVENT_ACK), EventAck, limits.MAX_EVENT_ACK_BYTES
    ),
    MessageSpec(
        "Command",
        topics.topic_template(_K.COMMAND),
        Command,
        limits.MAX_COMMAND_BYTES,
        signed=True,
    ),
    MessageSpec(
        "ServerStatus",
        topics.SERVER_STATUS,
        ServerStatus,
        limits.MAX_SERVER_STATUS_BYTES,
        retained=True,
    ),
    MessageSpec("SimScan", topics.SIM_SCAN_TEMPLATE, SimScan, limits.MAX_SIM_SCAN_BYTES),
)
