import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bridge_protocol.access import AccessResponse
from bridge_protocol.acl import AllowList
from bridge_protocol.commands import Command, Unlock
from bridge_protocol.errors import ProtocolError, SignatureError
from bridge_protocol.keys import key_id
from bridge_protocol.limits import MAX_ACL_BYTES
from bridge_protocol.signing import Signer, Verifier, open_signed

T0 = 1_711_846_800_000
SEED = bytes(range(32))

# The same vector is in docs/protocol.md ("Signing test vector").
VECTOR_KID = "56475aa75463474c"
VECTOR_BODY = (
    '{"dev":"door-main","type":"cmd","iat":1711846800000,"exp":1711846830000,'
    '"nonce":"q0mC3V9x7yq4kS1LwZ2pAg","cid":"3c2b1a0f-9e8d-4c7b-a6f5-e4d3c2b1a098",'
    '"command":{"name":"unlock","seconds":5}}'
)
VECTOR_SIG = (
    "xN0BkJ0yw0CeJn8QKzQmdjxImEf79qS8O5zOoZ6QjjhOq7oU9YsSz8W1BCLEW_wQMgglxDFBVLtlTpU4-fhtAQ"
)


@pytest.fixture
def server_key():
    return Ed25519PrivateKey.from_private_bytes(SEED)


@pytest.fixture
def signer(server_key):
    return Signer(server_key)


@pytest.fixture
def verifier(server_key):
    return Verifier.from_keys(server_key.public_key())


def envelope(payload):
    return json.loads(payload)


def reenvelope(message):
    return json.dumps(message).encode()


def test_signing_vector(signer, make_command):
    payload = signer.sign(make_command())
    message = envelope(payload)
    assert message == {"v": 1, "kid": VECTOR_KID, "body": VECTOR_BODY, "sig": VECTOR_SIG}


def test_vector_verifies_with_the_raw_public_key(server_key):
    signature = base64.urlsafe_b64decode(VECTOR_SIG + "==")
    server_key.public_key().verify(signature, VECTOR_BODY.encode())


def test_kid_is_derived_from_the_public_key(server_key, signer):
    assert signer.kid == key_id(server_key.public_key()) == VECTOR_KID


def test_sign_and_open_a_command(signer, verifier, make_command):
    command = open_signed(
        signer.sign(make_command()), verifier, Command, expect_dev="door-main", now_ms=T0 + 1
    )
    assert command.command == Unlock(seconds=5)


def test_sign_a_model_and_verify_returns_its_exact_text(signer, verifier, make_command):
    body = Command.model_validate_json(json.dumps(make_command()))
    text = verifier.verify(signer.sign(body))
    assert text == body.model_dump_json()


def test_the_exact_body_bytes_are_signed_not_a_re_serialisation(server_key, verifier):
    """A body with unusual spacing and key order verifies as sent, and only as sent."""
    text = '{ "type":"cmd",  "dev":"door-main","iat":1,"exp":2 }'
    signature = base64.urlsafe_b64encode(server_key.sign(text.encode())).rstrip(b"=").decode()
    message = {"v": 1, "kid": VECTOR_KID, "body": text, "sig": signature}
    assert verifier.verify(reenvelope(message)) == text
    message["body"] = '{"type":"cmd","dev":"door-main","iat":1,"exp":2}'
    with pytest.raises(SignatureError) as caught:
        verifier.verify(reenvelope(message))
    assert caught.value.reason == "bad_signature"


def test_non_ascii_body_verifies(signer, verifier, make_command):
    body = make_command()
    body["note"] = "caf\u00e9 \U0001f6aa"
    assert json.loads(verifier.verify(signer.sign(body)))["note"] == body["note"]


def test_body_escaped_as_ascii_in_the_envelope_still_verifies(signer, verifier, make_command):
    body = make_command()
    body["note"] = "caf\u00e9"
    message = envelope(signer.sign(body))
    ascii_payload = json.dumps(message, ensure_ascii=True).encode()
    assert verifier.verify(ascii_payload) == message["body"]


