import json

import pytest

from bridge_protocol.errors import ForeignDevice, ProtocolError
from bridge_protocol.events import (
    EVENT_MODELS,
    AccessDecision,
    AccessDecisionEvent,
    DecisionMode,
    EventType,
    SessionEndEvent,
    parse_event,
    peek_event_id,
)
from bridge_protocol.limits import MAX_EVENT_BYTES
from bridge_protocol.messages import dump
from bridge_protocol.reasons import DecisionReason, SessionEndReason

ALL_TYPES = [t.value for t in EventType]


def encode(message):
    return json.dumps(message).encode()


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_every_event_type_parses_into_its_model(make_event, event_type):
    event = parse_event(encode(make_event(event_type)))
    assert type(event) is EVENT_MODELS[EventType(event_type)]
    assert event.type == event_type
    assert event.dev == "door-main"


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_every_event_round_trips_through_dump(make_event, event_type):
    event = parse_event(encode(make_event(event_type)))
    assert parse_event(dump(event)) == event
    assert json.loads(dump(event)) == make_event(event_type)


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_every_event_fits_the_size_limit(make_event, event_type):
    assert len(encode(make_event(event_type))) < MAX_EVENT_BYTES // 2


def test_a_python_built_event_accepts_enum_values_as_text():
    event = AccessDecisionEvent(
        id="0b7e3f1a-5c2d-4e8f-9a1b-2c3d4e5f6a7b",
        dev="door-main",
        boot="0a1b2c3d",
        seq=1,
        ts=0,
        mono=0,
        clk="unsync",
        data=AccessDecision(
            badge="04A22B1C", granted=False, reason="unknown_badge", mode="offline"
        ),
    )
    assert event.data.reason is DecisionReason.UNKNOWN_BADGE
    assert event.data.mode is DecisionMode.OFFLINE


def test_session_end_reason_is_an_enum(make_event):
    event = parse_event(encode(make_event("session.end")))
    assert isinstance(event, SessionEndEvent)
    assert event.data.reason is SessionEndReason.BADGE_OUT


def test_missing_version_means_version_1(make_event):
    event = make_event()
    del event["v"]
    assert parse_event(encode(event)).v == 1


def test_event_from_another_device_is_foreign(make_event):
    with pytest.raises(ForeignDevice) as caught:
        parse_event(encode(make_event()), expect_dev="laser-1")
    assert caught.value.reason == "foreign_dev"


def test_event_from_the_topic_device_is_accepted(make_event):
    assert parse_event(encode(make_event()), expect_dev="door-main").dev == "door-main"


def with_data(make_event, event_type, **data):
    event = make_event(event_type)
    event["data"].update(data)
    return event


INVALID_EVENTS = [
    ("unknown type", lambda m: m(type="door.exploded")),
    ("no type", lambda m: {k: v for k, v in m().items() if k != "type"}),
    ("no data", lambda m: {k: v for k, v in m().items() if k != "data"}),
    ("data not an object", lambda m: m(data=[])),
    ("extra envelope field", lambda m: m(extra=1)),
    ("extra data field", lambda m: with_data(m, "door.closed", why="wind")),
    ("upper-case id", lambda m: m(id="0B7E3F1A-5C2D-4E8F-9A1B-2C3D4E5F6A7B")),
    ("id not a uuid", lambda m: m(id="42")),
    ("bad boot", lambda m: m(boot="0A1B2C3D")),
    ("bad dev", lambda m: m(dev="Door Main")),
    ("negative seq", lambda m: m(seq=-1)),
    ("seq as text", lambda m: m(seq="17")),
    ("seq as float", lambda m: m(seq=17.0)),
    ("seq as bool", lambda m: m(seq=True)),
    ("seq beyond 2**53", lambda m: m(seq=2**53)),
    ("huge ts", lambda m: m(ts=10**30)),
    ("ts in seconds as float", lambda m: m(ts=1711846800.5)),
    ("negative mono", lambda m: m(mono=-5)),
    ("bad clk", lambda m: m(clk="ntp")),
    ("null clk", lambda m: m(clk=None)),
    (
        "granted with a denial reason",
        lambda m: with_data(m, "access.decision", granted=True, reason="locked_out"),
    ),
    ("denied with ok", lambda m: with_data(m, "access.decision", granted=False)),
    ("granted as text", lambda m: with_data(m, "access.decision", granted="true")),
    ("granted as 1", lambda m: with_data(m, "access.decision", granted=1)),
    ("unknown reason", lambda m: with_data(m, "access.decision", reason="because")),
    ("reason in upper case", lambda m: with_data(m, "access.decision", reason="OK")),
    ("unknown mode", lambda m: with_data(m, "access.decision", mode="psychic")),
    ("lower-case badge", lambda m: with_data(m, "access.decision", badge="04a22b1c")),
    ("badge with separators", lambda m: with_data(m, "access.decision", badge="04:A2:2B:1C")),
    ("member zero", lambda m: with_data(m, "access.decision", member=0)),
    ("member as text", lambda m: with_data(m, "access.decision", member="42")),
    ("unknown end reason", lambda m: with_data(m, "session.end", reason="bored")),
    ("decision reason as end reason", lambda m: with_data(m, "session.end", reason="ok")),
    ("negative busy", lambda m: with_data(m, "session.tick", busy_s=-1)),
    ("door opened by magic", lambda m: with_data(m, "door.opened", by="magic")),
    ("long reader detail", lambda m: with_data(m, "reader.error", detail="x" * 201)),
    ("code with spaces", lambda m: with_data(m, "reader.error", code="bad format")),
    ("code too long", lambda m: with_data(m, "reader.error", code="x" * 49)),
    ("refused without reason", lambda m: with_data(m, "cmd.executed", result="refused")),
    ("executed with reason", lambda m: with_data(m, "cmd.executed", reason="expired")),
    ("unknown command", lambda m: with_data(m, "cmd.executed", command="self_destruct")),
    ("acl ver negative", lambda m: with_data(m, "acl.applied", ver=-1)),
]


