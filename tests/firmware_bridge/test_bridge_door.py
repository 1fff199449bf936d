"""The door flow: badge -> decision (server first, else the allow-list) -> strike -> event."""

import pytest

from bridge_protocol import topics
from tests.firmware_bridge.support import DAY, HOUR, STAFF_UID, UID, UNKNOWN_UID

OTHER_REQ = "6f1d2c3b-0000-4000-8000-000000000000"


def strike_on(h):
    return not h.bridge.hardware.door.is_locked


# Online -------------------------------------------------------------------------


def test_online_grant_opens_the_door_and_records_the_decision(make_bridge):
    h = make_bridge("door")
    h.server.decisions[UID] = {"granted": True, "reason": "ok", "member": 42}
    h.server.answer(h.bridge, h.link)

    decision = h.bridge.door.on_badge(UID)

    assert decision.granted
    assert decision.mode == "online"
    assert strike_on(h)
    request = h.link.on(topics.auth_request(h.dev))[-1]
    assert request["badge"] == UID
    assert request["exp"] - request["ts"] == 2000
    event = h.events("access.decision")[-1]
    assert event["data"] == {
        "badge": UID,
        "member": 42,
        "granted": True,
        "reason": "ok",
        "mode": "online",
        "req": request["req"],
        "acl_ver": None,
    }
    assert h.feedback.names()[-1] == "granted"


def test_online_deny_keeps_the_door_locked_even_when_the_list_would_grant(make_bridge):
    h = make_bridge("door")
    h.server.decisions[UID] = {"granted": False, "reason": "member_inactive", "member": 42}
    h.server.answer(h.bridge, h.link)

    decision = h.bridge.door.on_badge(UID)

    assert not decision.granted
    assert decision.reason == "member_inactive"
    assert decision.mode == "online"
    assert not strike_on(h)
    assert h.feedback.names()[-1] == "denied"


def test_the_strike_relocks_after_unlock_s(make_bridge):
    h = make_bridge("door", door={"unlock_s": 4})
    h.server.decisions[UID] = {"granted": True, "reason": "ok", "member": 42}
    h.server.answer(h.bridge, h.link)
    h.bridge.door.on_badge(UID)
    h.advance(3.9)
    assert strike_on(h)
    h.advance(0.2)
    assert not strike_on(h)


def test_server_silent_the_cache_decides_after_the_request_timeout(make_bridge):
    h = make_bridge("door", mqtt={"request_timeout_ms": 300})

    decision = h.bridge.door.on_badge(UID)

    assert decision.granted
    assert decision.mode == "cache"
    assert h.clock.waits == [0.3]  # waited exactly the configured timeout, no longer
    assert strike_on(h)
    assert decision.req == h.link.on(topics.auth_request(h.dev))[-1]["req"]
    assert h.events("access.decision")[-1]["data"]["acl_ver"] == 1


def test_offline_decides_from_the_list_without_asking(make_bridge):
    h = make_bridge("door", online=False)
    h.apply_list()

    decision = h.bridge.door.on_badge(UID)

    assert decision.granted
    assert decision.mode == "offline"
    assert h.clock.waits == []
    assert h.link.on(topics.auth_request(h.dev)) == []


def test_server_offline_status_means_offline_decisions(make_bridge):
    h = make_bridge("door")
    h.server_status("offline")
    assert h.bridge.door.on_badge(UID).mode == "offline"
    assert h.link.on(topics.auth_request(h.dev)) == []


def test_a_late_answer_is_ignored(make_bridge):
    h = make_bridge("door")
    decision = h.bridge.door.on_badge(UNKNOWN_UID)
    assert decision.mode == "cache"
    assert decision.reason == "unknown_badge"
    late = h.server.response(decision.req, granted=True, reason="ok")

    h.bridge.deliver(topics.auth_response(h.dev), late)

    assert not strike_on(h)
    assert h.bridge.router.count("auth_response", "ok") == 1  # handled, and ignored


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda s, req: s.response(req, dev="door-side"), id="other device"),
        pytest.param(lambda s, req: s.response(req, exp=s.clock.wall_ms() - 1), id="expired"),
        pytest.param(
            lambda s, req: s.response("6f1d2c3b-0000-4000-8000-000000000000"), id="other req"
        ),
        pytest.param(lambda s, req: s.response(req)[:-20] + b'AAAAAAAAAAAAAAAAAA"}', id="bad sig"),
    ],
)
def test_only_a_valid_answer_to_the_pending_request_counts(make_bridge, spoil):
    h = make_bridge("door")
    h.apply_list(h.server.allow_list(entries=[], ver=2))  # the cache would deny
    answers = []

    def answer_wrongly(topic, payload):
        if topic == topics.auth_request(h.dev):
            req = h.link.on(topic)[-1]["req"]
            answers.append(spoil(h.server, req))
            h.bridge.deliver(topics.auth_response(h.dev), answers[-1])

    h.link.on_publish = answer_wrongly
    decision = h.bridge.door.on_badge(UID)

    assert answers
    assert not decision.granted
    assert decision.mode == "cache"
    assert not strike_on(h)


