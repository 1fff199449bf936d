import pytest

from bridge_protocol.acl import (
    WEEK_MS,
    AllowList,
    StalePolicy,
    decide_offline,
    replay_time,
    stricter,
)
from bridge_protocol.reasons import DecisionReason

T0 = 1_711_846_800_000
HOUR = 3_600_000
DAY = 24 * HOUR
MEMBER = "M" * 43
STAFF = "S" * 43
BOOKER = "B" * 43
ONLINE_ONLY = "O" * 43
UNKNOWN = "U" * 43


def allow_list(**fields):
    body = {
        "dev": "laser-1",
        "iat": T0,
        "exp": T0 + 7 * DAY,
        "ver": 3,
        "stale_policy": "staff_only",
        "entries": [
            {"badge": MEMBER, "member": 1, "valid": [[T0, T0 + 8 * HOUR]]},
            {"badge": STAFF, "member": 2, "staff": True, "valid": []},
            {
                "badge": BOOKER,
                "member": 3,
                "valid": [[T0 + DAY, T0 + DAY + HOUR]],
                "outside_reason": "no_booking",
            },
            {"badge": ONLINE_ONLY, "member": 4, "offline_ok": False, "valid": [[T0, T0 + DAY]]},
        ],
    }
    body.update(fields)
    return AllowList.model_validate(body)


FRESH = [
    (MEMBER, T0 + HOUR, True, "ok"),
    (MEMBER, T0, True, "ok"),
    (MEMBER, T0 + 8 * HOUR, False, "outside_hours"),
    (MEMBER, T0 - 1, False, "outside_hours"),
    (STAFF, T0 + 3 * DAY, True, "ok"),
    (BOOKER, T0 + DAY + 1, True, "ok"),
    (BOOKER, T0 + 2 * HOUR, False, "no_booking"),
    (ONLINE_ONLY, T0 + HOUR, False, "stale_cache"),
    (UNKNOWN, T0 + HOUR, False, "unknown_badge"),
]


@pytest.mark.parametrize(("badge", "now", "granted", "reason"), FRESH)
def test_fresh_list_decisions(badge, now, granted, reason):
    decision = decide_offline(allow_list(), badge, now_ms=now, device_policy=StalePolicy.KEEP)
    assert (decision.granted, decision.reason) == (granted, DecisionReason(reason))


@pytest.mark.parametrize(
    ("badge", "granted", "reason"),
    [(MEMBER, False, "locked_out"), (UNKNOWN, False, "locked_out"), (STAFF, True, "ok")],
)
def test_lockout_lets_only_staff_through(badge, granted, reason):
    decision = decide_offline(
        allow_list(locked_out=True), badge, now_ms=T0 + HOUR, device_policy=StalePolicy.KEEP
    )
    assert (decision.granted, decision.reason) == (granted, DecisionReason(reason))


STALE_NOW = T0 + 7 * DAY + HOUR  # one week after MEMBER's interval began, list expired

STALE = [
    ("deny_all", STAFF, False, "stale_cache"),
    ("deny_all", MEMBER, False, "stale_cache"),
    ("staff_only", STAFF, True, "ok"),
    ("staff_only", MEMBER, False, "stale_cache"),
    ("staff_only", UNKNOWN, False, "stale_cache"),
    ("keep", STAFF, True, "ok"),
    ("keep", MEMBER, True, "ok"),  # same time of week as a valid interval
    ("keep", BOOKER, False, "no_booking"),
    ("keep", ONLINE_ONLY, False, "stale_cache"),
    ("keep", UNKNOWN, False, "unknown_badge"),
]


@pytest.mark.parametrize(("policy", "badge", "granted", "reason"), STALE)
def test_stale_list_follows_its_policy(policy, badge, granted, reason):
    decision = decide_offline(
        allow_list(stale_policy=policy), badge, now_ms=STALE_NOW, device_policy=StalePolicy.KEEP
    )
    assert (decision.granted, decision.reason) == (granted, DecisionReason(reason))


