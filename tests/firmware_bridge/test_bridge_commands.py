"""Remote commands: executed only when signed, fresh, new, not retained and for this device."""

import json

import pytest

from bridge_protocol import topics
from bridge_protocol.signing import Signer
from tests.firmware_bridge.support import OTHER_KEY, UID


def send(h, payload, retained=False):
    h.bridge.deliver(topics.command(h.dev), payload, retained)


def last_ack(h):
    return h.link.on(topics.cmd_ack(h.dev))[-1]


def strike_on(h):
    return not h.bridge.hardware.door.is_locked


UNLOCK = {"name": "unlock", "seconds": 5}


def test_a_valid_unlock_is_executed_acked_and_recorded(make_bridge):
    h = make_bridge("door")
    payload = h.server.command(UNLOCK)
    cid = json.loads(json.loads(payload)["body"])["cid"]
    send(h, payload)
    assert strike_on(h)
    assert last_ack(h) == {
        "v": 1,
        "cid": cid,
        "result": "executed",
        "reason": None,
        "ts": h.clock.wall_ms(),
    }
    event = h.events("cmd.executed")[-1]["data"]
    assert event == {"cid": cid, "command": "unlock", "result": "executed", "reason": None}


@pytest.mark.parametrize(
    ("make_payload", "retained", "reason"),
    [
        pytest.param(lambda s: s.command(UNLOCK), True, "retained", id="retained"),
        pytest.param(
            lambda s: s.command(UNLOCK, iat=s.clock.wall_ms() - 60_000, exp=s.clock.wall_ms() - 1),
            False,
            "expired",
            id="expired",
        ),
        pytest.param(
            lambda s: s.command(UNLOCK, dev="door-side"), False, "foreign_dev", id="foreign"
        ),
        pytest.param(
            lambda s: s.command(UNLOCK, signer=Signer(OTHER_KEY)), False, "unknown_kid", id="kid"
        ),
        pytest.param(
            lambda s: s.command(UNLOCK, signer=Signer(OTHER_KEY, kid=s.signer.kid)),
            False,
            "bad_signature",
            id="forged",
        ),
    ],
)
def test_bad_commands_are_refused_with_an_ack(make_bridge, make_payload, retained, reason):
    h = make_bridge("door")
    payload = make_payload(h.server)
    send(h, payload, retained)
    assert not strike_on(h)
    ack = last_ack(h)
    assert ack["result"] == "refused"
    assert ack["reason"] == reason
    assert ack["cid"] == json.loads(json.loads(payload)["body"])["cid"]
    assert h.events("cmd.executed")[-1]["data"]["reason"] == reason


def test_a_replayed_command_is_refused(make_bridge):
    h = make_bridge("door", door={"unlock_s": 5})
    payload = h.server.command(UNLOCK)
    send(h, payload)
    h.advance(6)
    assert not strike_on(h)
    send(h, payload)
    assert not strike_on(h)
    assert last_ack(h)["reason"] == "replayed"


def test_the_same_nonce_in_a_fresh_command_is_still_a_replay(make_bridge):
    h = make_bridge("door")
    send(h, h.server.command(UNLOCK, nonce="n" * 22))
    send(h, h.server.command(UNLOCK, nonce="n" * 22))
    assert [a["result"] for a in h.link.on(topics.cmd_ack(h.dev))] == ["executed", "refused"]


def test_seen_nonces_survive_a_restart(make_bridge, tmp_path):
    path = tmp_path / "door.sqlite3"
    first = make_bridge("door", store_path=path)
    payload = first.server.command(UNLOCK)
    send(first, payload)
    first.bridge.stop()
    second = make_bridge("door", store_path=path, clock=first.clock, scheduler=first.scheduler)
    send(second, payload)
    assert last_ack(second)["reason"] == "replayed"


def test_commands_are_refused_while_the_clock_is_not_synchronised(make_bridge):
    h = make_bridge("door")
    h.clock.is_synced = False
    send(h, h.server.command(UNLOCK))
    assert not strike_on(h)
    assert last_ack(h)["reason"] == "clock_unsync"


def test_an_unreadable_command_is_dropped_without_an_ack(make_bridge):
    h = make_bridge("door")
    send(h, b'{"v":1,"kid":"0011223344556677","body":"{}","sig":"x"}')
    assert h.link.on(topics.cmd_ack(h.dev)) == []
    assert h.bridge.router.count("command", "malformed") == 1


def test_a_command_that_does_not_apply_is_refused(make_bridge):
    h = make_bridge("door")
    send(h, h.server.command({"name": "power_off", "force": False}))
    assert last_ack(h)["reason"] == "not_applicable"


def test_power_off_on_a_busy_machine_needs_force(make_bridge):
    h = make_bridge("machine", gpio={"busy_input": 23})
    h.server.decisions[UID] = {"granted": True, "reason": "ok", "member": 42}
    h.server.answer(h.bridge, h.link)
    h.bridge.machine.on_badge(UID)
    h.pin(23).drive_high()

    send(h, h.server.command({"name": "power_off", "force": False}))
    assert last_ack(h)["reason"] == "machine_busy"
    assert h.bridge.hardware.interlock.is_enabled

    send(h, h.server.command({"name": "power_off", "force": True}))
    assert last_ack(h)["result"] == "executed"
    assert not h.bridge.hardware.interlock.is_enabled
    assert h.events("session.end")[-1]["data"]["reason"] == "remote_power_off"


def test_lockout_on_and_off(make_bridge):
    h = make_bridge("door", online=False)
    h.link.connected = True
    send(h, h.server.command({"name": "lockout", "on": True}))
    assert h.bridge.door.on_badge(UID).reason == "locked_out"
    send(h, h.server.command({"name": "lockout", "on": False}))
    assert h.bridge.door.on_badge(UID).granted
    assert [a["result"] for a in h.link.on(topics.cmd_ack(h.dev))] == ["executed", "executed"]


def test_lifting_a_lockout_by_command_overrides_a_locked_list(make_bridge):
    h = make_bridge("door", online=False)
    h.apply_list(h.server.allow_list(ver=2, locked_out=True))
    send(h, h.server.command({"name": "lockout", "on": False}))
    assert h.bridge.door.on_badge(UID).granted
