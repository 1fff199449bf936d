"""Device passwords on their way to the broker: sealed, never plain text in the database.

The web process makes a device's MQTT password and must hand it to the gateway,
which alone talks to the broker. It travels in the ``secret`` column of an
``account`` outbox row, sealed with Fernet (AES-128-CBC + HMAC-SHA256) under a
key derived with HKDF from the app's SECRET_KEY, which the web and the gateway
share (one ``incubator.env``). The gateway opens it, gives it to the broker and
sets the column to None in the transaction that marks the row done.

A database backup taken in between holds only the sealed form. Changing
SECRET_KEY while a row waits makes it unreadable: the gateway reports the row
as failed and a manager rotates the device's credentials again.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"incubator/v1/device-outbox-secret"
_PREFIX = "f1:"
#: 32 random bytes, URL-safe base64: 256 bits, well above the 128 a password needs
PASSWORD_BYTES = 32


class SecretUnreadable(ValueError):
    """A sealed secret that this SECRET_KEY cannot open (changed key, damaged value)."""


def new_device_password() -> str:
    return secrets.token_urlsafe(PASSWORD_BYTES)


def _fernet(secret_key: str) -> Fernet:
    if not secret_key:
        raise ValueError("a SECRET_KEY is needed to seal device passwords")
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret_key.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(raw))


def seal_secret(plain: str, *, secret_key: str) -> str:
    return _PREFIX + _fernet(secret_key).encrypt(plain.encode("utf-8")).decode("ascii")


def open_secret(sealed: str, *, secret_key: str) -> str:
    if not sealed.startswith(_PREFIX):
        raise SecretUnreadable("not a sealed secret")
    try:
        return _fernet(secret_key).decrypt(sealed[len(_PREFIX) :].encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise SecretUnreadable("this SECRET_KEY cannot open the secret") from exc
