import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bridge_protocol import keys

SEED = bytes(range(32))
SEED_PUBLIC_B64 = "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="


@pytest.fixture
def seed_key():
    return Ed25519PrivateKey.from_private_bytes(SEED)


def test_key_id_is_16_hex_of_sha256_over_the_raw_public_key(seed_key):
    assert keys.key_id(seed_key.public_key()) == "56475aa75463474c"


def test_generated_keys_differ():
    a, b = keys.generate_signing_key(), keys.generate_signing_key()
    assert keys.key_id(a.public_key()) != keys.key_id(b.public_key())


def test_public_key_base64_round_trip(seed_key):
    text = keys.public_key_to_b64(seed_key.public_key())
    assert text == SEED_PUBLIC_B64
    assert keys.key_id(keys.public_key_from_b64(text)) == keys.key_id(seed_key.public_key())


@pytest.mark.parametrize(
    "text",
    [
        SEED_PUBLIC_B64,
        SEED_PUBLIC_B64.rstrip("="),
        SEED_PUBLIC_B64.replace("+", "-").replace("/", "_"),
        " " + SEED_PUBLIC_B64[:20] + "\n" + SEED_PUBLIC_B64[20:] + " ",
    ],
)
def test_public_key_accepts_either_base64_alphabet_and_no_padding(text):
    assert keys.public_key_to_b64(keys.public_key_from_b64(text)) == SEED_PUBLIC_B64


@pytest.mark.parametrize(
    "text", ["", "AAAA", SEED_PUBLIC_B64 + "AAAA", "not base64!", "\u00e9" * 44]
)
def test_bad_public_keys_are_refused(text):
    with pytest.raises(ValueError, match=r"base64|32 bytes"):
        keys.public_key_from_b64(text)


def test_private_key_base64_round_trip(seed_key):
    text = keys.private_key_to_b64(seed_key)
    restored = keys.private_key_from_b64(text)
    assert keys.public_key_to_b64(restored.public_key()) == SEED_PUBLIC_B64


def test_pem_round_trips(seed_key):
    restored = keys.private_key_from_pem(keys.private_key_to_pem(seed_key))
    assert keys.public_key_to_b64(restored.public_key()) == SEED_PUBLIC_B64
    public = keys.public_key_from_pem(keys.public_key_to_pem(seed_key.public_key()))
    assert keys.public_key_to_b64(public) == SEED_PUBLIC_B64


def test_pem_of_another_key_type_is_refused():
    other = ec.generate_private_key(ec.SECP256R1())
    pem = other.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(ValueError, match="Ed25519"):
        keys.private_key_from_pem(pem)
    public_pem = other.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(ValueError, match="Ed25519"):
        keys.public_key_from_pem(public_pem)


def test_signing_key_file_is_private_and_never_overwritten(tmp_path, seed_key):
    path = tmp_path / "signing.pem"
    keys.save_signing_key(path, seed_key)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert keys.key_id(keys.load_signing_key(path).public_key()) == "56475aa75463474c"
    with pytest.raises(FileExistsError):
        keys.save_signing_key(path, keys.generate_signing_key())
    assert keys.key_id(keys.load_signing_key(path).public_key()) == "56475aa75463474c"


def test_overwrite_replaces_a_key_file_when_asked(tmp_path, seed_key):
    path = tmp_path / "signing.pem"
    keys.save_signing_key(path, keys.generate_signing_key())
    keys.save_signing_key(path, seed_key, overwrite=True)
    assert keys.key_id(keys.load_signing_key(path).public_key()) == "56475aa75463474c"


def test_badge_key_file_round_trip(tmp_path):
    key = keys.generate_badge_key()
    path = tmp_path / "badge.key"
    keys.save_badge_key(path, key)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert keys.load_badge_key(path) == key
    with pytest.raises(FileExistsError):
        keys.save_badge_key(path, key)


@pytest.mark.parametrize("key", [b"", bytes(31), bytes(33)])
def test_badge_key_must_be_32_bytes(tmp_path, key):
    with pytest.raises(ValueError, match="32 bytes"):
        keys.save_badge_key(tmp_path / "badge.key", key)
    with pytest.raises(ValueError, match="32 bytes"):
        keys.badge_key_from_b64(keys.encode_b64(key))
