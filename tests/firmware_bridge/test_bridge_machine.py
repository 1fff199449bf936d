"""The machine flow: sessions, every way they end, and never cutting a working machine."""

import pytest

from firmware_bridge.store import SessionRow
from tests.firmware_bridge.support import HOUR, OTHER_UID, STAFF_UID, UID, crash

BUSY_PIN = 23
RELAY_PIN = 22


@pytest.fixture
def machine(make_bridge):
    """A machine Pi with a busy input, offline (the allow-list decides), and a list given."""

    def build(entries=None, **sections):
        gpio = {"busy_input": BUSY_PIN, **sections.pop("gpio", {})}
        h = make_bridge("machine", online=False, acl=False, gpio=gpio, **sections)
        h.apply_list(h.server.allow_list(entries=entries))
        return h

    return build


def powered(h):
    return h.bridge.hardware.interlock.is_enabled


def busy(h):
    h.pin(BUSY_PIN).drive_high()


def idle(h):
    h.pin(BUSY_PIN).drive_low()


def ends(h):
    return [e["data"]["reason"] for e in h.events("session.end")]


def relay_went_off(h):
    """True if the relay was released at any moment since it was last switched on."""
    states = [s.state for s in h.pin(RELAY_PIN).states]
    last_on = max(i for i, state in enumerate(states) if state)
    return not all(states[last_on:])


# Starting ---------------------------------------------------------------------------


def test_badge_in_powers_the_machine_and_starts_a_session(machine):
    h = machine()
    decision = h.bridge.machine.on_badge(UID)
    assert decision.granted
    assert powered(h)
    start = h.events("session.start")[-1]["data"]
    assert start["member"] == 42
    assert start["badge"] == UID
    assert start["mode"] == "offline"
    assert [e["type"] for e in h.events()][-2:] == ["access.decision", "session.start"]
    assert h.bridge.store.session.load().sid == start["sid"]


def test_a_denied_badge_leaves_the_machine_off(machine):
    h = machine(entries=[])
    assert not h.bridge.machine.on_badge(UID).granted
    assert not powered(h)
    assert h.events("session.start") == []


def test_online_first_and_the_answer_carries_max_s(make_bridge):
    h = make_bridge("machine")
    h.server.decisions[UID] = {"granted": True, "reason": "ok", "member": 42, "max_s": 1800}
    h.server.answer(h.bridge, h.link)
    h.bridge.machine.on_badge(UID)
    start = h.events("session.start")[-1]["data"]
    assert start["mode"] == "online"
    assert start["max_s"] == 1800


def test_an_entry_not_usable_offline_needs_the_server(machine):
    h = machine(entries=None)
    h.apply_list(h.server.allow_list(entries=[h.server.entry(UID, offline_ok=False)], ver=2))
    decision = h.bridge.machine.on_badge(UID)
    assert decision.reason == "stale_cache"
    assert not powered(h)


def test_ticks_report_elapsed_busy_and_idle_time(machine):
    h = machine(machine={"tick_s": 60})
    h.bridge.machine.on_badge(UID)
    h.advance(20)
    busy(h)
    h.advance(40)
    tick = h.events("session.tick")[-1]["data"]
    assert (tick["elapsed_s"], tick["busy_s"], tick["idle_s"], tick["busy"]) == (60, 40, 20, True)
    h.advance(60)
    assert len(h.events("session.tick")) == 2
    assert h.bridge.store.session.load().elapsed_s == 120


# How sessions end -----------------------------------------------------------------


def test_badge_out_while_idle_switches_off_at_once(machine):
    h = machine()
    h.bridge.machine.on_badge(UID)
    h.advance(90)
    h.bridge.machine.on_badge(UID)
    assert not powered(h)
    end = h.events("session.end")[-1]["data"]
    assert end["reason"] == "badge_out"
    assert end["elapsed_s"] == 90
    assert h.bridge.store.session.load() is None


def test_badge_out_while_busy_waits_for_idle(machine):
    h = machine()
    h.bridge.machine.on_badge(UID)
    busy(h)
    h.advance(30)
    h.bridge.machine.on_badge(UID)
    h.advance(600)
    assert powered(h)
    assert ends(h) == []
    idle(h)
    assert not powered(h)
    assert ends(h) == ["badge_out"]
    assert h.events("session.end")[-1]["data"]["busy_s"] == 630