def test_keep_replays_the_week_so_outside_hours_stay_closed():
    at_night = T0 + 7 * DAY + 12 * HOUR
    decision = decide_offline(
        allow_list(stale_policy="keep"), MEMBER, now_ms=at_night, device_policy=StalePolicy.KEEP
    )
    assert (decision.granted, decision.reason) == (False, DecisionReason.OUTSIDE_HOURS)


def test_keep_still_applies_a_lockout():
    decision = decide_offline(
        allow_list(stale_policy="keep", locked_out=True),
        MEMBER,
        now_ms=STALE_NOW,
        device_policy=StalePolicy.KEEP,
    )
    assert decision.reason is DecisionReason.LOCKED_OUT


@pytest.mark.parametrize(
    ("list_policy", "device_policy", "badge", "granted"),
    [
        ("keep", "staff_only", MEMBER, False),
        ("keep", "deny_all", STAFF, False),
        ("staff_only", "keep", STAFF, True),
        ("staff_only", "keep", MEMBER, False),
    ],
)
def test_the_device_config_may_only_tighten_the_stale_policy(
    list_policy, device_policy, badge, granted
):
    decision = decide_offline(
        allow_list(stale_policy=list_policy),
        badge,
        now_ms=STALE_NOW,
        device_policy=StalePolicy(device_policy),
    )
    assert decision.granted is granted


@pytest.mark.parametrize(("badge", "granted"), [(STAFF, True), (MEMBER, False)])
def test_unsynchronised_clock_treats_the_list_as_stale(badge, granted):
    decision = decide_offline(
        allow_list(stale_policy="keep"), badge, now_ms=None, device_policy=StalePolicy.KEEP
    )
    assert decision.granted is granted
    if not granted:
        assert decision.reason is DecisionReason.STALE_CACHE


@pytest.mark.parametrize("policy", list(StalePolicy))
def test_no_list_at_all_denies_everyone(policy):
    decision = decide_offline(None, STAFF, now_ms=T0, device_policy=policy)
    assert (decision.granted, decision.reason) == (False, DecisionReason.STALE_CACHE)


def test_decision_carries_the_entry():
    decision = decide_offline(
        allow_list(), MEMBER, now_ms=T0 + HOUR, device_policy=StalePolicy.KEEP
    )
    assert decision.entry is not None
    assert decision.entry.member == 1


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("deny_all", "keep", "deny_all"),
        ("keep", "staff_only", "staff_only"),
        ("keep", "keep", "keep"),
        ("staff_only", "deny_all", "deny_all"),
    ],
)
def test_stricter(a, b, expected):
    assert stricter(StalePolicy(a), StalePolicy(b)) is StalePolicy(expected)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (T0 + 7 * DAY, T0),
        (T0 + 7 * DAY + 5, T0 + 5),
        (T0 + 14 * DAY - 1, T0 + 7 * DAY - 1),
        (T0 + 14 * DAY, T0),
        (T0 + 100 * WEEK_MS + 3, T0 + 3),
    ],
)
def test_replay_time_moves_back_whole_weeks_into_the_list(now, expected):
    assert replay_time(allow_list(), now) == expected


def test_unlock_schedule():
    schedule = allow_list(unlock=[[T0 + HOUR, T0 + 2 * HOUR]])
    assert not schedule.is_unlocked_at(T0)
    assert schedule.is_unlocked_at(T0 + HOUR)
    assert not schedule.is_unlocked_at(T0 + 2 * HOUR)


def test_an_expired_list_never_holds_a_door_unlocked():
    schedule = allow_list(unlock=[[T0, T0 + 7 * DAY]], exp=T0 + DAY)
    assert schedule.is_unlocked_at(T0 + DAY - 1)
    assert not schedule.is_unlocked_at(T0 + DAY)


@pytest.mark.parametrize(("applied", "newer"), [(None, True), (2, True), (3, False), (4, False)])
def test_only_a_higher_version_is_newer(applied, newer):
    assert allow_list().is_newer_than(applied) is newer


def test_lookup_cache_does_not_change_equality():
    used, fresh = allow_list(), allow_list()
    assert used.lookup(MEMBER) is not None
    assert used == fresh
    assert hash(used) == hash(fresh)
