"""Real bridges against a real Mosquitto and the server double, when things go wrong.

Each test has a broker of its own (the `rig` fixture), so it may stop, restart
or pause it. Waits poll a condition for up to 10-20 s; nothing here asserts
how long anything took.
"""

from __future__ import annotations

import time

import pytest

from tests.support.server_double import SILENT, AuthReply, always

pytestmark = pytest.mark.mqtt

UID = "04A22B1C"  # a member's badge, on every list
STRANGER = "DEADBEEF"  # on no list
MEMBER = 42
RECOVERY_S = 20.0  # reconnect back-off is 0.1-1 s; a paused broker takes keepalives to notice


def start_door(rig, **options):
    """A door with a list that knows `UID`, online and holding that list."""
    dev = rig.new_device("door")
    server = rig.server
    server.publish_allow_list(dev, server.make_allow_list(dev, [server.entry(dev, UID, MEMBER)]))
    bridge = rig.start_bridge(dev, **options)
    bridge.wait_acl(1)
    return bridge


def scan_fresh(bridge, uid=UID):
    """Lock the door, then present `uid`: a grant then shows on the relay."""
    bridge.relock()
    return bridge.scan(uid)


def decisions_stored(rig, bridge):
    return rig.server.stored_events(bridge.dev, "access.decision")


def assert_every_event_stored_once(rig, bridge):
    """The outbox is empty, the server holds one copy of each event, and the seqs have no gap."""
    bridge.wait_drained(RECOVERY_S)
    stored = rig.server.stored_events(bridge.dev)
    seqs = sorted(event.seq for event in stored)
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), f"a gap in {seqs}"
    assert len({event.id for event in stored}) == len(stored)


def assert_nothing_resent_after_the_acks(rig, bridge, resend_s):
    """Once everything is acked, a whole resend period passes without a delivery."""
    bridge.wait_drained(RECOVERY_S)
    before = len(rig.server.events(bridge.dev))
    time.sleep(resend_s + 1.0)
    assert len(rig.server.events(bridge.dev)) == before


# Online ------------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", ["auto", "5", "3.1.1"])
def test_a_known_badge_is_granted_online(rig, protocol):
    door = start_door(rig, protocol=protocol)
    assert door.bridge.link.protocol == ("5" if protocol == "auto" else protocol)

    decision = scan_fresh(door)

    assert (decision.granted, decision.mode, decision.member) == (True, "online", MEMBER)
    assert door.relay_energised
    assert [r.req for r in rig.server.auth_requests(door.dev)] == [decision.req]
    event = rig.server.wait_for_event(door.dev, "access.decision")
    assert (event.data.mode, event.data.req, event.data.granted) == ("online", decision.req, True)
    door.wait_drained()


def test_an_unknown_badge_is_denied_online(rig):
    door = start_door(rig)

    decision = scan_fresh(door, STRANGER)

    assert (decision.granted, decision.reason, decision.mode) == (False, "unknown_badge", "online")
    assert not door.relay_energised


# The server stays silent ---------------------------------------------------------------------


def test_a_silent_server_leaves_the_decision_to_the_cache(rig):
    rig.server.auth_policy = SILENT
    door = start_door(rig)

    granted = scan_fresh(door)
    denied = scan_fresh(door, STRANGER)

    assert (granted.granted, granted.mode, granted.member) == (True, "cache", MEMBER)
    assert (denied.granted, denied.reason, denied.mode) == (False, "unknown_badge", "cache")
    assert {r.req for r in rig.server.auth_requests(door.dev)} == {granted.req, denied.req}
    event = rig.server.wait_for_event(door.dev, "access.decision", lambda e: e.data.granted)
    assert (event.data.mode, event.data.req) == ("cache", granted.req)


def test_a_late_grant_does_not_open_the_door(rig):
    rig.server.auth_policy = always(AuthReply.grant(MEMBER).after(1.0))
    door = start_door(rig, request_timeout_ms=200)

    decision = scan_fresh(door, STRANGER)
    door.wait_until(lambda: door.route_count("auth_response", "ok") == 1, what="the late answer")

    assert (decision.granted, decision.reason, decision.mode) == (False, "unknown_badge", "cache")
    assert not door.relay_energised


def test_a_server_that_says_offline_is_not_asked(rig):
    door = start_door(rig)
    rig.server.set_online(False)
    door.wait_offline()

    decision = scan_fresh(door)

    assert (decision.granted, decision.mode) == (True, "offline")
    assert rig.server.auth_requests(door.dev) == []
    rig.server.set_online(True)
    rig.server.wait_for_event(door.dev, "access.decision")  # sent once the server is back


def test_a_crashed_gateway_is_announced_by_its_will_and_the_door_decides_offline(rig):
    door = start_door(rig)

    rig.server.crash()
    door.wait_offline()
    decision = scan_fresh(door)

    assert (decision.granted, decision.mode) == (True, "offline")
    assert door.pending >= 1


# The broker restarts ---------------------------------------------------------------------------