def test_badge_out_keeps_power_ends_the_session_but_not_the_print(machine):
    h = machine(machine={"badge_out_keeps_power": True})
    h.bridge.machine.on_badge(UID)
    busy(h)
    h.advance(100)
    h.bridge.machine.on_badge(UID)
    assert ends(h) == ["badge_out"]
    assert h.events("session.end")[-1]["data"]["elapsed_s"] == 100
    assert h.bridge.machine.session is None
    assert h.bridge.machine.unattended
    h.advance(9 * 3600)  # a nine-hour print
    assert powered(h)
    idle(h)
    assert not powered(h)
    assert ends(h) == ["badge_out"]  # no second end
    assert not h.bridge.machine.unattended


def test_idle_timeout(machine):
    h = machine(machine={"idle_timeout_s": 900})
    h.bridge.machine.on_badge(UID)
    h.advance(800)
    busy(h)
    h.advance(100)
    idle(h)
    h.advance(899)
    assert powered(h)
    h.advance(1)
    assert not powered(h)
    assert ends(h) == ["idle_timeout"]


def test_no_busy_input_no_idle_timeout(make_bridge):
    h = make_bridge("machine", online=False, machine={"idle_timeout_s": 60})
    h.bridge.machine.on_badge(UID)
    h.advance(3600)
    assert powered(h)
    end_data = h.events("session.tick")[-1]["data"]
    assert end_data["busy_s"] == 0


def test_maximum_duration_warns_at_10_and_2_minutes_then_stops(machine):
    h = machine(entries=None, machine={"idle_timeout_s": 86_400})
    h.apply_list(h.server.allow_list(entries=[h.server.entry(UID, max_s=3600)], ver=2))
    h.bridge.machine.on_badge(UID)
    h.advance(3600 - 601)
    assert h.feedback.warnings() == []
    h.advance(1)
    assert h.feedback.warnings() == [600]
    h.advance(480)
    assert h.feedback.warnings() == [600, 120]
    h.advance(119)
    assert powered(h)
    h.advance(1)
    assert not powered(h)
    assert ends(h) == ["max_duration"]
    assert h.events("session.end")[-1]["data"]["elapsed_s"] == 3600


def test_closing_time_is_the_end_of_the_entry_interval(machine):
    h = machine(entries=None, machine={"idle_timeout_s": 86_400})
    now = h.clock.wall_ms()
    entry = h.server.entry(UID, valid=[[now - HOUR, now + HOUR]])
    h.apply_list(h.server.allow_list(entries=[entry], ver=2))
    h.bridge.machine.on_badge(UID)
    h.advance(3599)
    assert powered(h)
    h.advance(1)
    assert not powered(h)
    assert ends(h) == ["max_duration"]
    assert h.feedback.warnings() == [600, 120]


def test_maximum_duration_while_busy_stops_when_idle(machine):
    h = machine(entries=None)
    h.apply_list(h.server.allow_list(entries=[h.server.entry(UID, max_s=600)], ver=2))
    h.bridge.machine.on_badge(UID)
    busy(h)
    h.advance(600 + 4 * 3600)
    assert powered(h)
    assert h.bridge.machine.stopping == "max_duration"
    idle(h)
    assert not powered(h)
    assert ends(h) == ["max_duration"]


def test_the_hard_limit_switches_a_busy_machine_off(machine):
    h = machine(entries=None, machine={"hard_limit_s": 1800})
    h.apply_list(h.server.allow_list(entries=[h.server.entry(UID, max_s=600)], ver=2))
    h.bridge.machine.on_badge(UID)
    busy(h)
    h.advance(600 + 1799)
    assert powered(h)
    h.advance(1)
    assert not powered(h)
    assert ends(h) == ["max_duration"]


def test_takeover_while_idle_hands_the_running_machine_over(machine):
    h = machine()
    h.bridge.machine.on_badge(UID)
    first = h.events("session.start")[-1]["data"]["sid"]
    h.advance(60)
    h.bridge.machine.on_badge(OTHER_UID)
    assert powered(h)
    assert not relay_went_off(h)
    end = h.events("session.end")[-1]["data"]
    assert (end["sid"], end["reason"]) == (first, "takeover")
    second = h.events("session.start")[-1]["data"]
    assert second["member"] == 43
    assert second["sid"] != first


def test_takeover_is_refused_while_the_machine_works(machine):
    h = machine()
    h.bridge.machine.on_badge(UID)
    busy(h)
    decision = h.bridge.machine.on_badge(OTHER_UID)
    assert not decision.granted
    assert decision.reason == "resource_unavailable"
    assert h.bridge.machine.session.member == 42
    assert ends(h) == []


