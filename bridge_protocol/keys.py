"""Key material: the server's Ed25519 signing key and the site badge key.

Keys live in files (see ``incubator keys init``), written once with mode 0600.
Public keys travel in bridge configs as base64 of their 32 raw bytes; a key's id
(``kid``) is derived from the public key, so it cannot disagree with it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bridge_protocol.badge_keys import KEY_BYTES

KID_PATTERN = r"^[0-9a-f]{16}$"
_RAW = serialization.Encoding.Raw
_RAW_PUBLIC = serialization.PublicFormat.Raw


def generate_signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def key_id(public_key: Ed25519PublicKey) -> str:
    """The first 8 bytes of SHA-256 over the raw public key, as 16 hex characters."""
    return hashlib.sha256(public_key.public_bytes(_RAW, _RAW_PUBLIC)).digest()[:8].hex()


# Encodings --------------------------------------------------------------------


def decode_b64(text: str) -> bytes:
    """Base64 in either alphabet (standard or URL-safe), padding optional, whitespace ignored."""
    compact = "".join(text.split()).translate(str.maketrans("-_", "+/"))
    compact += "=" * (-len(compact) % 4)
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not valid base64") from None


def encode_b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def public_key_to_b64(public_key: Ed25519PublicKey) -> str:
    return encode_b64(public_key.public_bytes(_RAW, _RAW_PUBLIC))


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    raw = decode_b64(text)
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def private_key_to_b64(private_key: Ed25519PrivateKey) -> str:
    raw = private_key.private_bytes(
        _RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return encode_b64(raw)


def private_key_from_b64(text: str) -> Ed25519PrivateKey:
    raw = decode_b64(text)
    if len(raw) != 32:
        raise ValueError("an Ed25519 private key is 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(raw)


def private_key_to_pem(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def private_key_from_pem(data: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the signing key must be an Ed25519 key")
    return key


def public_key_to_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_key_from_pem(data: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the public key must be an Ed25519 key")
    return key


# Badge key --------------------------------------------------------------------


def generate_badge_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def badge_key_from_b64(text: str) -> bytes:
    raw = decode_b64(text)
    if len(raw) != KEY_BYTES:
        raise ValueError(f"a badge key is {KEY_BYTES} bytes")
    return raw


# Files ------------------------------------------------------------------------


def write_secret_file(
    path: str | os.PathLike[str], data: bytes, *, overwrite: bool = False
) -> None:
    """Write `data` readable by the owner only; refuse to replace a file unless told to."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    os.chmod(path, 0o600)


def save_signing_key(
    path: str | os.PathLike[str], private_key: Ed25519PrivateKey, *, overwrite: bool = False
) -> None:
    write_secret_file(path, private_key_to_pem(private_key), overwrite=overwrite)


def load_signing_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    return private_key_from_pem(Path(path).read_bytes())


def save_badge_key(path: str | os.PathLike[str], key: bytes, *, overwrite: bool = False) -> None:
    if len(key) != KEY_BYTES:
        raise ValueError(f"a badge key is {KEY_BYTES} bytes")
    write_secret_file(path, (encode_b64(key) + "\n").encode("ascii"), overwrite=overwrite)


def load_badge_key(path: str | os.PathLike[str]) -> bytes:
    return badge_key_from_b64(Path(path).read_text(encoding="ascii"))
