"""Mosquitto killed and started again on the same config and persistence directory."""

from __future__ import annotations

from functools import partial

import pytest

from bridge_protocol import topics
from bridge_protocol.acl import AllowList
from tests.support.system_rig import Device, SystemRig, wait_for

pytestmark = [pytest.mark.mqtt, pytest.mark.db]

ALL_LISTS = f"{topics.PREFIX}d/+/down/acl"


def reconnected(device: Device, connects_before: int) -> bool:
    return device.log_count(r"connected to the broker") > connects_before


def test_after_a_broker_restart_everything_reconnects_and_the_lists_are_published_again(
    system: SystemRig,
):
    tenant = system.new_tenant()
    member = system.new_member(tenant["id"])
    uid, _ = system.new_badge(member["id"])
    doors = [system.register_device("door") for _ in range(2)]
    for door in doors:
        system.start_bridge(door)
    published = system.metric("gateway_acl_published_total")
    connects = {door.id: door.log_count(r"connected to the broker") for door in doors}

    system.kill_broker()  # SIGKILL: no goodbye, nothing saved since its last autosave
    system.start_broker()

    wait_for(system.gateway_connected, "the gateway reconnected")
    active = len(system.api("GET", "/devices?per_page=200")["items"])
    wait_for(
        lambda: system.metric("gateway_acl_published_total") >= published + active,
        "every device's list published again",
    )
    for door in doors:
        wait_for(partial(reconnected, door, connects[door.id]), f"{door.id} reconnected")
        system.wait_device_ready(door)

    # A subscriber that comes now finds each device's list retained, signed and current.
    monitor = system.monitor()
    monitor.subscribe(ALL_LISTS)
    verifier = system.verifier()
    for door in doors:
        message = monitor.wait_for(topic=topics.acl(door.id))
        assert message.retain
        body = AllowList.model_validate_json(verifier.verify(message.payload))
        state = system.device_state(door)
        assert body.dev == door.id
        assert body.ver == state["acl_version_published"] == state["acl_version_applied"]
        assert len(body.entries) >= 1  # the member's badge

    # And the whole path answers again: the gateway decides the next scan.
    doors[0].badge(uid)
    (decision,) = system.wait_decisions(doors[0], 1)
    assert (decision["granted"], decision["reason"], decision["mode"]) == (True, "ok", "online")
