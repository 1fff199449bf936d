"""Online access: the request a device sends and the signed decision it gets back.

The server copies the request's ``exp`` (device clock) into the response, so the
device checks a response against its own clock; the response's ``iat`` is the
server's clock, and the two are not compared.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from bridge_protocol.bodies import SignedBody
from bridge_protocol.codec import PY_LAX, WireModel
from bridge_protocol.limits import (
    MAX_AUTH_REQUEST_BYTES,
    MAX_AUTH_REQUEST_TTL_MS,
    MAX_AUTH_RESPONSE_BYTES,
)
from bridge_protocol.reasons import DecisionReason
from bridge_protocol.version import PROTOCOL_VERSION, Version
from bridge_protocol.wire import CanonicalUid, DeviceId, EpochMs, MemberId, Seconds, Uuid


class AccessRequest(WireModel):
    """``up/req/auth``: may this badge pass? Dropped by the server once ``exp`` has passed."""

    MAX_BYTES: ClassVar[int] = MAX_AUTH_REQUEST_BYTES

    v: Version = PROTOCOL_VERSION
    req: Uuid
    dev: DeviceId
    badge: CanonicalUid
    ts: EpochMs
    exp: EpochMs

    @model_validator(mode="after")
    def _short_lived(self) -> AccessRequest:
        if not self.ts < self.exp <= self.ts + MAX_AUTH_REQUEST_TTL_MS:
            raise ValueError(f"exp must be after ts and at most {MAX_AUTH_REQUEST_TTL_MS} ms later")
        return self


class AccessResponse(SignedBody):
    """Signed body on ``down/res/auth``: the server's decision for one request."""

    MAX_BYTES: ClassVar[int] = MAX_AUTH_RESPONSE_BYTES

    type: Literal["auth"] = "auth"
    req: Uuid = Field(description="the request answered")
    granted: bool
    reason: Annotated[DecisionReason, PY_LAX]
    member: MemberId | None = None
    staff: bool = False
    max_s: Seconds | None = Field(default=None, description="longest session, machines only")

    @model_validator(mode="after")
    def _granted_only_with_ok(self) -> AccessResponse:
        if self.granted != (self.reason is DecisionReason.OK):
            raise ValueError("granted must be true exactly when reason is 'ok'")
        return self
