"""A device that tries to act on another device's topics is stopped by the broker.

The victim is a real bridge; the intruder is another device's account (its
password is all a stolen Pi would give away). Whatever the intruder publishes
on the victim's topics never reaches the victim or the server: the victim's
router counts nothing new, and its unacked events stay unacked.
"""

from __future__ import annotations

import json
import time

import pytest

from bridge_protocol import topics
from bridge_protocol.codec import dump
from bridge_protocol.commands import Unlock
from bridge_protocol.status import EventAck, ServerStatus
from bridge_protocol.wire import new_uuid
from tests.support.server_double import AckMode

pytestmark = pytest.mark.mqtt

UID = "04A22B1C"
MEMBER = 42
GRACE_S = 0.5


@pytest.fixture
def victim(rig):
    dev = rig.new_device("door")
    server = rig.server
    server.publish_allow_list(dev, server.make_allow_list(dev, [server.entry(dev, UID, MEMBER)]))
    bridge = rig.start_bridge(dev)
    bridge.wait_acl(1)
    bridge.wait_drained()
    return bridge


@pytest.fixture
def intruder(rig, mqtt_client):
    """A connected client under another device's account, subscribed to its own down topics."""
    dev = rig.new_device("door")
    client = mqtt_client(dev, broker=rig.broker)
    client.subscribe(topics.device_down_filter(dev))
    return client


def sentinel(rig, intruder):
    """Something the intruder may publish (its own event topic), after the forbidden ones.

    The broker handles the intruder's packets in order: once the server has the
    sentinel, anything forbidden would have been routed too. The short grace
    covers the victim's own network thread.
    """
    marker = f"sentinel-{new_uuid()}".encode()
    intruder.publish(topics.events(intruder.username), marker)
    rig.server.wait_until(
        lambda: any(r.payload == marker for r in rig.server.received(intruder.username)),
        what="the sentinel",
    )
    time.sleep(GRACE_S)


def test_another_device_cannot_acknowledge_this_devices_events(rig, victim, intruder):
    rig.server.ack_mode = AckMode.NONE
    victim.relock()
    victim.scan(UID)
    rig.server.wait_for_event(victim.dev, "access.decision")
    pending = victim.bridge.store.outbox.ids()
    routes_before = victim.bridge.router.counts

    forged = EventAck(ids=tuple(pending))
    intruder.publish(topics.event_ack(victim.dev), dump(forged))
    sentinel(rig, intruder)

    assert victim.bridge.store.outbox.ids() == pending
    assert victim.bridge.router.counts == routes_before


def test_another_device_cannot_speak_for_the_server_to_this_device(rig, victim, intruder):
    routes_before = victim.bridge.router.counts
    command = rig.server.sign(rig.server.command_body(victim.dev, _unlock()))
    forged = {
        topics.command(victim.dev): command,  # a captured command, replayed by the intruder
        topics.auth_response(victim.dev): b'{"granted":true}',
        topics.acl(victim.dev): b"{}",
        topics.SERVER_STATUS: dump(ServerStatus(state="offline")),
        topics.sim_scan(victim.dev): json.dumps({"v": 1, "raw": UID}).encode(),
    }

    for topic, payload in forged.items():
        intruder.publish(topic, payload)
    sentinel(rig, intruder)

    assert victim.bridge.router.counts == routes_before
    assert victim.server_online
    assert not victim.relay_energised


def test_another_device_cannot_impersonate_this_device_to_the_server(rig, victim, intruder):
    fake_event = {"v": 1, "id": new_uuid(), "dev": victim.dev, "type": "door.forced"}
    intruder.publish(topics.events(victim.dev), json.dumps(fake_event).encode())
    intruder.publish(topics.status(victim.dev), b'{"v":1,"state":"lost","boot":"00000000"}')
    intruder.publish(topics.auth_request(victim.dev), b"{}")
    sentinel(rig, intruder)

    from_victims_topics = rig.server.received(victim.dev)
    assert all(b"door.forced" not in r.payload for r in from_victims_topics)
    assert all(b'"00000000"' not in r.payload for r in from_victims_topics)
    assert rig.server.auth_requests(victim.dev) == []


def test_a_device_hears_nothing_meant_for_another(rig, victim, intruder):
    intruder.subscribe(topics.device_down_filter(victim.dev))
    intruder.subscribe(topics.status(victim.dev))

    sent = rig.server.send_command(victim.dev, _unlock())
    rig.server.wait_for_cmd_ack(victim.dev, sent.cid)
    rig.server.publish(topics.event_ack(intruder.username), b"sentinel")

    intruder.assert_never(
        lambda m: m.topic.startswith(f"{topics.PREFIX}d/{victim.dev}/"),
        after=lambda m: m.payload == b"sentinel",
    )


def _unlock():
    return Unlock(seconds=30)
