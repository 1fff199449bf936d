import pytest

from bridge_protocol import topics
from bridge_protocol.topics import DeviceTopic, Direction, TopicKind

TOPICS = [
    (topics.status, "incubator/v1/d/door-main/up/status", Direction.UP, TopicKind.STATUS),
    (topics.events, "incubator/v1/d/door-main/up/evt", Direction.UP, TopicKind.EVENT),
    (
        topics.auth_request,
        "incubator/v1/d/door-main/up/req/auth",
        Direction.UP,
        TopicKind.AUTH_REQUEST,
    ),
    (topics.cmd_ack, "incubator/v1/d/door-main/up/cmdack", Direction.UP, TopicKind.CMD_ACK),
    (topics.acl, "incubator/v1/d/door-main/down/acl", Direction.DOWN, TopicKind.ACL),
    (
        topics.auth_response,
        "incubator/v1/d/door-main/down/res/auth",
        Direction.DOWN,
        TopicKind.AUTH_RESPONSE,
    ),
    (topics.event_ack, "incubator/v1/d/door-main/down/ack", Direction.DOWN, TopicKind.EVENT_ACK),
    (topics.command, "incubator/v1/d/door-main/down/cmd", Direction.DOWN, TopicKind.COMMAND),
]


@pytest.mark.parametrize(("make", "expected", "direction", "kind"), TOPICS)
def test_device_topics_follow_the_table(make, expected, direction, kind):
    assert make("door-main") == expected


@pytest.mark.parametrize(("make", "expected", "direction", "kind"), TOPICS)
def test_parse_device_topic_inverts_every_topic_function(make, expected, direction, kind):
    assert topics.parse_device_topic(make("door-main")) == DeviceTopic("door-main", direction, kind)


def test_every_topic_kind_has_a_function():
    assert {kind for *_, kind in TOPICS} == set(TopicKind)


def test_server_status_and_sim_scan():
    assert topics.SERVER_STATUS == "incubator/v1/server/status"
    assert topics.sim_scan("laser-1") == "incubator/v1/sim/laser-1/scan"
    assert topics.parse_sim_scan_topic("incubator/v1/sim/laser-1/scan") == "laser-1"


def test_subscription_filters():
    assert topics.device_up_filter() == "incubator/v1/d/+/up/#"
    assert topics.device_down_filter("door-main") == "incubator/v1/d/door-main/down/#"
    assert topics.all_down_filter() == "incubator/v1/d/+/down/#"
    assert topics.sim_scan_filter() == "incubator/v1/sim/+/scan"


def test_broker_acl_patterns_confine_a_device_to_its_username():
    assert topics.device_publish_acl() == "incubator/v1/d/%u/up/#"
    assert topics.device_subscribe_acl() == "incubator/v1/d/%u/down/#"


@pytest.mark.parametrize(
    ("kind", "retained"),
    [(TopicKind.STATUS, True), (TopicKind.ACL, True), (TopicKind.COMMAND, False)]
    + [(kind, False) for kind in (TopicKind.EVENT, TopicKind.EVENT_ACK, TopicKind.AUTH_RESPONSE)],
)
def test_only_status_and_acl_are_retained(kind, retained):
    assert topics.is_retained(kind) is retained


@pytest.mark.parametrize(
    "dev", ["ab", "door-main", "laser-1", "3d-printer-2", "a" * 32, "0-", "a--b"]
)
def test_valid_device_ids(dev):
    assert topics.is_valid_device_id(dev)
    assert topics.status(dev).startswith("incubator/v1/d/")


@pytest.mark.parametrize(
    "dev",
    [
        "",
        "a",
        "-door",
        "Door",
        "door_main",
        "door main",
        "door/main",
        "door+",
        "door#",
        "+",
        "#",
        "a" * 33,
        "door\n",
        "door\x00",
        "d\u00f6or",
        None,
        42,
    ],
)
def test_invalid_device_ids_never_reach_a_topic(dev):
    assert not topics.is_valid_device_id(dev)
    with pytest.raises(ValueError, match="invalid device id"):
        topics.status(dev)
    with pytest.raises(ValueError, match="invalid device id"):
        topics.device_down_filter(dev)
    with pytest.raises(ValueError, match="invalid device id"):
        topics.sim_scan(dev)


@pytest.mark.parametrize(
    "topic",
    [
        "",
        "incubator/v1/server/status",
        "incubator/v1/d/door-main",
        "incubator/v1/d/door-main/",
        "incubator/v1/d/door-main/up",
        "incubator/v1/d/door-main/up/",
        "incubator/v1/d/door-main/up/acl",  # acl goes down, never up
        "incubator/v1/d/door-main/down/evt",
        "incubator/v1/d/door-main/up/evt/extra",
        "incubator/v1/d/door-main/up/req",
        "incubator/v1/d/Door/up/evt",
        "incubator/v1/d/+/up/evt",
        "incubator/v1/d//up/evt",
        "incubator/v2/d/door-main/up/evt",
        "/incubator/v1/d/door-main/up/evt",
        "incubator/v1/d/door-main/up/evt\x00",
        "incubator/v1/sim/door-main/scan",
        None,
        b"incubator/v1/d/door-main/up/evt",
    ],
)
def test_parse_device_topic_returns_none_for_anything_else(topic):
    assert topics.parse_device_topic(topic) is None


@pytest.mark.parametrize(
    "topic",
    [
        "incubator/v1/sim/door-main",
        "incubator/v1/sim/door-main/scan/x",
        "incubator/v1/sim/+/scan",
        "incubator/v1/d/door-main/up/evt",
        None,
    ],
)
def test_parse_sim_scan_topic_returns_none_for_anything_else(topic):
    assert topics.parse_sim_scan_topic(topic) is None
