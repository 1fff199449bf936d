"""The bridge as operators run it: ``python -m firmware_bridge --config FILE --simulate``.

A child process against the real broker and the server double: badges typed on
its standard input, a simulated scan from the demo's topic, a clean stop on SIGTERM.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from bridge_protocol import topics
from tests.support.server_double import AckMode

pytestmark = pytest.mark.mqtt

UID = "04A22B1C"
MEMBER = 42
START_S = 30.0  # a fresh interpreter importing pydantic, paho and gpiozero


@pytest.fixture
def daemon(rig):
    dev = rig.new_device("door")
    server = rig.server
    server.publish_allow_list(dev, server.make_allow_list(dev, [server.entry(dev, UID, MEMBER)]))
    process = rig.start_daemon(dev)
    rig.server.wait_for_status(dev, "ready", timeout=START_S)
    rig.server.wait_for_event(dev, "acl.applied")
    return process


def test_a_badge_typed_on_standard_input_opens_the_door_online(rig, daemon):
    daemon.badge(UID)

    event = rig.server.wait_for_event(daemon.dev, "access.decision")
    assert (event.data.granted, event.data.mode, event.data.member) == (True, "online", MEMBER)
    assert "door strike relay ENERGISED" in daemon.log()


def test_a_simulated_scan_over_mqtt_is_decided_like_a_badge(rig, daemon):
    rig.server.publish(topics.sim_scan(daemon.dev), json.dumps({"v": 1, "raw": "DEADBEEF"}))

    event = rig.server.wait_for_event(daemon.dev, "access.decision")
    assert (event.data.granted, event.data.reason) == (False, "unknown_badge")


def test_sigterm_stops_the_daemon_cleanly_and_it_says_goodbye(rig, daemon):
    code = daemon.terminate()

    assert code == 0
    status = rig.server.wait_for_status(daemon.dev, "lost")
    assert status.boot == rig.server.statuses(daemon.dev)[0].boot


def test_sigkill_while_writing_events_loses_none_of_them(rig, daemon):
    rig.server.ack_mode = AckMode.NONE  # everything stays in the outbox until the restart
    for _ in range(40):
        daemon.badge(UID)
    rig.server.wait_until(lambda: len(rig.server.events(daemon.dev, "access.decision")) >= 5)

    daemon.process.kill()  # SIGKILL, mid-stream
    daemon.process.wait(START_S)
    integrity, unacked = read_store(rig.workdir / f"{daemon.dev}.sqlite3")
    assert integrity == "ok"
    assert unacked  # what was written before the kill
    rig.server.ack_mode = AckMode.NORMAL
    restarted_at = time.monotonic()
    rig.start_daemon(daemon.dev)  # same config, same store

    def sent_again() -> set[str]:
        records = rig.server.received(daemon.dev, topics.TopicKind.EVENT)
        return {r.message.id for r in records if r.at >= restarted_at and r.message is not None}

    rig.server.wait_until(
        lambda: unacked <= sent_again(), timeout=START_S, what="every event written before the kill"
    )


def read_store(path: Path) -> tuple[str, set[str]]:
    conn = sqlite3.connect(path)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        ids = {row[0] for row in conn.execute("SELECT id FROM outbox")}
    finally:
        conn.close()
    return integrity, ids