def test_takeover_while_busy_when_the_resource_allows_it(machine):
    h = machine(machine={"takeover_only_when_idle": False})
    h.bridge.machine.on_badge(UID)
    busy(h)
    h.bridge.machine.on_badge(OTHER_UID)
    assert ends(h) == ["takeover"]
    assert h.bridge.machine.session.member == 43
    assert not relay_went_off(h)


def test_remote_power_off(machine):
    h = machine()
    h.bridge.machine.on_badge(UID)
    assert h.bridge.machine.power_off(force=False) is None
    assert not powered(h)
    assert ends(h) == ["remote_power_off"]


def test_remote_power_off_is_refused_while_busy_unless_forced(machine):
    h = machine()
    h.bridge.machine.on_badge(UID)
    busy(h)
    assert h.bridge.machine.power_off(force=False) == "machine_busy"
    assert powered(h)
    assert h.bridge.machine.power_off(force=True) is None
    assert not powered(h)
    assert ends(h) == ["remote_power_off"]


def test_a_lockout_ends_a_member_session(machine):
    h = machine()
    h.bridge.machine.on_badge(UID)
    h.bridge.resource.lockout(True)
    assert not powered(h)
    assert ends(h) == ["locked_out"]
    assert h.bridge.machine.on_badge(UID).reason == "locked_out"


def test_a_lockout_from_a_new_list_waits_for_a_busy_machine(machine):
    h = machine()
    h.bridge.machine.on_badge(UID)
    busy(h)
    h.apply_list(h.server.allow_list(ver=2, locked_out=True))
    assert powered(h)
    idle(h)
    assert not powered(h)
    assert ends(h) == ["locked_out"]


def test_a_lockout_spares_a_staff_session(machine):
    h = machine()
    h.bridge.machine.on_badge(STAFF_UID)
    h.bridge.resource.lockout(True)
    assert powered(h)
    assert ends(h) == []


@pytest.mark.parametrize(
    "stop",
    [
        pytest.param(lambda h: h.bridge.machine.on_badge(UID), id="badge out"),
        pytest.param(lambda h: h.advance(2 * 3600), id="max duration"),
        pytest.param(lambda h: h.bridge.resource.lockout(True), id="lockout"),
        pytest.param(lambda h: h.bridge.machine.power_off(force=False), id="power off"),
        pytest.param(lambda h: h.advance(3600), id="idle timeout"),
    ],
)
def test_never_off_while_busy(machine, stop):
    h = machine(entries=None, machine={"idle_timeout_s": 60, "tick_s": 600})
    h.apply_list(h.server.allow_list(entries=[h.server.entry(UID, max_s=3600)], ver=2))
    h.bridge.machine.on_badge(UID)
    busy(h)
    stop(h)
    assert powered(h)
    assert not relay_went_off(h)


# Crashes and restarts ---------------------------------------------------------------


def test_after_a_crash_the_session_ends_at_its_last_tick(machine, make_bridge, tmp_path):
    h = machine(machine={"tick_s": 60})
    h.bridge.machine.on_badge(UID)
    sid = h.events("session.start")[-1]["data"]["sid"]
    busy(h)
    h.advance(150)  # ticks at 60 and 120; the crash comes 30 s later
    crash(h)

    again = make_bridge(
        "machine", online=False, acl=False, store_path=h.bridge.store.path, gpio={"busy_input": 23}
    )

    end = again.events("session.end")[-1]
    assert end["data"] == {
        "sid": sid,
        "reason": "reboot_recovered",
        "elapsed_s": 120,
        "busy_s": 120,
        "idle_s": 0,
    }
    assert end["boot"] == again.bridge.boot
    assert again.bridge.store.session.load() is None
    assert not powered(again)


def test_a_clean_shutdown_leaves_the_session_for_reboot_recovered(machine, make_bridge):
    h = machine()
    h.bridge.machine.on_badge(UID)
    h.advance(45)
    h.bridge.stop()
    again = make_bridge("machine", online=False, acl=False, store_path=h.bridge.store.path)
    end = again.events("session.end")[-1]["data"]
    assert end["reason"] == "reboot_recovered"
    assert end["elapsed_s"] == 45


def test_the_relay_is_released_when_the_bridge_stops(machine):
    h = machine()
    h.bridge.machine.on_badge(UID)
    pin = h.pin(RELAY_PIN)
    h.bridge.stop()
    assert pin.state is False


def test_session_rows_round_trip(make_bridge):
    h = make_bridge("machine", online=False)
    table = h.bridge.store.session
    row = SessionRow("5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a", 42, UID, "0a1b2c3d", 60, 50, 10)
    with h.bridge.store.db.transaction() as conn:
        table.saver(row)(conn)
    assert table.load() == row
