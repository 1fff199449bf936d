"""The daemon as a whole: --simulate wiring, standard input, the scan topic, signals, shutdown."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from bridge_protocol import topics
from bridge_protocol.config import dump_toml, parse_config
from firmware_bridge.daemon import Bridge, BridgeOptions
from firmware_bridge.hardware import LoggedPin, simulated_pin_factory
from tests.firmware_bridge.support import UID, FakeLink, FakeServer, config_data

ROOT = Path(__file__).resolve().parents[2]
WAIT = 20  # seconds; generous, never a measurement


def wait_for(condition, timeout=WAIT):
    pause = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if condition():
            return True
        pause.wait(0.02)
    return condition()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def simulated(tmp_path):
    """A real-time simulated door bridge (threads, mock pins), offline, with a list applied."""
    started = []

    def build(stdin=None, **sections):
        config = parse_config(
            dump_toml(config_data("door", tmp_path / "sim.sqlite3", **sections)), environ={}
        )
        link = FakeLink(connected=False)
        bridge = Bridge(
            config,
            options=BridgeOptions(simulate=True, clock="sync", stdin=stdin),
            environ={},
            link=link,
        )
        started.append(bridge)
        bridge.start()
        server = FakeServer(bridge.dev, bridge.clock)
        bridge.deliver(topics.acl(bridge.dev), server.allow_list(), True)
        return bridge

    yield build
    for bridge in started:
        bridge.stop()


def strike_on(bridge):
    return not bridge.hardware.door.is_locked


def test_simulate_uses_logged_mock_pins_and_a_closed_door(simulated):
    bridge = simulated()
    assert isinstance(bridge.hardware.pin_factory, MockFactory)
    assert isinstance(bridge.hardware.door.strike.pin, LoggedPin)
    assert bridge.hardware.door.is_open is False
    assert bridge.hardware.simulated_reader is not None


def test_simulate_reads_badges_from_standard_input(simulated):
    read_end, write_end = os.pipe()
    with os.fdopen(read_end) as stdin, os.fdopen(write_end, "w") as typing:
        bridge = simulated(stdin=stdin)
        typing.write(f"\n{UID}\n")
        typing.flush()
        assert wait_for(lambda: strike_on(bridge))


def test_simulate_takes_badges_from_the_scan_topic(simulated):
    bridge = simulated()
    scan = json.dumps({"v": 1, "raw": UID}).encode()
    bridge.deliver(topics.sim_scan(bridge.dev), scan)
    assert wait_for(lambda: strike_on(bridge))


def test_the_scan_topic_is_ignored_outside_simulate(make_bridge):
    h = make_bridge("door")
    h.bridge.deliver(topics.sim_scan(h.dev), json.dumps({"v": 1, "raw": UID}).encode())
    assert h.bridge.router.count("?", "unexpected_topic") == 1


def test_relay_changes_are_logged_in_simulate(caplog):
    factory = simulated_pin_factory()
    pin = factory.pin(17)
    pin.relay_label = "door strike"
    pin.function = "output"
    with caplog.at_level("INFO", logger="firmware_bridge.hardware"):
        pin.state = True
        pin.state = False
    assert "[simulated] door strike relay ENERGISED" in caplog.text
    assert "[simulated] door strike relay released" in caplog.text


def test_stop_releases_the_relays_and_closes_the_store(simulated):
    bridge = simulated()
    bridge.door.unlock_remote(60)
    pin = bridge.hardware.door.strike.pin
    assert pin.state
    bridge.stop()
    assert not pin.state
    with pytest.raises(Exception, match="closed"):
        bridge.store.outbox.ids()


def test_the_daemon_runs_as_a_subprocess_and_stops_on_sigterm(tmp_path):
    store = tmp_path / "door.sqlite3"
    data = config_data("door", store, door={"unlock_s": 60})
    data["mqtt"]["url"] = f"mqtt://127.0.0.1:{free_port()}"  # nobody listens: offline
    config_path = tmp_path / "bridge.toml"
    config_path.write_text(dump_toml(data))
    prepare = Bridge(parse_config(config_path.read_text(), environ={}), link=FakeLink(False))
    server = FakeServer(prepare.dev, prepare.clock)
    prepare.acl.apply(server.allow_list())
    prepare.stop()  # never started: stop() still closes everything

    child = subprocess.Popen(
        [sys.executable, "-m", "firmware_bridge", "--config", str(config_path), "--simulate"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "GPIOZERO_PIN_FACTORY": "mock"},
    )
    lines = []
    try:
        assert child.stdin is not None
        assert child.stderr is not None
        assert read_until(child.stderr, "started", lines)
        child.stdin.write(f"{UID}\n")
        child.stdin.flush()
        assert read_until(child.stderr, "door strike relay ENERGISED", lines)
        child.send_signal(signal.SIGTERM)
        _, rest = child.communicate(timeout=WAIT)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    log = "".join(lines) + rest
    assert child.returncode == 0, log
    assert "door strike relay released" in log
    assert "stopped" in log
    assert data["mqtt"]["password"] not in log


def read_until(stream, text, lines):
    while True:
        line = stream.readline()
        if not line:
            return False
        lines.append(line)
        if text in line:
            return True


def test_the_light_shows_offline_until_the_server_is_online(make_bridge):
    h = make_bridge("door", online=False)
    assert h.feedback.names()[-1] == "offline"
    h.link.connected = True
    h.bridge.link_up()
    assert h.feedback.names()[-1] == "offline"
    h.server_status("online")
    assert h.feedback.names()[-1] == "idle"
    h.bridge.link_down()
    assert h.feedback.names()[-1] == "offline"
    assert not h.bridge.presence.server_online
