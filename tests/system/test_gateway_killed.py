"""The gateway SIGKILLed while a door keeps scanning: nothing lost, nothing stored twice.

While the gateway is down the door decides from its allow-list and keeps every
decision in its outbox; after the restart the outbox is resent, and the gateway
is killed once more in the middle of it, so that part of the resend is taken
from the broker again (the gateway's persistent session) and part comes again
from the device: each event must still be stored exactly once.
"""

from __future__ import annotations

from functools import partial

import pytest

from tests.support.system_rig import Device, SystemRig, wait_for

pytestmark = [pytest.mark.mqtt, pytest.mark.db]

SCANS = 500
#: lines typed at once; the bridge queues at most 16 reads and drops the rest (a reader
#: that piles up), so the test types a few at a time and waits for them to be decided
CHUNK = 10
GRANTED = r"badge granted at the door \(ok, offline\)"


def decided(door: Device, count: int) -> bool:
    return door.log_count(GRANTED) >= count


def stored_decisions(system: SystemRig, door: Device, count: int) -> bool:
    stored = system.sql_value(
        "SELECT count(*) FROM access_event WHERE device_id = :dev AND type = 'access.decision'",
        dev=door.id,
    )
    return int(stored) >= count


def test_500_offline_decisions_reach_the_database_once_after_a_gateway_restart(
    system: SystemRig,
):
    tenant = system.new_tenant()
    member = system.new_member(tenant["id"])
    uid, _ = system.new_badge(member["id"])
    door = system.register_device("door")
    system.start_bridge(door)
    assert system.decisions(door.id) == []

    system.kill_gateway()
    wait_for(lambda: door.log_count(r"server offline") >= 1, "the bridge sees the server offline")
    for done in range(CHUNK, SCANS + 1, CHUNK):
        for _ in range(CHUNK):
            door.badge(uid)
        wait_for(partial(decided, door, done), f"{done} decisions")
    assert door.log_count(GRANTED) == SCANS
    assert door.log_count(r"badge \w+ at the door") == SCANS  # none asked, none refused
    # the relay acts first, the event is written right after: wait for the last write
    wait_for(lambda: door.outbox_rows() >= SCANS, "every decision in the bridge's outbox")
    assert door.outbox_rows() == SCANS  # none dropped, none sent
    assert system.decisions(door.id) == []

    # Back, and killed again as soon as the first events are stored: the rest of the
    # resend (taken from the broker, maybe half committed) comes again after the restart.
    system.start_gateway()
    wait_for(partial(stored_decisions, system, door, 1), "the first resent decisions stored")
    system.kill_gateway()
    system.start_gateway()
    decisions = system.wait_decisions(door, SCANS, timeout=60)
    assert {(d["member_id"], d["granted"], d["reason"], d["mode"]) for d in decisions} == {
        (member["id"], True, "ok", "offline")
    }
    wait_for(lambda: door.outbox_rows() == 0, "the bridge's outbox emptied by the acks")
    wait_for(lambda: system.device_state(door)["outbox_count"] == 0, "the status reports 0")
    wait_for(lambda: system.outbox_waiting() == 0, "the gateway's device_outbox rows done")

    total, distinct = system.sql(
        "SELECT count(*), count(DISTINCT event_id) FROM access_event "
        "WHERE device_id = :dev AND type = 'access.decision'",
        dev=door.id,
    )[0]
    assert (total, distinct) == (SCANS, SCANS)
    assert len(system.decisions(door.id)) == SCANS
    assert (
        system.sql_value(
            "SELECT count(*) FROM quarantined_event WHERE device_id = :dev", dev=door.id
        )
        == 0
    )