def test_after_a_broker_restart_the_bridge_reconnects_and_resends_what_was_not_acked(rig):
    door = start_door(rig, resend_s=2)
    assert scan_fresh(door).mode == "online"
    door.wait_drained()
    acl_deliveries = door.route_count("acl", "ok")

    rig.broker.stop()
    door.wait_until(lambda: not door.connected, what="the lost connection")
    while_down = [scan_fresh(door) for _ in range(3)]
    assert [(d.granted, d.mode) for d in while_down] == [(True, "offline")] * 3
    assert door.pending >= 3
    rig.broker.start()

    door.wait_online(RECOVERY_S)
    assert_every_event_stored_once(rig, door)
    modes = sorted(e.data.mode for e in decisions_stored(rig, door))
    assert modes == ["offline", "offline", "offline", "online"]
    # the retained allow-list survived the restart (persistence) and came again
    door.wait_until(lambda: door.route_count("acl", "ok") > acl_deliveries, what="the list again")
    assert door.acl_ver == 1
    assert scan_fresh(door).mode == "online"


def test_the_retained_allow_list_survives_a_broker_restart(rig, mqtt_client):
    door = start_door(rig)
    rig.broker.restart()

    watcher = mqtt_client("monitor", broker=rig.broker)
    watcher.subscribe(f"incubator/v1/d/{door.dev}/down/acl")

    message = watcher.wait_for()
    assert message.retain
    assert message.payload == rig.server.published_acls[door.dev]


# The network drops ---------------------------------------------------------------------------


def test_a_paused_broker_leaves_decisions_to_the_cache_and_no_event_is_lost(rig):
    door = start_door(rig, resend_s=2)
    assert scan_fresh(door).mode == "online"

    rig.broker.pause()  # SIGSTOP: sockets stay open, nothing answers
    during = [scan_fresh(door)]
    door.wait_until(lambda: not door.connected, RECOVERY_S, "keepalive to notice")
    during += [scan_fresh(door), scan_fresh(door)]
    rig.broker.resume()

    assert all(d.granted for d in during)
    assert {d.mode for d in during} <= {"cache", "offline"}
    assert during[-1].mode == "offline"
    door.wait_online(RECOVERY_S)
    assert_every_event_stored_once(rig, door)
    assert len(decisions_stored(rig, door)) == 4
    assert_nothing_resent_after_the_acks(rig, door, resend_s=2)


def test_a_cut_connection_leaves_decisions_to_the_cache_and_no_event_is_lost(rig, tcp_proxy):
    proxy = tcp_proxy(rig.broker)
    door = start_door(rig, port=proxy.port, resend_s=2)

    proxy.cut()  # every connection reset, new ones refused
    door.wait_offline()
    during = [scan_fresh(door) for _ in range(3)]
    proxy.restore()

    assert [(d.granted, d.mode) for d in during] == [(True, "offline")] * 3
    door.wait_online(RECOVERY_S)
    assert_every_event_stored_once(rig, door)
    assert len(decisions_stored(rig, door)) == 3
    assert_nothing_resent_after_the_acks(rig, door, resend_s=2)


def test_a_silently_dead_link_is_noticed_and_no_event_is_lost(rig, tcp_proxy):
    proxy = tcp_proxy(rig.broker)
    door = start_door(rig, port=proxy.port, resend_s=2)

    proxy.stall()  # connections stay open, no byte gets through
    first = scan_fresh(door)
    door.wait_until(lambda: not door.connected, RECOVERY_S, "keepalive to notice")
    second = scan_fresh(door)
    proxy.restore()

    assert (first.granted, first.mode) == (True, "cache")
    assert (second.granted, second.mode) == (True, "offline")
    door.wait_online(RECOVERY_S)
    assert_every_event_stored_once(rig, door)
    assert len(decisions_stored(rig, door)) == 2


def test_events_made_during_a_long_outage_all_arrive_in_order(rig, tcp_proxy):
    proxy = tcp_proxy(rig.broker)
    door = start_door(rig, port=proxy.port, resend_s=2)
    proxy.cut()
    door.wait_offline()

    made = [scan_fresh(door, UID if i % 2 else STRANGER) for i in range(30)]
    proxy.restore()

    door.wait_online(RECOVERY_S)
    assert_every_event_stored_once(rig, door)
    stored = decisions_stored(rig, door)
    assert [e.data.granted for e in stored] == [d.granted for d in made]
    assert rig.server.errors == []


# A machine ------------------------------------------------------------------------------------


def test_a_machine_session_ended_while_the_broker_is_down_is_reported_after(rig):
    dev = rig.new_device("laser")
    server = rig.server
    server.publish_allow_list(dev, server.make_allow_list(dev, [server.entry(dev, UID, MEMBER)]))
    machine = rig.start_bridge(dev, kind="machine", resend_s=2)
    machine.wait_acl(1)

    assert machine.scan(UID).mode == "online"
    assert machine.relay_energised
    rig.broker.stop()
    machine.wait_until(lambda: not machine.connected, what="the lost connection")
    machine.scan(UID)  # badge out, offline
    assert not machine.relay_energised
    rig.broker.start()

    machine.wait_online(RECOVERY_S)
    assert_every_event_stored_once(rig, machine)
    start = server.wait_for_event(dev, "session.start")
    end = server.wait_for_event(dev, "session.end")
    assert (end.data.sid, end.data.reason) == (start.data.sid, "badge_out")
