"""Signed messages: allow-lists, access decisions and commands.

On the wire::

    {"v":1,"kid":"<16 hex>","body":"<JSON text>","sig":"<base64url Ed25519 signature>"}

The signature covers the UTF-8 bytes of ``body`` exactly as sent. A receiver
verifies those bytes first and only then parses them; nobody re-serialises a
body before verifying it, so no two JSON encoders ever have to agree.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, Field

from bridge_protocol.bodies import SignedBody
from bridge_protocol.codec import Payload, WireModel, parse
from bridge_protocol.errors import Expired, ForeignDevice, ProtocolError, SignatureError
from bridge_protocol.keys import KID_PATTERN, key_id
from bridge_protocol.limits import MAX_ACL_BYTES
from bridge_protocol.version import PROTOCOL_VERSION, Version

BodyT = TypeVar("BodyT", bound=SignedBody)

SIG_PATTERN = r"^[A-Za-z0-9_-]{86}$"
MAX_VERIFY_KEYS = 2
_REQUIRED_BODY_FIELDS = ("dev", "type", "iat", "exp")


class SignedEnvelope(WireModel):
    """The wrapper of every signed message; ``body`` is the signed JSON text."""

    MAX_BYTES: ClassVar[int] = MAX_ACL_BYTES

    v: Version = PROTOCOL_VERSION
    kid: str = Field(pattern=KID_PATTERN, description="id of the signing key")
    body: str = Field(max_length=MAX_ACL_BYTES, description="the signed JSON text")
    sig: str = Field(
        pattern=SIG_PATTERN, description="base64url (no padding) Ed25519 signature of body"
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class Signer:
    """Signs bodies with the server's Ed25519 key."""

    def __init__(self, private_key: Ed25519PrivateKey, kid: str | None = None) -> None:
        self._key = private_key
        self.kid = kid if kid is not None else key_id(private_key.public_key())

    def sign(self, body: BaseModel | Mapping[str, Any]) -> bytes:
        """The payload to publish: the envelope around `body`, compact JSON, UTF-8."""
        if isinstance(body, BaseModel):
            text = body.model_dump_json()
            limit = getattr(body, "MAX_BYTES", 0)
        else:
            missing = [name for name in _REQUIRED_BODY_FIELDS if name not in body]
            if missing:
                raise ValueError(f"a signed body needs {', '.join(missing)}")
            text = json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
            limit = 0
        signature = self._key.sign(text.encode("utf-8"))
        envelope = {"v": PROTOCOL_VERSION, "kid": self.kid, "body": text, "sig": _b64url(signature)}
        payload = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        if limit and len(payload) > limit:
            raise ProtocolError(
                f"signed {type(body).__name__} is {len(payload)} bytes, over {limit}",
                reason="too_large",
            )
        return payload


class Verifier:
    """Checks signatures against one or two public keys (two while a key is rotated)."""

    def __init__(self, public_keys: Mapping[str, Ed25519PublicKey]) -> None:
        if not 1 <= len(public_keys) <= MAX_VERIFY_KEYS:
            raise ValueError(f"a verifier takes 1 to {MAX_VERIFY_KEYS} public keys")
        self._keys = dict(public_keys)

    @classmethod
    def from_keys(cls, *public_keys: Ed25519PublicKey) -> Verifier:
        return cls({key_id(key): key for key in public_keys})

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def verify(self, payload: Payload, *, max_bytes: int = MAX_ACL_BYTES) -> str:
        """The body text of a signed payload whose signature checks out.

        Raises `SignatureError` (reason ``malformed``, ``unknown_kid`` or
        ``bad_signature``), `PayloadTooLarge` or `UnsupportedVersion`.
        """
        try:
            envelope = parse(SignedEnvelope, payload, max_bytes=max_bytes)
        except ProtocolError as exc:
            if exc.reason in ("bad_json", "invalid"):
                raise SignatureError("malformed signed envelope", reason="malformed") from None
            raise
        key = self._keys.get(envelope.kid)
        if key is None:
            raise SignatureError(f"unknown key id {envelope.kid}", reason="unknown_kid")
        try:
            signature = base64.urlsafe_b64decode(envelope.sig + "==")
            key.verify(signature, envelope.body.encode("utf-8"))
        except (InvalidSignature, binascii.Error, ValueError):
            raise SignatureError("signature does not verify", reason="bad_signature") from None
        return envelope.body


def open_signed(
    payload: Payload,
    verifier: Verifier,
    model: type[BodyT],
    *,
    expect_dev: str,
    now_ms: int | None,
) -> BodyT:
    """Verify, parse and check a signed body meant for `expect_dev`.

    A body is valid while ``now_ms < exp``. Pass ``now_ms=None`` only when the
    device clock is not synchronised: the expiry is then not checked, and the
    caller must get freshness elsewhere (an auth response echoes the one
    pending ``req``; a device without a synchronised clock refuses commands).
    """
    text = verifier.verify(payload, max_bytes=model.MAX_BYTES)
    body = parse(model, text, max_bytes=model.MAX_BYTES)
    if body.dev != expect_dev:
        raise ForeignDevice(f"signed {body.type} is for {body.dev!r}, not {expect_dev!r}")
    if now_ms is not None and now_ms >= body.exp:
        raise Expired(f"signed {body.type} expired {now_ms - body.exp} ms ago")
    return body
