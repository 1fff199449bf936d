"""The gateway's broker connection on MQTT 5 and 3.1.1: status, Will, persistent session."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from app.gateway.link import GatewayLink
from app.gateway.metrics import GatewayMetrics
from app.gateway.settings import GatewaySettings
from bridge_protocol import topics
from tests.support import mosquitto
from tests.support.gateway_rig import GATEWAY_TEST_CONFIG, gateway_url
from tests.support.mosquitto import GATEWAY, MONITOR, Broker
from tests.support.mqtt_client import MqttClient

pytestmark = pytest.mark.mqtt


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    instance = Broker(tmp_path_factory.mktemp("mosquitto"), binary=mosquitto.require_mosquitto())
    instance.add_server(GATEWAY)
    instance.add_server(MONITOR)
    instance.add_device("door-l1")
    instance.start()
    yield instance
    instance.close()


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str | None, bytes]] = []
        self.arrived = threading.Event()

    def __call__(self, topic: str | None, payload: bytes, retained: bool) -> None:
        self.messages.append((topic, payload))
        self.arrived.set()


def make_link(broker: Broker, protocol: str, inbox: Inbox) -> GatewayLink:
    config = {
        "MQTT_URL": gateway_url(broker),
        "SIGNING_KEY_FILE": "unused",
        "BADGE_KEY_FILE": "unused",
        "GATEWAY_PROTOCOL": protocol,
        **GATEWAY_TEST_CONFIG,
    }
    return GatewayLink(
        GatewaySettings.from_config(config),
        on_message=inbox,
        on_connected=lambda: None,
        metrics=GatewayMetrics(),
    )


def client(broker: Broker, name: str) -> MqttClient:
    return MqttClient(broker.host, broker.port, name, broker.accounts[name].password).connect()


def state(message) -> str:
    return str(message.json()["state"])


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_the_link_keeps_its_session_and_announces_itself(broker, protocol):
    inbox = Inbox()
    link = make_link(broker, protocol, inbox)
    monitor = client(broker, MONITOR)
    device = client(broker, "door-l1")
    try:
        monitor.subscribe(topics.SERVER_STATUS)
        link.start()
        assert link.wait_connected(10)
        assert link.protocol == protocol
        monitor.wait_for(lambda m: state(m) == "online" and m.retain is False)
        monitor.clear()
        link.stop()
        monitor.wait_for(lambda m: state(m) == "offline")

        device.publish(topics.events("door-l1"), b"while the gateway was away")
        link = make_link(broker, protocol, inbox)
        link.start()

        assert inbox.arrived.wait(10)
        assert inbox.messages == [(topics.events("door-l1"), b"while the gateway was away")]
    finally:
        link.stop()
        monitor.close()
        device.close()
