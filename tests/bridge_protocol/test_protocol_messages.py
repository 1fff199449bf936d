import json

import pytest
from pydantic import TypeAdapter

from bridge_protocol import limits
from bridge_protocol.errors import ProtocolError
from bridge_protocol.messages import (
    MESSAGES,
    AccessRequest,
    AccessResponse,
    AllowList,
    Command,
    CommandAck,
    DeviceStatus,
    EventAck,
    Lockout,
    PowerOff,
    Resync,
    ServerStatus,
    SimScan,
    Unlock,
    dump,
    parse,
)

T0 = 1_711_846_800_000
UUID = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"


def encode(message):
    return json.dumps(message).encode()


def access_request(**fields):
    message = {
        "v": 1,
        "req": UUID,
        "dev": "door-main",
        "badge": "04A22B1C",
        "ts": T0,
        "exp": T0 + 2000,
    }
    message.update(fields)
    return message


def command_ack(**fields):
    message = {"v": 1, "cid": UUID, "result": "executed", "reason": None, "ts": T0}
    message.update(fields)
    return message


def device_status(**fields):
    message = {
        "v": 1,
        "state": "ready",
        "boot": "0a1b2c3d",
        "ts": T0,
        "kind": "door",
        "outbox": 3,
        "dead": 0,
        "acl_ver": 7,
        "versions": {"bridge": "0.1.0", "python": "3.11.2"},
    }
    message.update(fields)
    return message


def event_ack(**fields):
    message = {"v": 1, "ids": [UUID], "rejected": [{"id": UUID, "reason": "invalid"}]}
    message.update(fields)
    return message


# Valid messages -----------------------------------------------------------------


VALID = [
    (AccessRequest, access_request()),
    (CommandAck, command_ack()),
    (CommandAck, command_ack(result="refused", reason="machine_busy")),
    (CommandAck, command_ack(result="refused", reason="some_future_code")),
    (DeviceStatus, device_status()),
    (DeviceStatus, {"v": 1, "state": "lost", "boot": "0a1b2c3d"}),
    (DeviceStatus, {"state": "ready", "boot": "0a1b2c3d"}),
    (EventAck, event_ack()),
    (EventAck, {"v": 1, "ids": [UUID]}),
    (EventAck, {"v": 1, "ids": [], "rejected": [{"id": UUID, "reason": "foreign_dev"}]}),
    (ServerStatus, {"v": 1, "state": "online"}),
    (ServerStatus, {"state": "offline"}),
    (SimScan, {"v": 1, "raw": "0472621572", "format": "dec10_le"}),
    (SimScan, {"v": 1, "raw": "04:A2:2B:1C"}),
]


@pytest.mark.parametrize(("model", "message"), VALID)
def test_valid_messages_parse_and_round_trip(model, message):
    parsed = parse(model, encode(message))
    assert parse(model, dump(parsed)) == parsed


def test_allow_list_parses(make_allow_list):
    allow_list = parse(AllowList, encode(make_allow_list()))
    assert allow_list.ver == 7
    assert allow_list.entries[0].valid == ((T0, T0 + 8 * 3_600_000),)
    assert json.loads(dump(allow_list)) == make_allow_list()


def test_allow_list_defaults_let_entries_be_short(make_allow_list):
    short_entry = {"badge": "A" * 43, "member": 1, "valid": []}
    allow_list = parse(AllowList, encode(make_allow_list(entries=[short_entry])))
    entry = allow_list.entries[0]
    assert (entry.staff, entry.offline_ok, entry.max_s) == (False, True, None)
    assert entry.outside_reason == "outside_hours"


@pytest.mark.parametrize(
    ("command", "model"),
    [
        ({"name": "unlock", "seconds": 5}, Unlock),
        ({"name": "power_off", "force": True}, PowerOff),
        ({"name": "power_off"}, PowerOff),
        ({"name": "lockout", "on": True}, Lockout),
        ({"name": "resync"}, Resync),
    ],
)
def test_each_command_parses_into_its_model(make_command, command, model):
    parsed = parse(Command, encode(make_command(command)))
    assert type(parsed.command) is model


def test_access_response_parses(make_auth_response):
    response = parse(AccessResponse, encode(make_auth_response()))
    assert response.granted
    assert response.req == make_auth_response()["req"]


