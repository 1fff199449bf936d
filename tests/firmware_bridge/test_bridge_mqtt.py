"""The paho link: MQTT 5 with a fallback to 3.1.1, the Last Will, Nagle off, guarded callbacks."""

import json
import socket
import threading

import pytest

from bridge_protocol import topics
from bridge_protocol.config_sections import MqttSection
from firmware_bridge.mqtt import LinkCallbacks, MqttLink, set_nodelay
from firmware_bridge.status import lost_status
from tests.firmware_bridge.fake_broker import FakeBroker

DEV = "door-main"
WAIT = 20  # seconds; generous, never a measurement


def wait_for(condition, timeout=WAIT):
    done = threading.Event()
    for _ in range(int(timeout / 0.05)):
        if condition():
            return True
        done.wait(0.05)
    return condition()


@pytest.fixture
def broker():
    broker = FakeBroker(refuse_mqtt5=True)
    yield broker
    broker.close()


class Calls:
    def __init__(self):
        self.connected = threading.Event()
        self.messages = []

    def callbacks(self, on_message=None):
        return LinkCallbacks(
            on_message=on_message or (lambda *args: self.messages.append(args)),
            on_connected=self.connected.set,
            on_disconnected=lambda: None,
        )


def make_link(port, callbacks, protocol="auto"):
    settings = MqttSection(
        url=f"mqtt://127.0.0.1:{port}",
        protocol=protocol,
        keepalive_s=2,
        reconnect_min_s=0.05,
        reconnect_max_s=0.2,
    )
    return MqttLink(
        settings=settings,
        device_id=DEV,
        password="secret",
        will=lost_status("0a1b2c3d"),
        subscriptions=[topics.device_down_filter(DEV), topics.SERVER_STATUS],
        callbacks=callbacks,
    )


def test_auto_falls_back_to_mqtt_311_when_the_broker_refuses_5(broker):
    calls = Calls()
    link = make_link(broker.port, calls.callbacks())
    link.start()
    try:
        assert calls.connected.wait(WAIT)
        assert broker.subscribed.wait(WAIT)
    finally:
        link.stop()
    assert [c.level for c in broker.seen.connects][:2] == [5, 4]
    assert link.protocol == "3.1.1"
    assert set(broker.seen.subscriptions) == {topics.device_down_filter(DEV), topics.SERVER_STATUS}


def test_client_id_username_will_and_clean_session(broker):
    calls = Calls()
    link = make_link(broker.port, calls.callbacks(), protocol="3.1.1")
    link.start()
    try:
        assert calls.connected.wait(WAIT)
    finally:
        link.stop()
    connect = broker.seen.connects[0]
    assert connect.client_id == DEV
    assert connect.username == DEV
    assert connect.clean
    assert connect.will_topic == topics.status(DEV)
    assert connect.will_retain
    assert json.loads(connect.will_payload) == {"v": 1, "state": "lost", "boot": "0a1b2c3d"}


def test_a_clean_stop_publishes_the_final_status_retained(broker):
    calls = Calls()
    link = make_link(broker.port, calls.callbacks(), protocol="3.1.1")
    link.start()
    assert calls.connected.wait(WAIT)
    link.stop(final_status=(topics.status(DEV), lost_status("0a1b2c3d")))
    assert broker.published.wait(WAIT)
    topic, payload, retain = broker.seen.publishes[-1]
    assert topic == topics.status(DEV)
    assert retain
    assert json.loads(payload)["state"] == "lost"


def test_pinned_mqtt_5_does_not_fall_back(broker):
    calls = Calls()
    link = make_link(broker.port, calls.callbacks(), protocol="5")
    link.start()
    try:
        assert wait_for(lambda: len(broker.seen.connects) >= 3)  # it keeps retrying...
    finally:
        link.stop()
    assert {c.level for c in broker.seen.connects} == {5}  # ...with MQTT 5 only
    assert not calls.connected.is_set()


def test_mqtt_5_when_the_broker_speaks_it():
    broker = FakeBroker(refuse_mqtt5=False)
    calls = Calls()
    link = make_link(broker.port, calls.callbacks())
    link.start()
    try:
        assert calls.connected.wait(WAIT)
        assert link.protocol == "5"
        assert link.publish(topics.status(DEV), b"{}", retain=True)
    finally:
        link.stop()
        broker.close()


def test_publish_while_disconnected_says_so():
    calls = Calls()
    link = make_link(1, calls.callbacks())
    assert not link.publish(topics.status(DEV), b"{}")


def test_a_failing_handler_never_reaches_paho(broker):
    calls = Calls()

    def explode(*args):
        raise RuntimeError("handler bug")

    link = make_link(broker.port, calls.callbacks(on_message=explode), protocol="3.1.1")
    message = type("Message", (), {"topic": "t", "payload": b"", "retain": 0})()
    guarded = link._guard("message", link._on_message)
    guarded(None, None, message)  # what paho calls: it must not raise
    assert link.callback_errors == 1


def test_nagle_is_switched_off():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        set_nodelay(sock)
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        sock.close()


def test_nagle_is_off_on_the_link_socket(broker):
    calls = Calls()
    link = make_link(broker.port, calls.callbacks(), protocol="3.1.1")
    link.start()
    try:
        assert calls.connected.wait(WAIT)
        sock = link._client.socket()
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        link.stop()
