"""Signed commands through a real broker: the good one runs, every bad one is refused and acked."""

from __future__ import annotations

import pytest

from bridge_protocol.commands import Lockout, Unlock
from tests.support.server_side import impostor_signer, other_signer

pytestmark = pytest.mark.mqtt

UID = "04A22B1C"
MEMBER = 42


def start_door(rig, **options):
    dev = rig.new_device("door")
    server = rig.server
    server.publish_allow_list(dev, server.make_allow_list(dev, [server.entry(dev, UID, MEMBER)]))
    bridge = rig.start_bridge(dev, **options)
    bridge.wait_acl(1)
    return bridge


def test_a_valid_unlock_command_is_executed_and_acked(rig):
    door = start_door(rig)

    sent = rig.server.send_command(door.dev, Unlock(seconds=30))

    ack = rig.server.wait_for_cmd_ack(door.dev, sent.cid)
    assert (ack.result, ack.reason) == ("executed", None)
    assert door.relay_energised
    event = rig.server.wait_for_event(door.dev, "cmd.executed")
    assert (event.data.cid, event.data.result) == (sent.cid, "executed")


BAD_COMMANDS = {
    "expired": ({"expired": True}, "expired"),
    "for another device": ({"addressed_to": "door-elsewhere"}, "foreign_dev"),
    "signed with an unknown key": ({"signer": "other"}, "unknown_kid"),
    "signed by an impostor of the key id": ({"signer": "impostor"}, "bad_signature"),
    "changed after signing": ({"tamper": True}, "bad_signature"),
}


@pytest.mark.parametrize(("how", "reason"), BAD_COMMANDS.values(), ids=list(BAD_COMMANDS))
def test_a_bad_command_is_refused_with_a_reason(rig, how, reason):
    door = start_door(rig)
    how = dict(how)
    signers = {"other": other_signer(), "impostor": impostor_signer(rig.server)}
    if "signer" in how:
        how["signer"] = signers[how["signer"]]

    sent = rig.server.send_command(door.dev, Unlock(seconds=30), **how)

    ack = rig.server.wait_for_cmd_ack(door.dev, sent.cid)
    assert (ack.result, ack.reason) == ("refused", reason)
    assert not door.relay_energised


def test_a_replayed_command_is_refused(rig):
    door = start_door(rig)
    sent = rig.server.send_command(door.dev, Unlock(seconds=30))
    rig.server.wait_for_cmd_ack(door.dev, sent.cid)
    door.relock()

    rig.server.replay(sent)

    door.wait_until(
        lambda: len([a for a in rig.server.cmd_acks(door.dev) if a.cid == sent.cid]) == 2
    )
    results = [(a.result, a.reason) for a in rig.server.cmd_acks(door.dev) if a.cid == sent.cid]
    assert results == [("executed", None), ("refused", "replayed")]
    assert not door.relay_energised


def test_a_command_left_retained_on_the_broker_is_refused(rig):
    dev = rig.new_device("door")
    sent = rig.server.send_command(dev, Unlock(seconds=30), retain=True, keep_retained=True)
    try:
        door = rig.start_bridge(dev)  # gets the retained copy when it subscribes

        ack = rig.server.wait_for_cmd_ack(dev, sent.cid)
    finally:
        rig.server.clear_retained_command(dev)
    assert (ack.result, ack.reason) == ("refused", "retained")
    assert not door.relay_energised


def test_a_lockout_command_denies_members_at_once(rig):
    door = start_door(rig)

    sent = rig.server.send_command(door.dev, Lockout(on=True))
    rig.server.wait_for_cmd_ack(door.dev, sent.cid)
    decision = door.scan(UID)  # the server still grants: the lockout overrides it

    assert (decision.granted, decision.reason) == (False, "locked_out")
    assert not door.relay_energised


def test_a_bridge_whose_clock_is_not_synchronised_refuses_commands(rig):
    dev = rig.new_device("door")
    door = rig.start_bridge(dev, clock="unsync")

    sent = rig.server.send_command(dev, Unlock(seconds=30))

    ack = rig.server.wait_for_cmd_ack(dev, sent.cid)
    assert (ack.result, ack.reason) == ("refused", "clock_unsync")
    assert not door.relay_energised