# The allow-list and its stale policy --------------------------------------------


def test_no_list_at_all_denies_everyone_stale_cache(make_bridge):
    h = make_bridge("door", online=False, acl=False)
    decision = h.bridge.door.on_badge(STAFF_UID)
    assert not decision.granted
    assert decision.reason == "stale_cache"


def test_fresh_list_denies_outside_the_entry_interval(make_bridge):
    h = make_bridge("door", online=False, acl=False)
    now = h.clock.wall_ms()
    entry = h.server.entry(UID, valid=[[now + HOUR, now + 2 * HOUR]])
    h.apply_list(h.server.allow_list(entries=[entry]))
    decision = h.bridge.door.on_badge(UID)
    assert not decision.granted
    assert decision.reason == "outside_hours"
    h.advance(HOUR / 1000)
    assert h.bridge.door.on_badge(UID).granted


@pytest.mark.parametrize(
    ("policy", "member_granted", "staff_granted"),
    [("deny_all", False, False), ("staff_only", False, True), ("keep", True, True)],
)
def test_stale_policy_applies_once_the_list_expired(
    make_bridge, policy, member_granted, staff_granted
):
    h = make_bridge("door", online=False, acl=False, policy={"stale": policy})
    now = h.clock.wall_ms()
    week = 7 * DAY
    entries = [
        h.server.entry(UID, valid=[[now - week, now + week]]),
        h.server.entry(STAFF_UID, 7, staff=True),
    ]
    h.apply_list(h.server.allow_list(entries=entries, exp=now + DAY, stale_policy="keep"))
    h.advance(DAY / 1000 + 1)

    member = h.bridge.door.on_badge(UID)
    staff = h.bridge.door.on_badge(STAFF_UID)

    assert member.granted is member_granted
    assert staff.granted is staff_granted
    if not member_granted:
        assert member.reason == "stale_cache"


def test_the_list_policy_tightens_the_device_policy(make_bridge):
    h = make_bridge("door", online=False, acl=False, policy={"stale": "keep"})
    now = h.clock.wall_ms()
    h.apply_list(h.server.allow_list(exp=now + DAY, stale_policy="deny_all"))
    h.advance(DAY / 1000 + 1)
    assert h.bridge.door.on_badge(STAFF_UID).reason == "stale_cache"


def test_unsynced_clock_judges_the_list_by_monotonic_age_since_receipt(make_bridge):
    h = make_bridge("door", online=False, acl=False, policy={"stale": "deny_all"})
    now = h.clock.wall_ms()
    entry = h.server.entry(UID, valid=[[now - HOUR, now + HOUR]])
    h.apply_list(h.server.allow_list(entries=[entry]))  # received with a synced clock
    h.clock.is_synced = False
    h.clock.wall_offset_ms = -365 * DAY  # the wall clock jumped back a year

    assert h.bridge.door.on_badge(UID).granted  # judged at receipt + 0 s
    h.advance(HOUR / 1000)
    assert h.bridge.door.on_badge(UID).reason == "outside_hours"  # receipt + 1 h


def test_unsynced_clock_after_an_os_reboot_means_stale_policy(make_bridge):
    h = make_bridge("door", online=False, acl=False, policy={"stale": "staff_only"})
    h.apply_list()
    h.clock.is_synced = False
    h.clock.boot_id = "another-os-boot"
    assert h.bridge.door.on_badge(UID).reason == "stale_cache"
    assert h.bridge.door.on_badge(STAFF_UID).granted


def test_unknown_badges_are_rate_limited_without_asking_the_server(make_bridge):
    h = make_bridge("door")
    for _ in range(10):
        assert h.bridge.door.on_badge(UNKNOWN_UID).reason == "unknown_badge"
    asked = len(h.link.on(topics.auth_request(h.dev)))

    flood = h.bridge.door.on_badge(UNKNOWN_UID)

    assert flood.reason == "rate_limited"
    assert len(h.link.on(topics.auth_request(h.dev))) == asked
    assert h.bridge.door.on_badge(UID).granted  # known badges are never limited
    h.advance(60)
    assert h.bridge.door.on_badge(UNKNOWN_UID).reason == "unknown_badge"


