"""Remote commands (``down/cmd``, signed) and their acknowledgements (``up/cmdack``).

Commands are never retained or queued. A device acts on a command only if the
signature verifies, ``dev`` is its own, ``exp`` has not passed (by a
synchronised clock) and it has not seen the ``nonce`` before; it keeps seen
nonces until their ``exp``. Every command gets an ack, executed or refused.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from bridge_protocol.bodies import SignedBody
from bridge_protocol.codec import WireModel
from bridge_protocol.limits import MAX_CMD_ACK_BYTES, MAX_COMMAND_BYTES, MAX_COMMAND_TTL_MS
from bridge_protocol.version import PROTOCOL_VERSION, Version
from bridge_protocol.wire import Code, EpochMs, Uuid

NONCE_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"


class Unlock(WireModel):
    """Doors: release the strike for `seconds`."""

    name: Literal["unlock"] = "unlock"
    seconds: int = Field(ge=1, le=3600)


class PowerOff(WireModel):
    """Machines: end the session and release the relay.

    Without `force` a device refuses (``machine_busy``) while the busy input is active.
    """

    name: Literal["power_off"] = "power_off"
    force: bool = False


class Lockout(WireModel):
    """Lock the resource out (or lift it) at once, before the next allow-list arrives."""

    name: Literal["lockout"] = "lockout"
    on: bool


class Resync(WireModel):
    """Resend the status and every unacknowledged event now."""

    name: Literal["resync"] = "resync"


Action = Annotated[Unlock | PowerOff | Lockout | Resync, Field(discriminator="name")]


class Command(SignedBody):
    """Signed body on ``down/cmd``."""

    MAX_BYTES: ClassVar[int] = MAX_COMMAND_BYTES
    MAX_TTL_MS: ClassVar[int] = MAX_COMMAND_TTL_MS

    type: Literal["cmd"] = "cmd"
    nonce: str = Field(pattern=NONCE_PATTERN, description="random, base64url, never reused")
    cid: Uuid = Field(description="command id, echoed in the ack")
    command: Action


class CommandAck(WireModel):
    """``up/cmdack``."""

    MAX_BYTES: ClassVar[int] = MAX_CMD_ACK_BYTES

    v: Version = PROTOCOL_VERSION
    cid: Uuid
    result: Literal["executed", "refused"]
    reason: Code | None = Field(default=None, description="a CommandRefusal code when refused")
    ts: EpochMs

    @model_validator(mode="after")
    def _reason_only_when_refused(self) -> CommandAck:
        if (self.result == "refused") != (self.reason is not None):
            raise ValueError("reason is required when refused and absent when executed")
        return self
