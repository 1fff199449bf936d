"""Every MQTT topic of the system. No topic string may be written anywhere else.

A device publishes under ``incubator/v1/d/{dev}/up/...`` and subscribes under
``incubator/v1/d/{dev}/down/...`` and to ``incubator/v1/server/status``; the
device id is also its MQTT username, so the broker confines each device to its
own topics with ``%u`` (see `device_publish_acl` and `device_subscribe_acl`).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import NamedTuple

PREFIX = "incubator/v1/"
SERVER_STATUS = f"{PREFIX}server/status"
# Mosquitto's dynamic-security control API (server accounts only, never devices).
DYNSEC_CONTROL = "$CONTROL/dynamic-security/v1"
DYNSEC_RESPONSE = f"{DYNSEC_CONTROL}/response"
QOS = 1

DEVICE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,31}$"
_DEVICE_ID = re.compile(DEVICE_ID_PATTERN)

_DEVICE_ROOT = f"{PREFIX}d/"
_SIM_ROOT = f"{PREFIX}sim/"


class Direction(StrEnum):
    UP = "up"
    DOWN = "down"


class TopicKind(StrEnum):
    """The part of a device topic after ``up/`` or ``down/``."""

    STATUS = "status"
    EVENT = "evt"
    AUTH_REQUEST = "req/auth"
    CMD_ACK = "cmdack"
    ACL = "acl"
    AUTH_RESPONSE = "res/auth"
    EVENT_ACK = "ack"
    COMMAND = "cmd"


DIRECTION_OF: dict[TopicKind, Direction] = {
    TopicKind.STATUS: Direction.UP,
    TopicKind.EVENT: Direction.UP,
    TopicKind.AUTH_REQUEST: Direction.UP,
    TopicKind.CMD_ACK: Direction.UP,
    TopicKind.ACL: Direction.DOWN,
    TopicKind.AUTH_RESPONSE: Direction.DOWN,
    TopicKind.EVENT_ACK: Direction.DOWN,
    TopicKind.COMMAND: Direction.DOWN,
}

#: Kinds published with the retain flag; everything else is never retained.
RETAINED_KINDS = frozenset({TopicKind.STATUS, TopicKind.ACL})


class DeviceTopic(NamedTuple):
    dev: str
    direction: Direction
    kind: TopicKind


def is_valid_device_id(dev: object) -> bool:
    return isinstance(dev, str) and _DEVICE_ID.fullmatch(dev) is not None


def check_device_id(dev: str) -> str:
    """Return `dev` unchanged, or raise ValueError: it would otherwise end up in a topic."""
    if not is_valid_device_id(dev):
        raise ValueError(
            f"invalid device id {dev!r}: 2 to 32 characters a-z, 0-9 and '-', not starting with '-'"
        )
    return dev


def device_topic(dev: str, kind: TopicKind) -> str:
    direction = DIRECTION_OF[kind]
    return f"{_DEVICE_ROOT}{check_device_id(dev)}/{direction}/{kind}"


def topic_template(kind: TopicKind) -> str:
    """The topic with a literal ``{dev}`` placeholder, for documentation."""
    return f"{_DEVICE_ROOT}{{dev}}/{DIRECTION_OF[kind]}/{kind}"


def status(dev: str) -> str:
    return device_topic(dev, TopicKind.STATUS)


def events(dev: str) -> str:
    return device_topic(dev, TopicKind.EVENT)


def auth_request(dev: str) -> str:
    return device_topic(dev, TopicKind.AUTH_REQUEST)


def cmd_ack(dev: str) -> str:
    return device_topic(dev, TopicKind.CMD_ACK)


def acl(dev: str) -> str:
    return device_topic(dev, TopicKind.ACL)


def auth_response(dev: str) -> str:
    return device_topic(dev, TopicKind.AUTH_RESPONSE)


def event_ack(dev: str) -> str:
    return device_topic(dev, TopicKind.EVENT_ACK)


def command(dev: str) -> str:
    return device_topic(dev, TopicKind.COMMAND)


SIM_SCAN_TEMPLATE = f"{_SIM_ROOT}{{dev}}/scan"


def sim_scan(dev: str) -> str:
    """Where the demo injects badge scans for a simulated reader."""
    return f"{_SIM_ROOT}{check_device_id(dev)}/scan"


def is_retained(kind: TopicKind) -> bool:
    return kind in RETAINED_KINDS


# Subscription filters ---------------------------------------------------------


def device_up_filter() -> str:
    """What the gateway subscribes to: everything every device sends."""
    return f"{_DEVICE_ROOT}+/up/#"


def device_down_filter(dev: str) -> str:
    """What one device subscribes to (plus `SERVER_STATUS`)."""
    return f"{_DEVICE_ROOT}{check_device_id(dev)}/down/#"


def all_down_filter() -> str:
    """Everything the server sends to any device (monitoring, tests)."""
    return f"{_DEVICE_ROOT}+/down/#"


def sim_scan_filter() -> str:
    return f"{_SIM_ROOT}+/scan"


# Broker ACL patterns (Mosquitto substitutes %u with the username) -----------


def device_publish_acl() -> str:
    return f"{_DEVICE_ROOT}%u/up/#"


def device_subscribe_acl() -> str:
    return f"{_DEVICE_ROOT}%u/down/#"


# Parsing ----------------------------------------------------------------------

_KIND_BY_SUFFIX = {f"{DIRECTION_OF[kind]}/{kind}": kind for kind in TopicKind}


def parse_device_topic(topic: str) -> DeviceTopic | None:
    """Split a device topic into (dev, direction, kind); None for anything else."""
    if not isinstance(topic, str) or not topic.startswith(_DEVICE_ROOT):
        return None
    dev, sep, suffix = topic[len(_DEVICE_ROOT) :].partition("/")
    kind = _KIND_BY_SUFFIX.get(suffix) if sep else None
    if kind is None or not is_valid_device_id(dev):
        return None
    return DeviceTopic(dev, DIRECTION_OF[kind], kind)


def parse_sim_scan_topic(topic: str) -> str | None:
    """The device id of a simulated-scan topic, or None."""
    if not isinstance(topic, str) or not topic.startswith(_SIM_ROOT):
        return None
    dev, sep, rest = topic[len(_SIM_ROOT) :].partition("/")
    if sep and rest == "scan" and is_valid_device_id(dev):
        return dev
    return None
