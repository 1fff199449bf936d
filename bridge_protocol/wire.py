"""Wire formats shared by every message: times, ids, bounded types.

* ``ts``, ``iat``, ``exp``: integer milliseconds since the Unix epoch, UTC.
* ``id``, ``sid``, ``req``, ``cid``: lower-case hyphenated UUIDs.
* ``boot``: 8 lower-case hex characters, new at every process start.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import Field

from bridge_protocol.badge_keys import BADGE_HMAC_PATTERN
from bridge_protocol.badges import CANONICAL_UID_PATTERN
from bridge_protocol.topics import DEVICE_ID_PATTERN

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: 9999-12-31T23:59:59.999Z, the last instant a datetime can hold
MAX_EPOCH_MS = 253_402_300_799_999
#: the largest integer every JSON implementation represents exactly
MAX_SAFE_INT = 2**53 - 1

UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
BOOT_PATTERN = r"^[0-9a-f]{8}$"
CODE_PATTERN = r"^[a-z][a-z0-9_]{0,47}$"
_UUID = re.compile(UUID_PATTERN)
_BOOT = re.compile(BOOT_PATTERN)


def now_ms() -> int:
    """The wall clock as integer milliseconds since the epoch."""
    return time.time_ns() // 1_000_000


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of a timezone-aware datetime (sub-ms truncated)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("to_ms needs a timezone-aware datetime")
    return (moment - EPOCH) // timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    """The UTC datetime of `ms` milliseconds since the epoch."""
    if type(ms) is not int:
        raise TypeError("from_ms needs an integer number of milliseconds")
    if not 0 <= ms <= MAX_EPOCH_MS:
        raise ValueError(f"{ms} ms is outside 0..{MAX_EPOCH_MS}")
    return EPOCH + timedelta(milliseconds=ms)


def is_uuid(value: object) -> bool:
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


def is_boot_id(value: object) -> bool:
    return isinstance(value, str) and _BOOT.fullmatch(value) is not None


def new_uuid() -> str:
    return str(uuid.uuid4())


def new_boot_id() -> str:
    return secrets.token_hex(4)


# Annotated types for the message models -------------------------------------

EpochMs = Annotated[
    int, Field(ge=0, le=MAX_EPOCH_MS, description="milliseconds since the Unix epoch, UTC")
]
Uuid = Annotated[str, Field(pattern=UUID_PATTERN, description="lower-case hyphenated UUID")]
BootId = Annotated[str, Field(pattern=BOOT_PATTERN, description="8 lower-case hex characters")]
DeviceId = Annotated[str, Field(pattern=DEVICE_ID_PATTERN, description="device id")]
CanonicalUid = Annotated[
    str, Field(pattern=CANONICAL_UID_PATTERN, description="canonical badge UID (upper-case hex)")
]
BadgeHmac = Annotated[
    str, Field(pattern=BADGE_HMAC_PATTERN, description="base64url HMAC-SHA256 of a badge UID")
]
Code = Annotated[str, Field(pattern=CODE_PATTERN, description="short machine code")]
Count = Annotated[int, Field(ge=0, le=MAX_SAFE_INT)]
MemberId = Annotated[int, Field(ge=1, le=MAX_SAFE_INT, description="server member id")]
Seconds = Annotated[int, Field(ge=0, le=10 * 365 * 86_400)]
