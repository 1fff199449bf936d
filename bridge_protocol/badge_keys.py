"""Badge HMACs: how allow-lists name badges without carrying their UIDs.

The server holds one random site badge key. Each device gets its own key,
derived with HKDF-SHA256 from the site key and the device id, so a Pi holds only
the key that matches its own allow-list. An allow-list entry names a badge as::

    base64url_nopad(HMAC-SHA256(device_key, ASCII bytes of the canonical UID))

e.g. the canonical UID ``04A22B1C`` is hashed as the 8 bytes ``b"04A22B1C"``.

Threat model: the HMAC keeps badge numbers out of the broker's retained copy of
an allow-list and away from anyone who can read the broker. It does not protect
against a stolen Pi: the thief holds that device's key and can test guessed UIDs
against its list (a 4-byte UID space is small enough to search). Other devices'
keys and the site key stay safe; the answer to a stolen Pi is to revoke it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bridge_protocol.badges import is_canonical
from bridge_protocol.errors import BadgeFormatError
from bridge_protocol.topics import check_device_id

KEY_BYTES = 32
#: base64url without padding of a 32-byte HMAC-SHA256 tag
BADGE_HMAC_PATTERN = r"^[A-Za-z0-9_-]{43}$"
_HKDF_INFO_PREFIX = b"incubator/v1/badge-key/"


def derive_device_key(site_key: bytes, device_id: str) -> bytes:
    """The 32-byte badge key of one device, bound to its id."""
    if not isinstance(site_key, bytes) or len(site_key) < KEY_BYTES:
        raise ValueError(f"the site badge key must be at least {KEY_BYTES} bytes")
    check_device_id(device_id)
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=None,
        info=_HKDF_INFO_PREFIX + device_id.encode("ascii"),
    )
    return hkdf.derive(site_key)


def badge_hmac(device_key: bytes, canonical_uid: str) -> str:
    """The allow-list name of a badge: base64url (no padding) of its HMAC-SHA256."""
    if not isinstance(device_key, bytes) or len(device_key) != KEY_BYTES:
        raise ValueError(f"a device badge key is exactly {KEY_BYTES} bytes")
    if not is_canonical(canonical_uid):
        raise BadgeFormatError("badge_hmac needs a canonical UID; call badges.normalize first")
    tag = hmac.new(device_key, canonical_uid.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(tag).rstrip(b"=").decode("ascii")
