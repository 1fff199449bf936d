"""Event acks over a real broker: whatever the server acks, and however, nothing is lost twice.

The server double stores each ``(dev, id)`` once, as the gateway does; the
bridge deletes an event only when an ack names it.
"""

from __future__ import annotations

import pytest

from bridge_protocol.wire import new_uuid
from tests.support.server_double import AckMode

pytestmark = pytest.mark.mqtt

UID = "04A22B1C"
MEMBER = 42


def start_door(rig, **options):
    dev = rig.new_device("door")
    server = rig.server
    server.publish_allow_list(dev, server.make_allow_list(dev, [server.entry(dev, UID, MEMBER)]))
    bridge = rig.start_bridge(dev, **options)
    bridge.wait_acl(1)
    bridge.wait_drained()  # the acl.applied event
    return bridge


def scan_times(bridge, count):
    decisions = []
    for _ in range(count):
        bridge.relock()
        decisions.append(bridge.scan(UID))
    return decisions


def no_handler_failed(bridge):
    return [key for key, count in bridge.bridge.router.counts.items() if key[1] == "error"]


@pytest.mark.parametrize("mode", [AckMode.DUPLICATE, AckMode.OUT_OF_ORDER])
def test_duplicate_and_out_of_order_acks_are_harmless(rig, mode):
    door = start_door(rig)
    rig.server.ack_mode = mode

    made = scan_times(door, 5)

    door.wait_drained()
    stored = rig.server.stored_events(door.dev, "access.decision")
    assert [e.data.req for e in stored] == [d.req for d in made]
    assert door.dead == 0
    assert no_handler_failed(door) == []
    assert scan_times(door, 1)[0].mode == "online"


def test_an_ack_naming_events_the_bridge_never_sent_changes_nothing(rig):
    door = start_door(rig)
    rig.server.ack_mode = AckMode.NONE
    scan_times(door, 2)
    door.wait_until(lambda: len(rig.server.events(door.dev, "access.decision")) == 2)
    acks_before = door.route_count("event_ack", "ok")

    rig.server.ack(door.dev, [new_uuid()], rejected={new_uuid(): "invalid"})

    door.wait_until(lambda: door.route_count("event_ack", "ok") == acks_before + 1)
    assert (door.pending, door.dead) == (2, 0)


def test_an_event_the_server_rejects_becomes_a_dead_letter_and_is_not_resent(rig):
    door = start_door(rig, resend_s=1)
    rig.server.ack_mode = AckMode.REJECT

    scan_times(door, 1)

    door.wait_until(lambda: door.dead == 1, what="a dead letter")
    assert door.pending == 0
    status = door.wait_until(
        lambda: [s for s in rig.server.statuses(door.dev) if s.dead == 1], what="dead=1"
    )
    assert status[-1].state == "ready"
    rig.server.ack_mode = AckMode.NORMAL
    scan_times(door, 1)
    door.wait_drained()
    assert len(rig.server.events(door.dev, "access.decision")) == 2  # the rejected one: once


def test_an_unacknowledged_event_is_resent_and_stored_once(rig):
    door = start_door(rig, resend_s=1)
    rig.server.ack_mode = AckMode.NONE

    (decision,) = scan_times(door, 1)
    door.wait_until(
        lambda: len(rig.server.events(door.dev, "access.decision")) >= 2, what="a resend"
    )
    rig.server.ack_mode = AckMode.NORMAL

    door.wait_drained()
    stored = rig.server.stored_events(door.dev, "access.decision")
    assert [e.data.req for e in stored] == [decision.req]


def test_a_server_coming_online_gets_the_unacked_events_at_once(rig):
    door = start_door(rig, resend_s=3600)  # no resend by the timer within the test
    rig.server.ack_mode = AckMode.NONE
    scan_times(door, 3)
    door.wait_until(lambda: len(rig.server.events(door.dev, "access.decision")) == 3)
    rig.server.set_online(False)
    door.wait_offline()
    rig.server.ack_mode = AckMode.NORMAL

    rig.server.set_online(True)

    door.wait_drained()
