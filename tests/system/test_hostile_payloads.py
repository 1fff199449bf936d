"""Whatever an authenticated device publishes, the gateway drops it, counts it and goes on."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from typing import Any

import pytest

from bridge_protocol import topics
from tests.support.system_rig import (
    SystemRig,
    auth_request_payload,
    event_payload,
    split_key,
    wait_for,
)

pytestmark = [pytest.mark.mqtt, pytest.mark.db]

AUTH, EVT, STATUS, CMDACK = "req/auth", "evt", "status", "cmdack"


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def nested(depth: int) -> bytes:
    return ('{"a":' * depth + "1" + "}" * depth).encode()


def rejects(system: SystemRig) -> Counter[tuple[str, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    for key, value in system.metrics().items():
        name, labels = split_key(key)
        if name == "gateway_rejects_total":
            counts[(labels["topic"], labels["reason"])] += int(value)
    return counts


def hostile(dev: str, other: str) -> list[tuple[str, bytes, tuple[str, str]]]:
    """(topic kind, payload, the (topic, reason) reject it must be counted as)."""
    cases: list[tuple[str, bytes, tuple[str, str]]] = []
    for kind in (AUTH, EVT, STATUS, CMDACK):
        cases += [
            (kind, b"{not json", (kind, "bad_json")),
            (kind, b'{"v":1,"state":"\xff\xfe"}', (kind, "bad_json")),  # not UTF-8
            (kind, b"\x00\x01\x02", (kind, "bad_json")),
            (kind, b"[]", (kind, "invalid")),
            (kind, nested(150), (kind, "invalid")),  # JSON, but not the message
            (kind, b"[" * 400 + b"]" * 400, (kind, "bad_json")),  # deeper than the parser goes
            (kind, dumps({"v": 2}), (kind, "unsupported_version")),
            (kind, dumps({"v": 1, "x": "A" * 4000}), (kind, "too_large")),
            (kind, b"", (kind, "empty")),
        ]
    cases += [
        (AUTH, dumps(auth_request_payload(dev, req=12345)), (AUTH, "invalid")),
        (AUTH, dumps(auth_request_payload(dev, badge=["04A22B1C"])), (AUTH, "invalid")),
        (AUTH, dumps(auth_request_payload(dev, badge="04A22B1C" * 20)), (AUTH, "invalid")),
        (AUTH, dumps(auth_request_payload(dev, extra=True)), (AUTH, "invalid")),
        (AUTH, dumps(auth_request_payload(other)), (AUTH, "foreign_dev")),
        (STATUS, dumps({"v": 1, "state": "maybe", "boot": "0a1b2c3d"}), (STATUS, "invalid")),
        (STATUS, dumps({"v": 1, "state": "ready", "boot": 7}), (STATUS, "invalid")),
        (
            STATUS,
            dumps({"v": 1, "state": "ready", "boot": "0a1b2c3d", "outbox": 1.5}),
            (STATUS, "invalid"),
        ),
        (
            CMDACK,
            dumps({"v": 1, "cid": "nope", "result": "executed", "ts": 1}),
            (CMDACK, "invalid"),
        ),
        (
            CMDACK,
            dumps({"v": 1, "cid": str(uuid.uuid4()), "result": "executed", "ts": 1}),
            (CMDACK, "unknown_command"),
        ),
        (EVT, dumps(event_payload(dev, id="not-a-uuid")), (EVT, "invalid")),
        # a lone surrogate is no Unicode text: not JSON, so no id to answer (never acked)
        (
            EVT,
            dumps(event_payload(dev, type="reader.error", data={"code": "x", "detail": "\ud800"})),
            (EVT, "bad_json"),
        ),
    ]
    return cases


def test_hostile_payloads_on_every_topic_are_rejected_counted_and_survived(system: SystemRig):
    attacker = system.register_device("door")
    victim = system.register_device("door")
    tenant = system.new_tenant()
    member = system.new_member(tenant["id"])
    uid, _ = system.new_badge(member["id"])
    door = system.register_device("door")
    system.start_bridge(door)
    client = system.device_client(attacker)
    client.subscribe(topics.device_down_filter(attacker.id))
    before = rejects(system)
    expired_before = system.metric("gateway_auth_expired_total")
    errors_before = system.metric("gateway_handler_errors_total")

    cases = hostile(attacker.id, victim.id)
    topic_of = {
        AUTH: topics.auth_request,
        EVT: topics.events,
        STATUS: topics.status,
        CMDACK: topics.cmd_ack,
    }
    for kind, payload, _ in cases:
        client.publish(topic_of[kind](attacker.id), payload)
    # a topic of its own that the contract does not know (the broker lets it through)
    for suffix in ("bogus", "req/auth/x", "evt/../status"):
        client.publish(f"{topics.PREFIX}d/{attacker.id}/up/{suffix}", b"{}")

    # Events whose id can be read are quarantined and acked as rejected, by reason.
    wrong_types = event_payload(attacker.id, seq=-1)
    foreign = event_payload(victim.id)
    wrong_data = event_payload(attacker.id, data={"badge": 42, "granted": "yes"})
    unknown_type = event_payload(attacker.id, type="door.exploded")
    nul = event_payload(attacker.id, boot="\x00\x00\x00\x00\x00\x00\x00\x00")
    float_seq = {**event_payload(attacker.id), "seq": 1.0}
    quarantined = [wrong_types, foreign, wrong_data, unknown_type, nul, float_seq]
    for event in quarantined:
        client.publish(topics.events(attacker.id), dumps(event))
    # Text the database may choke on (a NUL, a lone surrogate) in a free-text field.
    odd_text = [
        event_payload(attacker.id, type="reader.error", data={"code": "x", "detail": detail})
        for detail in ("a\u0000b", "\U0001f600" * 50, "\u202e" * 200)
    ]
    for event in odd_text:
        client.publish(topics.events(attacker.id), dumps(event))
    # Answers to another device's command: refused, the command untouched.
    command = system.api("POST", f"/devices/{victim.id}/commands", {"command": "resync"})
    answer_other = {"v": 1, "cid": command["id"], "result": "executed", "ts": 1_700_000_000_000}
    client.publish(topics.cmd_ack(attacker.id), dumps(answer_other))
    executed_other = event_payload(
        attacker.id,
        type="cmd.executed",
        data={"cid": command["id"], "command": "resync", "result": "executed", "reason": None},
    )
    client.publish(topics.events(attacker.id), dumps(executed_other))
    # A request past its expiry is dropped unanswered, and counted as such.
    stale = auth_request_payload(attacker.id, ts=1_700_000_000_000, exp=1_700_000_002_000)
    client.publish(topics.auth_request(attacker.id), dumps(stale))
    # A replayed event is stored once and acked each time.
    replayed = event_payload(attacker.id, seq=3)
    for _ in range(3):
        client.publish(topics.events(attacker.id), dumps(replayed))

    # The gateway still answers, and still stores: a request from the same device...
    probe = auth_request_payload(attacker.id)
    client.publish(topics.auth_request(attacker.id), dumps(probe))
    answer = client.wait_for(topic=topics.auth_response(attacker.id))
    body = json.loads(system.verifier().verify(answer.payload))
    assert (body["req"], body["granted"], body["reason"]) == (probe["req"], False, "unknown_badge")
    assert client.received(topics.auth_response(attacker.id)) == [answer]  # nothing else answered

    def acked() -> dict[str, str] | None:
        seen: dict[str, str] = {}
        for message in client.received(topics.event_ack(attacker.id)):
            ack = message.json()
            seen.update({i: "stored" for i in ack.get("ids", [])})
            seen.update({r["id"]: r["reason"] for r in ack.get("rejected") or []})
        wanted = {e["id"] for e in [*quarantined, replayed, *odd_text, executed_other]}
        return seen if wanted <= set(seen) else None

    acks = wait_for(acked, "acks for every readable event")
    assert acks[replayed["id"]] == "stored"
    reasons = {e["id"]: acks[e["id"]] for e in quarantined}
    assert reasons[foreign["id"]] == "foreign_dev"
    assert all(reason == "invalid" for i, reason in reasons.items() if i != foreign["id"])

    # ...and a real device's scan is decided online.
    door.badge(uid)
    (decision,) = system.wait_decisions(door, 1)
    assert (decision["granted"], decision["mode"]) == (True, "online")

    after = rejects(system)
    delta = after - before
    expected = Counter(r for _, _, r in cases)
    expected[(EVT, "invalid")] += len(quarantined) - 1
    expected[(EVT, "foreign_dev")] += 1
    expected[("other", "bad_topic")] += 3
    expected[(CMDACK, "unknown_command")] += 1
    assert delta == expected
    assert system.metric("gateway_auth_expired_total") == expired_before + 1
    assert system.metric("gateway_handler_errors_total") == errors_before
    stored = system.sql("SELECT event_id FROM access_event WHERE device_id = :dev", dev=attacker.id)
    odd_stored = {e["id"] for e in odd_text if acks[e["id"]] == "stored"}
    assert {row[0] for row in stored} == {replayed["id"], executed_other["id"], *odd_stored}
    assert len(stored) == 2 + len(odd_stored)
    state = system.api("GET", f"/devices/{victim.id}/commands/{command['id']}")["state"]
    assert state in ("queued", "sent", "expired")
    kept = system.sql(
        "SELECT event_id, reason FROM quarantined_event WHERE device_id = :dev", dev=attacker.id
    )
    odd_kept = {e["id"]: acks[e["id"]] for e in odd_text if e["id"] not in odd_stored}
    assert dict(kept) == reasons | odd_kept
    assert system.gateway.alive
    assert system.metric("gateway_connected") == 1


def test_a_device_flooding_requests_is_limited_and_the_others_are_still_answered(
    system: SystemRig,
):
    flooder = system.register_device("door")
    tenant = system.new_tenant()
    member = system.new_member(tenant["id"])
    uid, _ = system.new_badge(member["id"])
    door = system.register_device("door")
    system.start_bridge(door)
    client = system.device_client(flooder)
    client.subscribe(topics.device_down_filter(flooder.id))
    limited_before = rejects(system)[(AUTH, "rate_limited")]

    # 200 valid requests at once (not waiting for the broker between them): far beyond
    # the per-device rate, so most are left unanswered (the device decides from its list)
    requests = [auth_request_payload(flooder.id) for _ in range(200)]
    infos = [
        client.paho.publish(topics.auth_request(flooder.id), dumps(r), qos=1) for r in requests
    ]
    for info in infos:
        info.wait_for_publish(30)

    # every request is either answered or counted as rate limited
    def accounted() -> tuple[int, int] | None:
        answered = {m.json()["body"] for m in client.received(topics.auth_response(flooder.id))}
        limited = rejects(system)[(AUTH, "rate_limited")] - limited_before
        return (len(answered), limited) if len(answered) + limited == len(requests) else None

    answered, limited = wait_for(accounted, "every request answered or counted")
    assert answered >= 1
    assert limited >= 1
    # meanwhile another device is answered as usual
    door.badge(uid)
    (decision,) = system.wait_decisions(door, 1)
    assert (decision["granted"], decision["mode"]) == (True, "online")
