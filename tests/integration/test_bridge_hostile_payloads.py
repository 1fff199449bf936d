"""Malformed payloads of every kind, on every topic a bridge subscribes to, never crash it.

The gateway account (which may publish anywhere under ``incubator/v1/``) sends
each payload through the real broker. Afterwards the bridge has counted every
one, no handler failed (the router's ``error`` outcome, which a bug would
produce), the list in force is unchanged, and the bridge still answers a badge
online.
"""

from __future__ import annotations

import base64
import json

import pytest

from bridge_protocol import limits, topics
from bridge_protocol.access import AccessResponse
from bridge_protocol.commands import Unlock
from bridge_protocol.wire import new_uuid, now_ms

pytestmark = pytest.mark.mqtt

UID = "04A22B1C"
MEMBER = 42

COMMON = [
    b"",
    b"\x00\xff\xfe\xfd",
    b"\xef\xbb\xbf{}",  # a byte-order mark
    b"not json",
    b"null",
    b"true",
    b"42",
    b'"text"',
    b"[]",
    b"{}",
    b'{"v":2}',
    b'{"v":"1"}',
    b'{"v":true}',
    b'{"v":1}',
    b'{"v":1e999}',
    b'{"v":NaN}',
    b'{"v":1,"x":"\\ud800"}',  # a lone surrogate
    b'{"v":1,"v":1}',
    b"[" * 20_000 + b"]" * 20_000,  # deep nesting
    b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
    b"{" * 30_000,
    b"9" * 1_000,
    b'{"v":1,"kid":"0000000000000000","body":"{}","sig":"' + b"A" * 86 + b'"}',
    b'{"v":1,"kid":"0000000000000000","body":{"dev":"x"},"sig":null}',
]

#: the route name the bridge counts each topic under, and the topic
ROUTES = {
    "acl": topics.acl,
    "auth_response": topics.auth_response,
    "event_ack": topics.event_ack,
    "command": topics.command,
    "server_status": lambda _dev: topics.SERVER_STATUS,
    "sim_scan": topics.sim_scan,
}

SPECIFIC = {
    "acl": [b'{"v":1,"kid":"x","body":"","sig":""}'],
    "event_ack": [
        b'{"v":1,"ids":["not-a-uuid"]}',
        json.dumps({"v": 1, "ids": [new_uuid() for _ in range(limits.MAX_ACK_IDS + 1)]}).encode(),
        json.dumps({"v": 1, "ids": [], "rejected": [{"id": new_uuid()}]}).encode(),
        json.dumps({"v": 1, "ids": [new_uuid()], "extra": 1}).encode(),
    ],
    "server_status": [b'{"v":1,"state":"maybe"}', b'{"v":1,"state":"online","x":1}'],
    "sim_scan": [
        b'{"v":1,"raw":"not-a-badge"}',
        b'{"v":1,"raw":"04A22B1C","format":"morse"}',
        b'{"v":1,"raw":""}',
        json.dumps({"v": 1, "raw": "0" * 65}).encode(),
    ],
}


def signed_nonsense(server, dev):
    """Payloads under the right key that still must be refused: wrong purpose, junk body."""
    key = server.signing_key

    def envelope(text: str) -> bytes:
        sig = base64.urlsafe_b64encode(key.sign(text.encode())).rstrip(b"=").decode()
        return json.dumps({"v": 1, "kid": server.kid, "body": text, "sig": sig}).encode()

    response = AccessResponse(
        dev=dev, iat=now_ms(), exp=now_ms() + 5000, req=new_uuid(), granted=True, reason="ok"
    )
    allow_list = server.make_allow_list(dev, [server.entry(dev, UID, MEMBER)], ver=99)
    return [
        envelope("not json"),
        envelope("{}"),
        envelope('{"dev":"' + dev + '","type":"acl","iat":1,"exp":2}'),
        server.sign(response),  # a grant, signed, on the wrong topic
        server.sign(allow_list),  # a list, signed, on the wrong topic
        server.sign(server.command_body(dev, Unlock(seconds=5))),  # a command, likewise
    ]


def payloads_for(route, server, dev):
    limit = {
        "acl": limits.MAX_ACL_BYTES,
        "auth_response": limits.MAX_AUTH_RESPONSE_BYTES,
        "event_ack": limits.MAX_EVENT_ACK_BYTES,
        "command": limits.MAX_COMMAND_BYTES,
        "server_status": limits.MAX_SERVER_STATUS_BYTES,
        "sim_scan": limits.MAX_SIM_SCAN_BYTES,
    }[route]
    oversize = b'{"v":1,"pad":"' + b"x" * limit + b'"}'
    wrong_purpose = [] if route in ("sim_scan", "server_status") else signed_nonsense(server, dev)
    own = [p for p in wrong_purpose if not _is_right_purpose(route, p)]
    return [*COMMON, *SPECIFIC.get(route, []), *own, oversize]


def _is_right_purpose(route, payload):
    body = json.loads(json.loads(payload)["body"]) if payload.startswith(b'{"v":1,"kid"') else {}
    if not isinstance(body, dict):
        return False
    return (route, body.get("type")) in {
        ("acl", "acl"),
        ("auth_response", "auth"),
        ("command", "cmd"),
    }


@pytest.mark.parametrize("route", list(ROUTES))
def test_malformed_payloads_never_crash_the_bridge(rig, route):
    dev = rig.new_device("door")
    server = rig.server
    server.publish_allow_list(dev, server.make_allow_list(dev, [server.entry(dev, UID, MEMBER)]))
    door = rig.start_bridge(dev)
    door.wait_acl(1)
    payloads = payloads_for(route, server, dev)
    counted_before = _counted(door, route)

    for payload in payloads:
        server.publish(ROUTES[route](dev), payload)

    door.wait_until(
        lambda: _counted(door, route) >= counted_before + len(payloads), what="every payload"
    )
    failures = {key: n for key, n in door.bridge.router.counts.items() if key[1] == "error"}
    assert failures == {}
    assert door.bridge.link.callback_errors == 0
    assert door.acl_ver == 1
    door.wait_online()
    door.relock()
    decision = door.scan(UID)
    assert (decision.granted, decision.mode) == (True, "online")
    assert door.relay_energised


def _counted(door, route):
    return sum(n for (name, _outcome), n in door.bridge.router.counts.items() if name == route)
