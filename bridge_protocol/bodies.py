"""The common part of every signed body: ``dev``, ``type``, ``iat``, ``exp``.

A body is what the server signs (see `bridge_protocol.signing`); the envelope's
``v`` covers it. ``type`` keeps a body signed for one purpose from being used
for another, ``dev`` from being used on another device.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from bridge_protocol.codec import WireModel
from bridge_protocol.wire import DeviceId, EpochMs


class SignedBody(WireModel):
    #: the longest ``exp - iat`` a sender may give; 0 = not checked
    MAX_TTL_MS: ClassVar[int] = 0

    dev: DeviceId
    type: str = Field(description="acl, auth or cmd")
    iat: EpochMs
    exp: EpochMs

    @model_validator(mode="after")
    def _validity_window(self) -> SignedBody:
        if self.MAX_TTL_MS and not self.iat < self.exp <= self.iat + self.MAX_TTL_MS:
            raise ValueError(f"exp must be after iat and at most {self.MAX_TTL_MS} ms after it")
        return self
