"""`incubator demo` end to end: broker, gateway, simulated Pis, jobs runner and web, as run.

Scans go through the simulator page (a manager's session, the form's CSRF
token) to the demo's broker, to a simulated Pi, which asks the gateway; what
the Pi reports must reach the API. SIGTERM must leave no process behind.
"""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest

from app.demo_system.broker import find_mosquitto
from app.services.demo import MANAGER_BADGE, REVOKED_BADGE, UNKNOWN_BADGE
from tests.demo.demo_process import RunningDemo, WebSession, alive, wait_until

pytestmark = pytest.mark.mqtt

BRAM = "04A1B2C3D4E502"  # trained on the laser cutter; his company booked it now
DRIES = "04A1B2C3D4E504"  # trained; his company did not book the laser cutter
FARID = "04A1B2C3D4E506"  # not trained on the laser cutter


def scan(web: WebSession, device: str, badge: str) -> str:
    """Scan on the simulator page; the outcome it shows (granted, refused, ended, pending)."""
    status, page = web.submit(
        f"/simulator/?device={device}", "/simulator/", {"device": device, "badge": badge}
    )
    assert status == 200, page[:1000]
    flashed = re.search(r'<p class="flash ([^"]*)" role="status">(.*?)</p>', page, re.S)
    assert flashed, "no outcome shown"
    assert badge in flashed.group(2)
    return flashed.group(1).split()[-1]


def decisions(demo: RunningDemo, device: str) -> list[tuple[str, bool, str]]:
    items = demo.api(f"/api/v1/access-events?device={device}&per_page=100")["items"]
    return [
        (e["badge_uid"], e["granted"], e["reason"]) for e in items if e["type"] == "access.decision"
    ]


def sessions(demo: RunningDemo) -> list[dict]:
    return demo.api("/api/v1/usage-sessions?device=laser-cutter")["items"]


def gateway_pid(demo: RunningDemo) -> int | None:
    for pid in demo.children():
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"gateway" in argv:
            return pid
    return None


def stop_and_check_nothing_left(demo: RunningDemo) -> None:
    children = demo.children()
    # broker, gateway, four Pis, the jobs runner
    assert len(children) >= 7, children
    assert demo.stop() == 0, demo.log()[-3000:]
    assert [pid for pid in children if alive(pid)] == []


def test_the_demo_on_mosquitto_opens_doors_and_runs_sessions(start_demo):
    if find_mosquitto() is None:
        pytest.skip("mosquitto is not installed")
    demo = start_demo("mosquitto")
    assert "Broker: mosquitto" in demo.log()
    web = demo.web()
    web.log_in()

    assert scan(web, "main-entrance", BRAM) in ("granted", "pending")
    wait_until(lambda: (BRAM, True, "ok") in decisions(demo, "main-entrance"))
    assert scan(web, "main-entrance", UNKNOWN_BADGE) in ("refused", "pending")
    assert scan(web, "main-entrance", REVOKED_BADGE[1]) in ("refused", "pending")
    wait_until(
        lambda: (
            {(UNKNOWN_BADGE, False, "unknown_badge"), (REVOKED_BADGE[1], False, "badge_inactive")}
            <= set(decisions(demo, "main-entrance"))
        )
    )

    assert scan(web, "laser-cutter", FARID) in ("refused", "pending")
    assert scan(web, "laser-cutter", DRIES) in ("refused", "pending")
    assert scan(web, "laser-cutter", BRAM) in ("granted", "pending")
    wait_until(
        lambda: (
            {(FARID, False, "not_qualified"), (DRIES, False, "no_booking"), (BRAM, True, "ok")}
            <= set(decisions(demo, "laser-cutter"))
        )
    )
    running = wait_until(lambda: [s for s in sessions(demo) if s["ended_at"] is None])
    assert len(running) == 1

    assert scan(web, "laser-cutter", BRAM) in ("ended", "pending")  # badge out
    ended = wait_until(lambda: [s for s in sessions(demo) if s["stop_reason"] == "badge_out"])
    assert ended[0]["session_id"] == running[0]["session_id"]
    assert ended[0]["duration_s"] >= 0

    # the gateway dies: the door decides offline, and the demo starts the gateway again
    killed = gateway_pid(demo)
    assert killed is not None
    os.kill(killed, signal.SIGKILL)
    assert scan(web, "main-entrance", DRIES) in ("granted", "pending")
    wait_until(lambda: gateway_pid(demo) not in (None, killed), timeout=30)
    offline = wait_until(
        lambda: [
            e
            for e in demo.api("/api/v1/access-events?device=main-entrance")["items"]
            # decided by the door itself: "offline" once the gateway's Last Will has
            # arrived, "cache" when the scan came first and the request went unanswered
            if e["badge_uid"] == DRIES and e["mode"] in ("offline", "cache")
        ],
        timeout=60,
    )
    assert offline[0]["granted"] is True

    stop_and_check_nothing_left(demo)


def test_the_demo_on_its_embedded_broker(start_demo):
    pytest.importorskip("amqtt")
    demo = start_demo("embedded")
    assert "Broker: embedded" in demo.log()
    web = demo.web()
    web.log_in()

    assert scan(web, "main-entrance", MANAGER_BADGE) in ("granted", "pending")
    wait_until(lambda: (MANAGER_BADGE, True, "ok") in decisions(demo, "main-entrance"))
    assert scan(web, "laser-cutter", BRAM) in ("granted", "pending")
    wait_until(lambda: [s for s in sessions(demo) if s["ended_at"] is None])
    # the terminal way in, on the same demo
    assert "scanned" in demo.cli("demo", "scan", "main-entrance", UNKNOWN_BADGE)
    wait_until(lambda: (UNKNOWN_BADGE, False, "unknown_badge") in decisions(demo, "main-entrance"))

    stop_and_check_nothing_left(demo)