def tamper_body(message):
    message["body"] = message["body"].replace('"seconds":5', '"seconds":9')


def tamper_sig(message):
    last = message["sig"][0]
    message["sig"] = ("A" if last != "A" else "B") + message["sig"][1:]


@pytest.mark.parametrize("tamper", [tamper_body, tamper_sig])
def test_tampering_breaks_the_signature(signer, verifier, make_command, tamper):
    message = envelope(signer.sign(make_command()))
    tamper(message)
    with pytest.raises(SignatureError) as caught:
        verifier.verify(reenvelope(message))
    assert caught.value.reason == "bad_signature"


def test_another_key_under_the_same_kid_is_refused(verifier, make_command):
    impostor = Signer(Ed25519PrivateKey.generate(), kid=VECTOR_KID)
    with pytest.raises(SignatureError) as caught:
        verifier.verify(impostor.sign(make_command()))
    assert caught.value.reason == "bad_signature"


def test_unknown_kid_is_refused(verifier, make_command):
    stranger = Signer(Ed25519PrivateKey.generate())
    with pytest.raises(SignatureError) as caught:
        verifier.verify(stranger.sign(make_command()))
    assert caught.value.reason == "unknown_kid"


def test_two_keys_allow_rotation(server_key, make_command):
    new_key = Ed25519PrivateKey.generate()
    verifier = Verifier.from_keys(server_key.public_key(), new_key.public_key())
    for key in (server_key, new_key):
        assert verifier.verify(Signer(key).sign(make_command()))
    assert set(verifier.kids) == {key_id(server_key.public_key()), key_id(new_key.public_key())}


@pytest.mark.parametrize("count", [0, 3])
def test_a_verifier_holds_one_or_two_keys(count):
    keys = [Ed25519PrivateKey.generate().public_key() for _ in range(count)]
    with pytest.raises(ValueError, match="1 to 2"):
        Verifier.from_keys(*keys)


MALFORMED = [
    ("not json", b"not json"),
    ("array", b"[]"),
    ("empty object", b"{}"),
    ("no sig", {"v": 1, "kid": VECTOR_KID, "body": "{}"}),
    ("no kid", {"v": 1, "body": "{}", "sig": VECTOR_SIG}),
    ("body is an object", {"v": 1, "kid": VECTOR_KID, "body": {}, "sig": VECTOR_SIG}),
    ("kid upper-case", {"v": 1, "kid": VECTOR_KID.upper(), "body": "{}", "sig": VECTOR_SIG}),
    ("kid too short", {"v": 1, "kid": "abcd", "body": "{}", "sig": VECTOR_SIG}),
    ("sig padded", {"v": 1, "kid": VECTOR_KID, "body": "{}", "sig": VECTOR_SIG + "=="}),
    ("sig standard b64", {"v": 1, "kid": VECTOR_KID, "body": "{}", "sig": "+" * 86}),
    ("sig too short", {"v": 1, "kid": VECTOR_KID, "body": "{}", "sig": VECTOR_SIG[:-1]}),
    ("sig as bytes list", {"v": 1, "kid": VECTOR_KID, "body": "{}", "sig": [1, 2]}),
    (
        "extra field",
        {"v": 1, "kid": VECTOR_KID, "body": "{}", "sig": VECTOR_SIG, "alg": "none"},
    ),
    ("lone surrogate in body", b'{"v":1,"kid":"56475aa75463474c","body":"\\ud800","sig":"x"}'),
]


@pytest.mark.parametrize(
    "payload", [case[1] for case in MALFORMED], ids=[case[0] for case in MALFORMED]
)
def test_malformed_envelopes_are_signature_errors(verifier, payload):
    if isinstance(payload, dict):
        payload = reenvelope(payload)
    with pytest.raises(SignatureError) as caught:
        verifier.verify(payload)
    assert caught.value.reason == "malformed"