@pytest.mark.parametrize(
    "mutate", [case[1] for case in INVALID_EVENTS], ids=[case[0] for case in INVALID_EVENTS]
)
def test_invalid_events_are_refused_as_invalid(make_event, mutate):
    with pytest.raises(ProtocolError) as caught:
        parse_event(encode(mutate(make_event)))
    assert caught.value.reason == "invalid"


@pytest.mark.parametrize("version", [0, 2, 99, -1, 10**40, "1", True, None, 1.0])
def test_other_versions_are_unsupported(make_event, version):
    with pytest.raises(ProtocolError) as caught:
        parse_event(encode(make_event(v=version)))
    assert caught.value.reason == "unsupported_version"


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"{",
        b"null{}",
        b"\xff\xfe{}",
        b'{"v":1,}',
        b"{'v': 1}",
        b'{"v":1,"id":"\\ud800"}',
    ],
)
def test_broken_json_is_bad_json(payload):
    with pytest.raises(ProtocolError) as caught:
        parse_event(payload)
    assert caught.value.reason == "bad_json"


@pytest.mark.parametrize("payload", [b"[]", b"1", b'"evt"', b"null", b"true", b"{}", b"NaN"])
def test_json_that_is_not_an_event_object_is_invalid(payload):
    with pytest.raises(ProtocolError) as caught:
        parse_event(payload)
    assert caught.value.reason == "invalid"


def test_oversize_event_is_refused_before_decoding(make_event):
    event = make_event("reader.error")
    payload = encode(event)
    padded = payload[:-1] + b" " * (MAX_EVENT_BYTES - len(payload) + 1) + b"}"
    assert len(padded) == MAX_EVENT_BYTES + 1
    with pytest.raises(ProtocolError) as caught:
        parse_event(padded)
    assert caught.value.reason == "too_large"


def test_event_at_the_size_limit_is_accepted(make_event):
    payload = encode(make_event())
    padded = payload[:-1] + b" " * (MAX_EVENT_BYTES - len(payload)) + b"}"
    assert len(padded) == MAX_EVENT_BYTES
    assert parse_event(padded).type == "door.forced"


def test_duplicate_keys_take_the_last_value(make_event):
    payload = encode(make_event())[:-1] + b',"seq":18}'
    assert parse_event(payload).seq == 18


def test_unicode_in_free_text_survives(make_event):
    event = make_event("reader.error")
    event["data"]["detail"] = "lezer losgekoppeld \u2013 caf\u00e9 \U0001f6aa"
    assert parse_event(encode(event)).data.detail == event["data"]["detail"]
    raw = json.dumps(event, ensure_ascii=False).encode()
    assert parse_event(raw).data.detail == event["data"]["detail"]


def test_deeply_nested_json_is_refused_without_crashing(make_event):
    event = make_event()
    payload = encode(event)[:-1] + b',"x":' + b"[" * 1000 + b"]" * 1000 + b"}"
    with pytest.raises(ProtocolError):
        parse_event(payload)


def test_peek_event_id_reads_the_id_of_an_invalid_event(make_event):
    event = make_event(seq="seventeen", data={"nonsense": True})
    assert peek_event_id(encode(event)) == event["id"]


@pytest.mark.parametrize(
    "payload",
    [b"", b"{", b"[]", b'{"id": 5}', b'{"id": "not-a-uuid"}', b'{"id":"' + b"a" * 5000 + b'"}'],
)
def test_peek_event_id_gives_none_when_there_is_no_usable_id(payload):
    assert peek_event_id(payload) is None


def test_peek_event_id_accepts_a_memoryview(make_event):
    assert peek_event_id(memoryview(encode(make_event()))) == make_event()["id"]
