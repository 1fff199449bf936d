"""docs/protocol.md stays true: its examples parse and its test vectors hold."""

import contextlib
import json
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bridge_protocol.badge_keys import badge_hmac, derive_device_key
from bridge_protocol.badges import normalize
from bridge_protocol.errors import BadgeFormatError, ProtocolError
from bridge_protocol.messages import (
    MESSAGES,
    AccessRequest,
    AccessResponse,
    AllowList,
    Command,
    CommandAck,
    DeviceStatus,
    EventAck,
    ServerStatus,
    SimScan,
    parse,
    parse_event,
)
from bridge_protocol.signing import Verifier, open_signed

DOC = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")
SITE_KEY = bytes(range(32))
VERIFIER = Verifier.from_keys(Ed25519PrivateKey.from_private_bytes(bytes(range(32))).public_key())
BODY_MODELS = {"acl": AllowList, "auth": AccessResponse, "cmd": Command}
PLAIN_MODELS = [AccessRequest, CommandAck, DeviceStatus, EventAck, ServerStatus, SimScan]

JSON_BLOCKS = re.findall(r"```json\n(.*?)```", DOC, flags=re.DOTALL)


def table(name):
    match = re.search(rf"<!-- vectors:{name} -->\n(.*?)<!-- /vectors:{name} -->", DOC, re.DOTALL)
    assert match, f"no vectors:{name} table in docs/protocol.md"
    rows = match.group(1).strip().splitlines()[2:]
    return [[cell.strip().strip("`") for cell in row.strip("|").split("|")] for row in rows]


def accepted_as(text):
    """The names of the models that accept `text` (a doc example)."""
    payload = text.encode()
    message = json.loads(text)
    names = []
    if "sig" in message:
        body_type = json.loads(message["body"])["type"]
        body = open_signed(
            payload, VERIFIER, BODY_MODELS[body_type], expect_dev=message_dev(message), now_ms=None
        )
        return [f"signed {type(body).__name__}"]
    if message.get("type") in BODY_MODELS and "data" not in message:
        parse(BODY_MODELS[message["type"]], payload)
        return [BODY_MODELS[message["type"]].__name__]
    with contextlib.suppress(ProtocolError):
        names.append(type(parse_event(payload)).__name__)
    for model in PLAIN_MODELS:
        with contextlib.suppress(ProtocolError):
            parse(model, payload)
            names.append(model.__name__)
    return names


def message_dev(envelope):
    return json.loads(envelope["body"])["dev"]


def test_the_doc_has_examples():
    assert len(JSON_BLOCKS) >= 30


@pytest.mark.parametrize("text", JSON_BLOCKS, ids=[f"block{i}" for i in range(len(JSON_BLOCKS))])
def test_every_json_example_is_a_valid_message(text):
    assert accepted_as(text), text


@pytest.mark.parametrize(
    "event_type",
    [
        "access.decision",
        "session.start",
        "session.tick",
        "session.end",
        "door.opened",
        "door.closed",
        "door.held_open",
        "door.forced",
        "acl.applied",
        "acl.rejected",
        "reader.error",
        "cmd.executed",
    ],
)
def test_the_doc_shows_every_event_type(event_type):
    assert any(f'"type":"{event_type}"' in block for block in JSON_BLOCKS)


@pytest.mark.parametrize(("raw", "reader_format", "canonical"), table("badges"))
def test_doc_badge_vectors(raw, reader_format, canonical):
    assert normalize(raw, reader_format) == canonical


@pytest.mark.parametrize(("raw", "reader_format", "why"), table("bad-badges"))
def test_doc_refused_badges(raw, reader_format, why):
    with pytest.raises(BadgeFormatError):
        normalize(raw, reader_format)


@pytest.mark.parametrize(("device", "key_hex"), table("device-keys"))
def test_doc_device_key_vectors(device, key_hex):
    assert derive_device_key(SITE_KEY, device).hex() == key_hex


@pytest.mark.parametrize(("device", "uid", "expected"), table("badge-hmacs"))
def test_doc_badge_hmac_vectors(device, uid, expected):
    assert badge_hmac(derive_device_key(SITE_KEY, device), uid) == expected


def test_doc_topics_table_matches_the_topic_functions():
    for spec in MESSAGES:
        assert f"`{spec.topic}`" in DOC, spec.topic
        limit = f"{spec.max_bytes:,}".replace(",", " ")
        assert f"| {limit} |" in DOC, (spec.name, limit)
