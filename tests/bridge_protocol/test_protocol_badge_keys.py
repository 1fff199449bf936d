import base64
import hashlib
import hmac
import re

import pytest

from bridge_protocol.badge_keys import BADGE_HMAC_PATTERN, badge_hmac, derive_device_key
from bridge_protocol.errors import BadgeFormatError

SITE_KEY = bytes(range(32))

# The same vectors are listed in docs/protocol.md; keep both in step.
DEVICE_KEYS = [
    ("door-main", "dd5d0cc6239af93e1508de3289d2bb7be9d4e8c2fc99cccef477b4f25e23c639"),
    ("laser-1", "1273bed4e3c0776a1c74f6bf36316e50be1448efc3488fe10a31afc15e94aaff"),
]
HMACS = [
    ("door-main", "04A22B1C", "_EjiZFkh_2KGHJai7Pgd6uSXQR6QVy6zzMLkLt9kOTE"),
    ("laser-1", "04A22B1C", "HylSQVccFgKIBVCsI3QUGoP6bFRJCMiPhs_zuD0pUB0"),
    ("door-main", "04A2231C2B3C80", "sk5J8iEFTgAV0J2wt2RlJxObDqM3DRsu_MpAIRkt88Q"),
]


def rfc5869_hkdf_sha256(ikm, info, length=32):
    """An independent HKDF (RFC 5869) to cross-check the library call."""
    prk = hmac.new(b"\x00" * 32, ikm, hashlib.sha256).digest()
    okm, block, counter = b"", b"", 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
        counter += 1
    return okm[:length]


@pytest.mark.parametrize(("device_id", "expected_hex"), DEVICE_KEYS)
def test_device_key_vectors(device_id, expected_hex):
    assert derive_device_key(SITE_KEY, device_id).hex() == expected_hex


@pytest.mark.parametrize(("device_id", "expected_hex"), DEVICE_KEYS)
def test_device_key_is_rfc5869_hkdf_with_the_documented_info(device_id, expected_hex):
    info = b"incubator/v1/badge-key/" + device_id.encode()
    assert rfc5869_hkdf_sha256(SITE_KEY, info).hex() == expected_hex


@pytest.mark.parametrize(("device_id", "uid", "expected"), HMACS)
def test_badge_hmac_vectors(device_id, uid, expected):
    assert badge_hmac(derive_device_key(SITE_KEY, device_id), uid) == expected


def test_badge_hmac_is_base64url_of_hmac_sha256_over_the_ascii_uid():
    key = derive_device_key(SITE_KEY, "door-main")
    tag = hmac.new(key, b"04A22B1C", hashlib.sha256).digest()
    expected = base64.urlsafe_b64encode(tag).decode().rstrip("=")
    assert badge_hmac(key, "04A22B1C") == expected
    assert re.fullmatch(BADGE_HMAC_PATTERN, expected)


def test_each_device_gets_a_different_key_and_hmac():
    a = derive_device_key(SITE_KEY, "door-main")
    b = derive_device_key(SITE_KEY, "door-maim")
    assert a != b
    assert badge_hmac(a, "04A22B1C") != badge_hmac(b, "04A22B1C")


def test_another_site_key_gives_another_device_key():
    other = bytes(range(1, 33))
    assert derive_device_key(other, "door-main") != derive_device_key(SITE_KEY, "door-main")


@pytest.mark.parametrize("site_key", [b"", b"short", bytes(31), "0" * 32, None])
def test_short_or_non_bytes_site_key_is_refused(site_key):
    with pytest.raises(ValueError, match="site badge key"):
        derive_device_key(site_key, "door-main")


@pytest.mark.parametrize(
    "device_id", ["", "a", "Door", "door/main", "door+", "#", "-door", "d" * 33]
)
def test_invalid_device_id_is_refused(device_id):
    with pytest.raises(ValueError, match="invalid device id"):
        derive_device_key(SITE_KEY, device_id)


@pytest.mark.parametrize("uid", ["04a22b1c", "04:A2:2B:1C", "04A2", "", " 04A22B1C"])
def test_badge_hmac_needs_a_canonical_uid(uid):
    with pytest.raises(BadgeFormatError, match="canonical"):
        badge_hmac(bytes(32), uid)


@pytest.mark.parametrize("key", [b"", bytes(31), bytes(33), "k" * 32])
def test_badge_hmac_needs_a_32_byte_key(key):
    with pytest.raises(ValueError, match="32 bytes"):
        badge_hmac(key, "04A22B1C")
