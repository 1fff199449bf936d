"""The exceptions of bridge_protocol.

Everything this package raises on bad input derives from `BridgeProtocolError`
and from `ValueError`, so callers can catch either. Wire-level failures carry a
short machine `reason` (``too_large``, ``bad_json``, ...) that handlers use as
a metrics label and as the ``reason`` of a rejected event.
"""

from __future__ import annotations


class BridgeProtocolError(Exception):
    """Root of every error raised by bridge_protocol."""


class BadgeFormatError(BridgeProtocolError, ValueError):
    """A badge number that cannot be normalised. The message is for people."""


class ProtocolError(BridgeProtocolError, ValueError):
    """A message that a receiver must drop (after logging and counting it)."""

    reason: str = "invalid"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class PayloadTooLarge(ProtocolError):
    reason = "too_large"


class BadJson(ProtocolError):
    reason = "bad_json"


class InvalidMessage(ProtocolError):
    reason = "invalid"


class UnsupportedVersion(ProtocolError):
    reason = "unsupported_version"


class ForeignDevice(ProtocolError):
    """A message addressed to, or claiming to come from, another device."""

    reason = "foreign_dev"


class Expired(ProtocolError):
    """A message whose ``exp`` has passed."""

    reason = "expired"


class SignatureError(ProtocolError):
    """A signed envelope that does not verify.

    ``reason`` is ``bad_signature``, ``unknown_kid`` or ``malformed``.
    """

    reason = "bad_signature"


class ConfigError(BridgeProtocolError, ValueError):
    """A bridge configuration with one or more problems; `errors` lists them all."""

    def __init__(self, errors: list[str], *, source: str = "configuration") -> None:
        self.errors = list(errors)
        self.source = source
        lines = "\n".join(f"  - {error}" for error in self.errors)
        count = len(self.errors)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{source}: {count} {noun}:\n{lines}")
