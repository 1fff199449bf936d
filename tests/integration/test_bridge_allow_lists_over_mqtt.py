"""Allow-lists through a real broker: a bad one is refused and the one in force stays; an
expired one gives way to the stale policy.

The server double is silent here, so every decision comes from the bridge's cache.
"""

from __future__ import annotations

import pytest

from bridge_protocol.wire import now_ms
from tests.support.server_double import SILENT
from tests.support.server_side import DAY_MS, impostor_signer, other_signer

pytestmark = pytest.mark.mqtt

MEMBER_UID, MEMBER = "04A22B1C", 42
STAFF_UID, STAFF = "04B33C2D", 7
NEWCOMER_UID, NEWCOMER = "04C44D3E", 99


@pytest.fixture
def door(rig):
    """A door holding list version 2 (member and staff), with a silent server."""
    rig.server.auth_policy = SILENT
    dev = rig.new_device("door")
    server = rig.server
    entries = [server.entry(dev, MEMBER_UID, MEMBER), server.entry(dev, STAFF_UID, STAFF)]
    server.publish_allow_list(dev, server.make_allow_list(dev, entries, ver=2))
    bridge = rig.start_bridge(dev)
    bridge.wait_acl(2)
    return bridge


def newcomer_list(rig, dev, **fields):
    """Version 3: the newcomer only (the member removed)."""
    fields.setdefault("ver", 3)
    return rig.server.make_allow_list(
        dev, [rig.server.entry(dev, NEWCOMER_UID, NEWCOMER)], **fields
    )


def test_a_good_new_list_replaces_the_old_one(rig, door):
    rig.server.publish_allow_list(door.dev, newcomer_list(rig, door.dev))

    door.wait_acl(3)
    assert door.scan(NEWCOMER_UID).granted
    removed = door.scan(MEMBER_UID)
    assert (removed.reason, removed.mode) == ("unknown_badge", "cache")
    applied = rig.server.wait_for_event(door.dev, "acl.applied", lambda e: e.data.ver == 3)
    assert applied.data.entries == 1


BROKEN_LISTS = {
    "changed after signing": ({"tamper": True}, {}, "bad_signature"),
    "signed with an unknown key": ({"signer": "other"}, {}, "unknown_kid"),
    "signed by an impostor of the key id": ({"signer": "impostor"}, {}, "bad_signature"),
    "for another device": ({}, {"dev": "door-elsewhere"}, "foreign_dev"),
    "expired": ({}, {"iat": now_ms() - 3 * DAY_MS, "exp": now_ms() - DAY_MS}, "expired"),
    "older than the one in force": ({}, {"ver": 1}, "old_version"),
}


@pytest.mark.parametrize(("how", "fields", "reason"), BROKEN_LISTS.values(), ids=list(BROKEN_LISTS))
def test_a_bad_list_is_rejected_and_the_old_one_kept(rig, door, how, fields, reason):
    how = dict(how)
    signers = {"other": other_signer(), "impostor": impostor_signer(rig.server)}
    if "signer" in how:
        how["signer"] = signers[how["signer"]]
    body_dev = fields.pop("dev", door.dev)
    broken = newcomer_list(rig, body_dev, **fields)

    rig.server.publish_allow_list(door.dev, broken, topic_dev=door.dev, **how)

    rejected = rig.server.wait_for_event(door.dev, "acl.rejected")
    assert rejected.data.reason == reason
    assert door.acl_ver == 2
    assert door.scan(MEMBER_UID).granted
    assert door.scan(NEWCOMER_UID).reason == "unknown_badge"


def test_the_list_in_force_survives_a_bridge_restart_without_the_broker(rig, door):
    door.stop()
    rig.broker.stop()

    again = rig.start_bridge(door.dev, wait_online=False)  # same config, same store

    assert again.acl_ver == 2
    decision = again.scan(MEMBER_UID)
    assert (decision.granted, decision.mode) == (True, "offline")


STALE_POLICIES = [
    # policy, member granted, staff granted
    ("deny_all", False, False),
    ("staff_only", False, True),
    ("keep", True, True),
]


def test_an_expired_list_gives_way_to_the_stale_policy(rig):
    """One door per policy, each with a list that expires three seconds after it is sent."""
    rig.server.auth_policy = SILENT
    exp = now_ms() + 3000
    doors = {}
    for policy, _member, _staff in STALE_POLICIES:
        dev = rig.new_device("door")
        server = rig.server
        whole_fortnight = [(now_ms() - 8 * DAY_MS, now_ms() + 8 * DAY_MS)]
        entries = [
            server.entry(dev, MEMBER_UID, MEMBER, valid=whole_fortnight),
            server.entry(dev, STAFF_UID, STAFF, staff=True, valid=whole_fortnight),
        ]
        allow_list = server.make_allow_list(dev, entries, exp=exp, stale_policy="keep")
        server.publish_allow_list(dev, allow_list)
        doors[policy] = rig.start_bridge(dev, stale_policy=policy)
    for door in doors.values():
        door.wait_acl(1)
    next(iter(doors.values())).wait_until(lambda: now_ms() > exp + 100, what="the expiry")

    outcomes = []
    for policy, _member, _staff in STALE_POLICIES:
        member, staff = doors[policy].scan(MEMBER_UID), doors[policy].scan(STAFF_UID)
        outcomes.append((policy, member.granted, staff.granted))
        if not member.granted:
            assert member.reason == "stale_cache"

    assert outcomes == STALE_POLICIES
