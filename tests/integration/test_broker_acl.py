"""The broker's passwords and ACL confine each device to its own topics.

A refused publish is not reported to the publisher (MQTT 3.1.1 has no way to;
Mosquitto's MQTT 5 PUBACK code is not something a bridge acts on), so each
refusal is asserted by a subscriber that never receives the message. To keep
that fast and certain, the sender follows the forbidden message with an
allowed one on the same connection (a sentinel): the broker handles one
connection's packets in order, so once the sentinel has arrived the forbidden
message would have too.
"""

from __future__ import annotations

import pytest

from bridge_protocol import topics
from tests.support.mosquitto import GATEWAY, MONITOR
from tests.support.mqtt_client import ConnectRefused, Received

pytestmark = pytest.mark.mqtt

ALL = f"{topics.PREFIX}#"


def _payload(message: Received, text: bytes) -> bool:
    return message.payload == text


@pytest.fixture
def devices(broker, device_id):
    """Two device accounts: the one that tries (intruder) and the one it targets (victim)."""
    intruder = broker.add_device(device_id("door"))
    victim = broker.add_device(device_id("laser"))
    return intruder.username, victim.username


@pytest.fixture
def monitor(mqtt_client):
    client = mqtt_client(MONITOR)
    client.subscribe(ALL)
    return client


# Publishing ---------------------------------------------------------------------------


def forbidden_targets(intruder: str, victim: str) -> list[str]:
    return [
        topics.events(victim),
        topics.status(victim),
        topics.auth_request(victim),
        topics.cmd_ack(victim),
        topics.command(victim),
        topics.acl(victim),
        topics.event_ack(intruder),  # forging acks for its own events
        topics.auth_response(intruder),  # granting itself access
        topics.acl(intruder),
        topics.command(intruder),
        topics.SERVER_STATUS,
        topics.sim_scan(victim),
        topics.sim_scan(intruder),
    ]


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_a_device_cannot_publish_outside_its_own_up_topics(devices, monitor, mqtt_client, protocol):
    intruder, victim = devices
    client = mqtt_client(intruder, protocol=protocol)
    targets = forbidden_targets(intruder, victim)

    for topic in targets:
        client.publish(topic, b"forged", retain=False)  # the publisher is told nothing
    client.publish(topics.events(intruder), b"sentinel")

    monitor.assert_never(lambda m: m.payload == b"forged", after=lambda m: _payload(m, b"sentinel"))


def test_a_device_can_publish_under_its_own_up_topics(devices, monitor, mqtt_client):
    intruder, _victim = devices
    client = mqtt_client(intruder)
    own = [topics.events(intruder), topics.auth_request(intruder), topics.cmd_ack(intruder)]

    for topic in own:
        client.publish(topic, b"mine")

    for topic in own:
        assert monitor.wait_for(topic=topic).payload == b"mine"


def test_a_forged_retained_message_is_not_kept_either(devices, mqtt_client):
    intruder, victim = devices
    client = mqtt_client(intruder)
    client.publish(topics.status(victim), b"forged", retain=True)
    client.publish(topics.status(intruder), b"sentinel", retain=True)

    latecomer = mqtt_client(MONITOR)
    latecomer.subscribe(topics.status(victim))
    latecomer.subscribe(topics.status(intruder))

    latecomer.assert_never(
        lambda m: m.payload == b"forged", after=lambda m: _payload(m, b"sentinel")
    )


# Subscribing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        "{victim_down}",
        "incubator/v1/d/+/down/#",
        "incubator/v1/d/{victim}/#",
        "incubator/v1/#",
        "#",
    ],
)
def test_a_device_cannot_read_another_devices_down_topics(devices, mqtt_client, pattern):
    intruder, victim = devices
    spy = mqtt_client(intruder)
    spy.subscribe(
        pattern.format(victim=victim, victim_down=topics.device_down_filter(victim))
    )  # Mosquitto grants the subscription and filters every delivery
    spy.subscribe(topics.device_down_filter(intruder))
    target = mqtt_client(victim)
    target.subscribe(topics.device_down_filter(victim))
    gateway = mqtt_client(GATEWAY)

    gateway.publish(topics.command(victim), b"secret")
    gateway.publish(topics.event_ack(victim), b"secret")
    gateway.publish(topics.event_ack(intruder), b"sentinel")

    assert target.wait_for(topic=topics.command(victim)).payload == b"secret"
    spy.assert_never(lambda m: m.payload == b"secret", after=lambda m: _payload(m, b"sentinel"))


def test_a_device_cannot_read_another_devices_retained_status(devices, mqtt_client):
    intruder, victim = devices
    mqtt_client(victim).publish(topics.status(victim), b"victim status", retain=True)
    gateway = mqtt_client(GATEWAY)
    gateway.publish(topics.SERVER_STATUS, b'{"v":1,"state":"online"}', retain=True)
    spy = mqtt_client(intruder)

    spy.subscribe(topics.status(victim))
    spy.subscribe(topics.SERVER_STATUS)  # its retained copy is the sentinel

    spy.assert_never(topic=topics.status(victim), after=lambda m: m.topic == topics.SERVER_STATUS)


def test_a_device_reads_its_own_down_topics(devices, mqtt_client):
    intruder, _victim = devices
    device = mqtt_client(intruder)
    device.subscribe(topics.device_down_filter(intruder))
    gateway = mqtt_client(GATEWAY)

    gateway.publish(topics.command(intruder), b"for you")

    assert device.wait_for(topic=topics.command(intruder)).payload == b"for you"


def test_a_device_reads_the_retained_server_status(devices, mqtt_client):
    intruder, _victim = devices
    mqtt_client(GATEWAY).publish(topics.SERVER_STATUS, b'{"v":1,"state":"online"}', retain=True)
    device = mqtt_client(intruder)

    device.subscribe(topics.SERVER_STATUS)

    message = device.wait_for(topic=topics.SERVER_STATUS)
    assert message.retain
    assert message.json() == {"v": 1, "state": "online"}


def test_a_simulated_reader_hears_only_its_own_scans(devices, mqtt_client):
    intruder, victim = devices
    spy = mqtt_client(intruder)
    spy.subscribe(topics.sim_scan(victim))
    spy.subscribe(topics.sim_scan(intruder))
    gateway = mqtt_client(GATEWAY)

    gateway.publish(topics.sim_scan(victim), b"their badge")
    gateway.publish(topics.sim_scan(intruder), b"own badge")

    spy.assert_never(topic=topics.sim_scan(victim), after=lambda m: _payload(m, b"own badge"))


# Logging in --------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_a_wrong_password_cannot_connect(devices, mqtt_client, protocol):
    intruder, _victim = devices
    with pytest.raises(ConnectRefused):
        mqtt_client(intruder, password="not-the-password", protocol=protocol)


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_an_anonymous_client_cannot_connect(mqtt_client, protocol):
    with pytest.raises(ConnectRefused):
        mqtt_client(None, protocol=protocol)


def test_an_unknown_username_cannot_connect(mqtt_client):
    with pytest.raises(ConnectRefused):
        mqtt_client("door-nobody", password="anything")


def test_another_devices_password_does_not_open_a_device(broker, devices, mqtt_client):
    intruder, victim = devices
    with pytest.raises(ConnectRefused):
        mqtt_client(victim, password=broker.accounts[intruder].password)
