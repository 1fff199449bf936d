import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter, ValidationError

from bridge_protocol import reasons, version, wire


def test_decision_reasons_are_exactly_the_architecture_list():
    assert [r.value for r in reasons.DecisionReason] == [
        "ok",
        "unknown_badge",
        "badge_inactive",
        "member_inactive",
        "tenant_inactive",
        "contract_ended",
        "resource_unavailable",
        "locked_out",
        "not_qualified",
        "outside_hours",
        "no_booking",
        "stale_cache",
        "rate_limited",
    ]


def test_session_end_reasons_are_exactly_the_architecture_list():
    assert [r.value for r in reasons.SessionEndReason] == [
        "badge_out",
        "idle_timeout",
        "max_duration",
        "takeover",
        "remote_power_off",
        "locked_out",
        "reboot_recovered",
        "orphaned",
    ]


@pytest.mark.parametrize(
    "enum", [reasons.CommandRefusal, reasons.AclRejection, reasons.EventRejection]
)
def test_free_form_refusal_codes_fit_the_code_pattern(enum):
    code = TypeAdapter(wire.Code)
    for member in enum:
        assert code.validate_python(member.value) == member.value


def test_reasons_compare_equal_to_their_wire_text():
    assert reasons.DecisionReason.OK == "ok"
    assert f"{reasons.SessionEndReason.BADGE_OUT}" == "badge_out"


@pytest.mark.parametrize(
    ("value", "supported"), [(1, True), (2, False), (0, False), (True, False), ("1", False)]
)
def test_only_version_1_is_supported(value, supported):
    assert version.is_supported(value) is supported


def test_now_ms_is_the_wall_clock_in_milliseconds():
    before = time.time()
    now = wire.now_ms()
    after = time.time()
    assert int(before * 1000) - 1 <= now <= int(after * 1000) + 1


@pytest.mark.parametrize(
    ("moment", "ms"),
    [
        (datetime(1970, 1, 1, tzinfo=UTC), 0),
        (datetime(2024, 3, 31, 1, 0, tzinfo=UTC), 1_711_846_800_000),
        (datetime(2024, 3, 31, 3, 0, tzinfo=timezone(timedelta(hours=2))), 1_711_846_800_000),
        (datetime(2024, 3, 31, 1, 0, 0, 999_999, tzinfo=UTC), 1_711_846_800_999),
        (datetime(9999, 12, 31, 23, 59, 59, 999_000, tzinfo=UTC), wire.MAX_EPOCH_MS),
    ],
)
def test_to_ms(moment, ms):
    assert wire.to_ms(moment) == ms


def test_to_ms_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="timezone-aware"):
        wire.to_ms(datetime(2024, 1, 1))


@pytest.mark.parametrize("ms", [0, 1, 1_711_846_800_123, wire.MAX_EPOCH_MS])
def test_from_ms_round_trips_and_is_utc(ms):
    moment = wire.from_ms(ms)
    assert moment.tzinfo is UTC
    assert wire.to_ms(moment) == ms


@pytest.mark.parametrize("ms", [-1, wire.MAX_EPOCH_MS + 1, 10**30])
def test_from_ms_refuses_out_of_range(ms):
    with pytest.raises(ValueError, match="outside"):
        wire.from_ms(ms)


@pytest.mark.parametrize("ms", [1.5, "1000", True, None])
def test_from_ms_refuses_non_integers(ms):
    with pytest.raises(TypeError):
        wire.from_ms(ms)


def test_new_ids_are_valid():
    assert wire.is_uuid(wire.new_uuid())
    assert wire.is_boot_id(wire.new_boot_id())
    assert wire.new_boot_id() != wire.new_boot_id()


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("0b7e3f1a-5c2d-4e8f-9a1b-2c3d4e5f6a7b", True),
        ("0B7E3F1A-5C2D-4E8F-9A1B-2C3D4E5F6A7B", False),
        ("0b7e3f1a5c2d4e8f9a1b2c3d4e5f6a7b", False),
        ("{0b7e3f1a-5c2d-4e8f-9a1b-2c3d4e5f6a7b}", False),
        ("0b7e3f1a-5c2d-4e8f-9a1b-2c3d4e5f6a7b\n", False),
        ("", False),
        (None, False),
    ],
)
def test_uuid_validator(value, valid):
    assert wire.is_uuid(value) is valid
    adapter = TypeAdapter(wire.Uuid)
    if valid:
        assert adapter.validate_json(f'"{value}"') == value
    elif isinstance(value, str):
        with pytest.raises(ValidationError):
            adapter.validate_python(value)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("0a1b2c3d", True),
        ("0A1B2C3D", False),
        ("0a1b2c3", False),
        ("0a1b2c3d4", False),
        ("0a1b2c3g", False),
        ("0a1b2c3d\n", False),
    ],
)
def test_boot_id_validator(value, valid):
    assert wire.is_boot_id(value) is valid
    adapter = TypeAdapter(wire.BootId)
    if valid:
        assert adapter.validate_python(value) == value
    else:
        with pytest.raises(ValidationError):
            adapter.validate_python(value)


@pytest.mark.parametrize("text", ["-1", "253402300800000", "1e3", "1.0", "true", '"5"'])
def test_epoch_ms_type_refuses_out_of_range_and_non_integers(text):
    with pytest.raises(ValidationError):
        TypeAdapter(wire.EpochMs, config={"strict": True}).validate_json(text)