def test_python_callers_may_pass_lists_and_enum_text(make_entry):
    allow_list = AllowList(
        dev="door-main",
        iat=T0,
        exp=T0 + 1000,
        ver=1,
        stale_policy="keep",
        entries=[make_entry(valid=[[T0, T0 + 10]])],
    )
    assert allow_list.entries[0].valid == ((T0, T0 + 10),)
    ack = EventAck(ids=[UUID])
    assert ack.ids == (UUID,)


def test_messages_are_immutable():
    ack = EventAck(ids=[UUID])
    with pytest.raises(ValueError, match="frozen"):
        ack.ids = ()


# Invalid messages -----------------------------------------------------------------


INVALID = [
    ("request exp before ts", AccessRequest, access_request(exp=T0 - 1)),
    ("request exp equal ts", AccessRequest, access_request(exp=T0)),
    ("request living 11 s", AccessRequest, access_request(exp=T0 + 11_000)),
    ("request raw badge", AccessRequest, access_request(badge="04:a2:2b:1c")),
    ("request badge too long", AccessRequest, access_request(badge="AB" * 17)),
    ("request extra field", AccessRequest, access_request(pin="1234")),
    ("request dev with slash", AccessRequest, access_request(dev="door/main")),
    ("request req as int", AccessRequest, access_request(req=5)),
    ("ack refused without reason", CommandAck, command_ack(result="refused")),
    ("ack executed with reason", CommandAck, command_ack(reason="expired")),
    ("ack unknown result", CommandAck, command_ack(result="maybe")),
    ("ack reason with spaces", CommandAck, command_ack(result="refused", reason="no way")),
    ("status unknown state", DeviceStatus, device_status(state="sleeping")),
    ("status without boot", DeviceStatus, {"v": 1, "state": "ready"}),
    ("status negative outbox", DeviceStatus, device_status(outbox=-1)),
    ("status huge outbox", DeviceStatus, device_status(outbox=2**64)),
    ("status float outbox", DeviceStatus, device_status(outbox=1.5)),
    (
        "status nine versions",
        DeviceStatus,
        device_status(versions={f"k{i}": "1" for i in range(9)}),
    ),
    ("status version with space", DeviceStatus, device_status(versions={"bridge": "0.1 beta"})),
    ("status long version", DeviceStatus, device_status(versions={"bridge": "1" * 41})),
    ("status bad version key", DeviceStatus, device_status(versions={"Bridge!": "1"})),
    ("status versions as list", DeviceStatus, device_status(versions=["0.1.0"])),
    ("event ack id not uuid", EventAck, event_ack(ids=["1"])),
    ("event ack ids as string", EventAck, event_ack(ids=UUID)),
    ("event ack 501 ids", EventAck, event_ack(ids=[UUID] * 501)),
    ("event ack 101 rejected", EventAck, event_ack(rejected=[{"id": UUID, "reason": "x"}] * 101)),
    ("event ack rejected w/o reason", EventAck, event_ack(rejected=[{"id": UUID}])),
    ("event ack without ids", EventAck, {"v": 1}),
    ("server status unknown state", ServerStatus, {"v": 1, "state": "busy"}),
    ("server status boolean", ServerStatus, {"v": 1, "state": True}),
    ("sim scan empty", SimScan, {"v": 1, "raw": ""}),
    ("sim scan long", SimScan, {"v": 1, "raw": "1" * 65}),
    ("sim scan unknown format", SimScan, {"v": 1, "raw": "1", "format": "morse"}),
]


@pytest.mark.parametrize(
    ("model", "message"), [case[1:] for case in INVALID], ids=[case[0] for case in INVALID]
)
def test_invalid_messages_are_refused(model, message):
    with pytest.raises(ProtocolError) as caught:
        parse(model, encode(message))
    assert caught.value.reason == "invalid"


