"""The laser cutter, end to end: training, a booking made through the API, a session."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from tests.support.system_rig import SystemRig, wait_for
from tests.system.staging import LaserStage

pytestmark = [pytest.mark.mqtt, pytest.mark.db]


def test_laser_cutter_needs_training_and_a_booking_and_records_the_session(
    system: SystemRig, laser_stage: LaserStage
):
    stage = laser_stage
    assert stage.booking["resource"] == stage.slug
    trained, untrained, elsewhere = stage.trained, stage.untrained, stage.trained_elsewhere
    laser = system.register_device("machine", resource=stage.slug)
    system.start_bridge(laser)

    # Untrained: refused. Trained, but the company has no booking: refused.
    laser.badge(stage.badges[untrained["id"]])
    laser.badge(stage.badges[elsewhere["id"]])
    denied = system.wait_decisions(laser, 2)
    assert {(d["member_id"], d["granted"], d["reason"], d["mode"]) for d in denied} == {
        (untrained["id"], False, "not_qualified", "online"),
        (elsewhere["id"], False, "no_booking", "online"),
    }
    assert laser.log_count(r"session \S+ started") == 0
    assert system.api("GET", f"/usage-sessions?device={laser.id}")["items"] == []

    # Trained, with the company's booking running: the machine starts a session.
    wait_for(lambda: dt.datetime.now(dt.UTC) >= stage.starts, "the booking to begin", timeout=75)
    laser.badge(stage.badges[trained["id"]])
    granted = system.wait_decisions(laser, 3)[2]
    assert (granted["member_id"], granted["granted"], granted["reason"], granted["mode"]) == (
        trained["id"],
        True,
        "ok",
        "online",
    )
    wait_for(lambda: laser.log_count(r"session \S+ started") == 1, "the session started")
    running = wait_for(
        lambda: system.api("GET", f"/usage-sessions?device={laser.id}")["items"],
        "the session in the API",
    )
    assert [(s["member_id"], s["tenant_id"], s["ended_at"]) for s in running] == [
        (trained["id"], stage.ours["id"], None)
    ]

    time.sleep(2)  # so that the session lasts a measurable while
    laser.badge(stage.badges[trained["id"]])  # the same badge again: badge out
    wait_for(lambda: laser.log_count(r"session \S+ ended: badge_out") == 1, "the badge-out")

    def ended() -> list[dict]:
        query = f"device={laser.id}&resource={stage.slug}"
        items = system.api("GET", f"/usage-sessions?{query}")["items"]
        return items if items and items[0]["ended_at"] else []

    (session,) = wait_for(ended, "the session ended in the API")
    assert session["session_id"] == running[0]["session_id"]
    assert (session["member_id"], session["tenant_id"], session["resource"]) == (
        trained["id"],
        stage.ours["id"],
        stage.slug,
    )
    assert (session["stop_reason"], session["provisional_end"]) == ("badge_out", False)
    started = dt.datetime.fromisoformat(session["started_at"])
    finished = dt.datetime.fromisoformat(session["ended_at"])
    assert session["duration_s"] >= 2
    assert abs(session["duration_s"] - (finished - started).total_seconds()) <= 1
    # badging out is no access decision: still the three
    assert len(system.decisions(laser.id)) == 3
