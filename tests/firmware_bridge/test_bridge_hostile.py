"""Malformed payloads of every kind, on every subscribed topic: logged, counted, never a crash."""

import json

import pytest

from bridge_protocol import topics
from firmware_bridge.daemon import BridgeOptions
from tests.firmware_bridge.support import UID, build_harness


def envelope(body):
    return json.dumps({"v": 1, "kid": "0011223344556677", "body": body, "sig": "A" * 86}).encode()


HOSTILE = {
    "empty": b"",
    "nul": b"\x00",
    "not json": b"not json at all",
    "invalid utf-8": b"\xff\xfe\xfd{",
    "json null": b"null",
    "json number": b"1e999",
    "json string": b'"hello"',
    "json array": b"[]",
    "empty object": b"{}",
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "huge": b'{"v":1,"pad":"' + b"x" * (3 * 1024 * 1024) + b'"}',
    "unknown version": b'{"v":2,"state":"online"}',
    "boolean version": b'{"v":true,"state":"online"}',
    "wrong types": b'{"v":1,"ids":"everything","state":7,"raw":[]}',
    "unknown fields": b'{"v":1,"state":"online","extra":1}',
    "envelope, body not json": envelope("not json"),
    "envelope, body empty object": envelope("{}"),
    "envelope, huge body": envelope("x" * 100_000),
    "ack with bad ids": b'{"v":1,"ids":["not-a-uuid",null,5]}',
    "scan with bad raw": b'{"v":1,"raw":"\\u0000' + b"9" * 600 + b'"}',
}

TOPICS = {
    "acl": topics.acl,
    "auth_response": topics.auth_response,
    "event_ack": topics.event_ack,
    "command": topics.command,
    "server_status": lambda dev: topics.SERVER_STATUS,
    "sim_scan": topics.sim_scan,
    "unknown down topic": lambda dev: f"{topics.device_down_filter(dev)[:-1]}whatever",
}


@pytest.fixture(scope="module")
def door(tmp_path_factory):
    """One simulated door for the whole table: hostility accumulates, and it must keep working."""
    path = tmp_path_factory.mktemp("hostile") / "door.sqlite3"
    harness = build_harness("door", path, options=BridgeOptions(simulate=True, unknown_burst=10**6))
    yield harness
    harness.bridge.stop()


@pytest.mark.parametrize("topic_name", list(TOPICS))
@pytest.mark.parametrize("payload_name", list(HOSTILE))
@pytest.mark.parametrize("retained", [False, True])
def test_hostile_payloads_never_crash_anything(door, topic_name, payload_name, retained):
    h = door
    topic = TOPICS[topic_name](h.dev)
    before = len(h.events())

    h.bridge.deliver(topic, HOSTILE[payload_name], retained)

    counts = h.bridge.router.counts
    assert ("?", "error") not in counts
    assert not any(outcome == "error" for _route, outcome in counts)
    assert h.bridge.acl.ver == 1
    assert h.bridge.presence.server_online
    assert not h.bridge.resource.locked_out
    assert h.link.on(topics.cmd_ack(h.dev)) == []
    assert len(h.events()) <= before + 1  # at most an acl.rejected or reader.error
    assert h.bridge.door.on_badge(UID).granted  # and the door still works


def test_payloads_that_are_not_bytes_are_handled_too(make_bridge):
    h = make_bridge("door")
    for weird in (None, 42, ["list"], "text {"):
        h.bridge.deliver(topics.acl(h.dev), weird, False)
    h.bridge.deliver(None, b"{}", False)
    assert not any(outcome == "error" for _route, outcome in h.bridge.router.counts)
    assert h.bridge.acl.ver == 1


def test_router_counts_a_handled_refusal_under_its_own_name():
    from firmware_bridge.inbound import Router

    router = Router()
    router.add("t/acl", "acl", lambda payload, retained: "bad_signature", max_bytes=100)
    router.add("t/ok", "ok-route", lambda payload, retained: None, max_bytes=100)
    router.dispatch("t/acl", b"{}")
    router.dispatch("t/ok", b"{}")
    assert router.count("acl", "bad_signature") == 1
    assert router.count("acl", "ok") == 0
    assert router.count("ok-route", "ok") == 1