INVALID_BODIES = [
    ("acl ver zero", "make_allow_list", {"ver": 0}),
    ("acl wrong type", "make_allow_list", {"type": "cmd"}),
    ("acl exp before iat", "make_allow_list", {"exp": T0 - 1}),
    ("acl valid 32 days", "make_allow_list", {"exp": T0 + 32 * 86_400_000}),
    ("acl unknown stale policy", "make_allow_list", {"stale_policy": "open_all"}),
    ("acl entries not a list", "make_allow_list", {"entries": {}}),
    ("acl unlock overlapping", "make_allow_list", {"unlock": [[T0, T0 + 10], [T0 + 5, T0 + 20]]}),
    ("acl unlock unsorted", "make_allow_list", {"unlock": [[T0 + 30, T0 + 40], [T0, T0 + 10]]}),
    ("acl unlock empty interval", "make_allow_list", {"unlock": [[T0, T0]]}),
    ("acl unlock triple", "make_allow_list", {"unlock": [[T0, T0 + 1, T0 + 2]]}),
    ("acl unlock as object", "make_allow_list", {"unlock": [{"start": T0, "end": T0 + 1}]}),
    ("cmd wrong type", "make_command", {"type": "acl"}),
    ("cmd lives 6 minutes", "make_command", {"exp": T0 + 6 * 60_000}),
    ("cmd short nonce", "make_command", {"nonce": "abc"}),
    ("cmd nonce with slash", "make_command", {"nonce": "a/" * 10}),
    ("cmd unknown name", "make_command", {"command": {"name": "reboot"}}),
    ("cmd unlock 0 s", "make_command", {"command": {"name": "unlock", "seconds": 0}}),
    ("cmd unlock 2 h", "make_command", {"command": {"name": "unlock", "seconds": 7200}}),
    ("cmd unlock text s", "make_command", {"command": {"name": "unlock", "seconds": "5"}}),
    ("cmd lockout without on", "make_command", {"command": {"name": "lockout"}}),
    ("cmd resync extra", "make_command", {"command": {"name": "resync", "now": True}}),
    ("cmd without command", "make_command", {"command": None}),
    ("auth granted denied reason", "make_auth_response", {"reason": "no_booking"}),
    ("auth denied ok", "make_auth_response", {"granted": False}),
    ("auth wrong type", "make_auth_response", {"type": "acl"}),
    ("auth without req", "make_auth_response", {"req": None}),
    ("auth dev missing", "make_auth_response", {"dev": None}),
]

BODY_MODELS = {
    "make_allow_list": AllowList,
    "make_command": Command,
    "make_auth_response": AccessResponse,
}


@pytest.mark.parametrize(
    ("builder", "change"), [case[1:] for case in INVALID_BODIES], ids=[c[0] for c in INVALID_BODIES]
)
def test_invalid_signed_bodies_are_refused(request, builder, change):
    body = request.getfixturevalue(builder)()
    body.update(change)
    if change.get("command", 0) is None:
        del body["command"]
    with pytest.raises(ProtocolError) as caught:
        parse(BODY_MODELS[builder], encode(body))
    assert caught.value.reason == "invalid"


@pytest.mark.parametrize(
    "change",
    [
        {"badge": "A" * 42},
        {"badge": "A" * 43 + "="},
        {"badge": "+" * 43},
        {"member": 0},
        {"member": 2**53},
        {"valid": [[T0 + 10, T0]]},
        {"valid": [[T0, T0 + 10], [T0 + 5, T0 + 20]]},
        {"valid": [[-1, T0]]},
        {"valid": [[T0, T0 + 1]] * 2},
        {"valid": [[T0 + i * 10, T0 + i * 10 + 1] for i in range(201)]},
        {"max_s": -1},
        {"staff": "yes"},
        {"offline_ok": None},
        {"outside_reason": "locked_out"},
        {"comment": "vip"},
    ],
)
def test_invalid_allow_list_entries_are_refused(make_allow_list, make_entry, change):
    body = make_allow_list(entries=[make_entry(**change)])
    with pytest.raises(ProtocolError) as caught:
        parse(AllowList, encode(body))
    assert caught.value.reason == "invalid"


def test_allow_list_refuses_the_same_badge_twice(make_allow_list, make_entry):
    body = make_allow_list(entries=[make_entry(member=1), make_entry(member=2)])
    with pytest.raises(ProtocolError, match="more than one entry"):
        parse(AllowList, encode(body))