def test_an_unreadable_badge_is_a_reader_error_without_the_number(make_bridge):
    h = make_bridge("door")
    assert h.bridge.door.on_badge("0x12:zz") is None
    event = h.events("reader.error")[-1]
    assert event["data"]["code"] == "bad_format"
    assert "zz" not in event["data"]["detail"]


# Lockout --------------------------------------------------------------------------


def test_a_locked_out_list_admits_staff_only(make_bridge):
    h = make_bridge("door", online=False)
    h.apply_list(h.server.allow_list(ver=2, locked_out=True))
    assert h.bridge.door.on_badge(UID).reason == "locked_out"
    assert h.bridge.door.on_badge(STAFF_UID).granted


def test_a_lockout_command_overrides_an_online_grant_until_a_newer_list(make_bridge):
    h = make_bridge("door")
    h.server.decisions[UID] = {"granted": True, "reason": "ok", "member": 42}
    h.server.answer(h.bridge, h.link)
    h.bridge.resource.lockout(True)

    assert h.bridge.door.on_badge(UID).reason == "locked_out"
    h.apply_list(h.server.allow_list(ver=2, locked_out=False))
    assert h.bridge.door.on_badge(UID).granted


def test_a_lockout_survives_a_restart(make_bridge, tmp_path):
    path = tmp_path / "door.sqlite3"
    first = make_bridge("door", online=False, store_path=path)
    first.bridge.resource.lockout(True)
    first.bridge.stop()
    second = make_bridge("door", online=False, acl=False, store_path=path)
    assert second.bridge.door.on_badge(UID).reason == "locked_out"


# Door contact -----------------------------------------------------------------------


def open_door(h):
    h.pin(27).drive_high()  # reed switch opens: the pull-up reads high


def close_door(h):
    h.pin(27).drive_low()


def test_door_opened_by_a_badge_then_closed(make_bridge):
    h = make_bridge("door", online=False)
    close_door(h)
    h.bridge.door.on_badge(UID)
    open_door(h)
    h.advance(4)
    close_door(h)
    assert h.events("door.opened")[-1]["data"] == {"by": "badge"}
    assert h.events("door.closed")[-1]["data"] == {"open_s": 4}
    assert h.events("door.forced") == []


def test_door_forced_while_locked(make_bridge):
    h = make_bridge("door", online=False)
    close_door(h)
    open_door(h)
    assert len(h.events("door.forced")) == 1
    assert h.events("door.opened") == []


def test_door_held_open(make_bridge):
    h = make_bridge("door", online=False, door={"held_open_s": 30})
    close_door(h)
    h.bridge.door.unlock_remote(5)
    open_door(h)
    h.advance(31)
    assert h.events("door.opened")[-1]["data"] == {"by": "remote"}
    assert h.events("door.held_open")[-1]["data"] == {"open_s": 30}


# Unlock schedule ---------------------------------------------------------------------


def test_the_unlock_schedule_holds_the_door_open_within_its_interval(make_bridge):
    h = make_bridge("door", online=False, acl=False)
    now = h.clock.wall_ms()
    h.apply_list(h.server.allow_list(unlock=[[now + HOUR, now + 2 * HOUR]]))
    assert not strike_on(h)
    h.advance(HOUR / 1000)
    assert strike_on(h)
    h.advance(HOUR / 1000 - 30)
    assert strike_on(h)
    h.advance(31)
    assert not strike_on(h)


def test_a_lockout_ends_the_unlock_schedule_at_once(make_bridge):
    h = make_bridge("door", online=False, acl=False)
    now = h.clock.wall_ms()
    h.apply_list(h.server.allow_list(unlock=[[now - HOUR, now + HOUR]]))
    assert strike_on(h)
    h.bridge.resource.lockout(True)
    assert not strike_on(h)


def test_an_expired_list_never_holds_the_door_unlocked(make_bridge):
    h = make_bridge("door", online=False, acl=False)
    now = h.clock.wall_ms()
    h.apply_list(h.server.allow_list(exp=now + HOUR, unlock=[[now - HOUR, now + 3 * HOUR]]))
    assert strike_on(h)
    h.advance(HOUR / 1000 + 61)
    assert not strike_on(h)