@pytest.mark.parametrize("version", [2, 0, "1", True])
def test_envelope_of_another_version_is_unsupported(verifier, signer, make_command, version):
    message = envelope(signer.sign(make_command()))
    message["v"] = version
    with pytest.raises(ProtocolError) as caught:
        verifier.verify(reenvelope(message))
    assert caught.value.reason == "unsupported_version"


def test_oversize_envelope_is_refused_before_decoding(verifier):
    with pytest.raises(ProtocolError) as caught:
        verifier.verify(b" " * (MAX_ACL_BYTES + 1))
    assert caught.value.reason == "too_large"


def test_open_signed_uses_the_model_size_limit(signer, verifier, make_command):
    body = make_command()
    body["pad"] = "x" * 3000
    with pytest.raises(ProtocolError) as caught:
        open_signed(signer.sign(body), verifier, Command, expect_dev="door-main", now_ms=T0)
    assert caught.value.reason == "too_large"


def test_open_signed_refuses_a_foreign_device(signer, verifier, make_command):
    payload = signer.sign(make_command(dev="laser-1"))
    with pytest.raises(ProtocolError) as caught:
        open_signed(payload, verifier, Command, expect_dev="door-main", now_ms=T0)
    assert caught.value.reason == "foreign_dev"


@pytest.mark.parametrize(
    ("now", "expired"), [(T0, False), (T0 + 29_999, False), (T0 + 30_000, True)]
)
def test_open_signed_refuses_an_expired_body(signer, verifier, make_command, now, expired):
    payload = signer.sign(make_command())
    if expired:
        with pytest.raises(ProtocolError) as caught:
            open_signed(payload, verifier, Command, expect_dev="door-main", now_ms=now)
        assert caught.value.reason == "expired"
    else:
        assert open_signed(payload, verifier, Command, expect_dev="door-main", now_ms=now)


def test_open_signed_without_a_clock_skips_the_expiry(signer, verifier, make_command):
    payload = signer.sign(make_command())
    assert open_signed(payload, verifier, Command, expect_dev="door-main", now_ms=None)


def test_a_body_signed_for_one_purpose_cannot_be_used_for_another(signer, verifier, make_command):
    payload = signer.sign(make_command())
    with pytest.raises(ProtocolError) as caught:
        open_signed(payload, verifier, AllowList, expect_dev="door-main", now_ms=T0)
    assert caught.value.reason == "invalid"


def test_signed_garbage_body_is_invalid_not_a_signature_error(signer, verifier):
    payload = signer.sign({"dev": "door-main", "type": "auth", "iat": 1, "exp": 2, "x": []})
    with pytest.raises(ProtocolError) as caught:
        open_signed(payload, verifier, AccessResponse, expect_dev="door-main", now_ms=0)
    assert caught.value.reason == "invalid"


def test_signer_refuses_a_dict_without_the_common_fields(signer):
    with pytest.raises(ValueError, match="dev, iat"):
        signer.sign({"type": "cmd", "exp": 1})


def test_signer_refuses_a_model_that_would_be_too_large(signer, make_allow_list, make_entry):
    month = [[T0 + d * 86_400_000, T0 + d * 86_400_000 + 1000] for d in range(30)]
    entries = [make_entry(badge=f"{i:043d}", member=i + 1, valid=month) for i in range(5000)]
    allow_list = AllowList.model_validate_json(json.dumps(make_allow_list(entries=entries)))
    with pytest.raises(ProtocolError) as caught:
        signer.sign(allow_list)
    assert caught.value.reason == "too_large"


def test_a_signed_allow_list_opens(signer, verifier, make_allow_list):
    payload = signer.sign(AllowList.model_validate_json(json.dumps(make_allow_list())))
    allow_list = open_signed(payload, verifier, AllowList, expect_dev="door-main", now_ms=T0)
    assert allow_list.ver == 7