def test_allow_list_accepts_touching_intervals(make_allow_list, make_entry):
    entry = make_entry(valid=[[T0, T0 + 10], [T0 + 10, T0 + 20]])
    assert (
        parse(AllowList, encode(make_allow_list(entries=[entry]))).entries[0].is_valid_at(T0 + 10)
    )


def test_allow_list_of_many_entries_fits_the_size_limit(make_allow_list, make_entry):
    """A full list, each entry with two weeks of working days, fits even after JSON escaping."""
    week = [[T0 + d * 86_400_000, T0 + d * 86_400_000 + 43_200_000] for d in range(14)]
    entries = [
        make_entry(badge=f"{i:043d}", member=i + 1, max_s=14_400, valid=week)
        for i in range(limits.MAX_ACL_ENTRIES // 2)
    ]
    body = json.dumps(make_allow_list(entries=entries), separators=(",", ":"))
    assert len(json.dumps(body)) < limits.MAX_ACL_BYTES


def test_allow_list_of_more_than_the_entry_limit_is_refused(make_allow_list, make_entry):
    entries = [make_entry(badge=f"{i:043d}", valid=[]) for i in range(limits.MAX_ACL_ENTRIES + 1)]
    with pytest.raises(ProtocolError) as caught:
        parse(AllowList, encode(make_allow_list(entries=entries)), max_bytes=10**7)
    assert caught.value.reason == "invalid"


# Decoding ------------------------------------------------------------------------


@pytest.mark.parametrize("spec", MESSAGES, ids=[spec.name for spec in MESSAGES])
def test_every_message_kind_has_a_size_limit(spec):
    assert spec.max_bytes > 0
    if not isinstance(spec.schema, TypeAdapter):
        assert spec.max_bytes == spec.schema.MAX_BYTES


@pytest.mark.parametrize(
    "model", [AccessRequest, CommandAck, DeviceStatus, EventAck, ServerStatus, SimScan]
)
def test_oversize_payloads_are_refused_before_decoding(model):
    payload = b"{" + b" " * model.MAX_BYTES + b"}"
    with pytest.raises(ProtocolError) as caught:
        parse(model, payload)
    assert caught.value.reason == "too_large"


def test_oversize_text_payload_is_counted_in_utf8_bytes():
    text = json.dumps({"v": 1, "state": "online"})[:-1] + ', "x": "' + "\u00e9" * 120 + '"}'
    assert len(text) < ServerStatus.MAX_BYTES < len(text.encode())
    with pytest.raises(ProtocolError) as caught:
        parse(ServerStatus, text)
    assert caught.value.reason == "too_large"


@pytest.mark.parametrize(
    "payload", [b'{"v":1,"state":"online"}', bytearray(b'{"state":"online"}'), '{"state":"online"}']
)
def test_parse_accepts_bytes_bytearray_memoryview_and_text(payload):
    assert parse(ServerStatus, payload).state == "online"
    if not isinstance(payload, str):
        assert parse(ServerStatus, memoryview(payload)).state == "online"


@pytest.mark.parametrize("payload", [None, 5, {"state": "online"}, ["x"]])
def test_parse_refuses_payloads_that_are_not_bytes_or_text(payload):
    with pytest.raises(ProtocolError) as caught:
        parse(ServerStatus, payload)
    assert caught.value.reason == "invalid"


def test_text_with_a_lone_surrogate_is_bad_json():
    with pytest.raises(ProtocolError) as caught:
        parse(ServerStatus, '{"state":"\ud800"}')
    assert caught.value.reason == "bad_json"


@pytest.mark.parametrize(("model", "message"), VALID)
def test_unsupported_version_wins_over_other_errors(model, message):
    with pytest.raises(ProtocolError) as caught:
        parse(model, encode({**message, "v": 2, "new_field": [1, 2, 3]}))
    assert caught.value.reason == "unsupported_version"


def test_error_messages_name_the_field_but_not_the_value():
    with pytest.raises(ProtocolError) as caught:
        parse(AccessRequest, encode(access_request(badge="secret-badge-value")))
    assert "badge" in str(caught.value)
    assert "secret-badge-value" not in str(caught.value)


def test_parse_needs_a_limit_for_a_type_adapter():
    with pytest.raises(ValueError, match="max_bytes"):
        parse(TypeAdapter(int), b"1")
