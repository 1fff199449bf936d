"""The main entrance, end to end: web API, gateway, broker and a bridge process."""

from __future__ import annotations

import secrets

import pytest

from tests.support.system_rig import SystemRig, wait_for

pytestmark = [pytest.mark.mqtt, pytest.mark.db]


def by_badge(decisions: list[dict]) -> dict[str, tuple[bool, str, str]]:
    return {d["badge_uid"]: (d["granted"], d["reason"], d["mode"]) for d in decisions}


def test_front_door_grants_denies_and_revokes_online_and_offline(system: SystemRig):
    tenant = system.new_tenant()
    member = system.new_member(tenant["id"])
    keeper = system.new_member(tenant["id"])
    uid, badge = system.new_badge(member["id"])
    other_uid, _ = system.new_badge(keeper["id"])
    unknown = "04" + secrets.token_hex(5).upper()
    door = system.register_device("door")  # no resource: the building's entrance
    system.start_bridge(door)

    # A known badge opens, an unknown one does not: the gateway decided both.
    door.badge(uid)
    door.badge(unknown)
    decisions = system.wait_decisions(door, 2)
    assert by_badge(decisions) == {
        uid: (True, "ok", "online"),
        unknown: (False, "unknown_badge", "online"),
    }
    assert {d["member_id"] for d in decisions if d["badge_uid"] == uid} == {member["id"]}

    # Revoked through the web API: the next scan is refused by the gateway.
    version = system.device_state(door)["acl_version_applied"]
    system.api("DELETE", f"/badges/{badge['id']}", expect=204)
    system.wait_list_newer(door, than=version)
    door.badge(uid)
    assert by_badge(system.wait_decisions(door, 3)[2:]) == {
        uid: (False, "badge_inactive", "online")
    }

    # The gateway gone (SIGKILL: its Last Will tells the devices): the allow-list the device
    # holds decides, and it no longer holds the revoked badge; the other member still enters.
    system.kill_gateway()
    wait_for(lambda: door.log_count(r"server offline") >= 1, "the bridge sees the server offline")
    door.badge(uid)
    door.badge(other_uid)
    wait_for(lambda: door.log_count(r"badge \w+ at the door") >= 5, "two offline decisions")

    system.start_gateway()  # the outbox delivers what was decided meanwhile
    offline = system.wait_decisions(door, 5)[3:]
    assert by_badge(offline) == {
        uid: (False, "unknown_badge", "offline"),
        other_uid: (True, "ok", "offline"),
    }
