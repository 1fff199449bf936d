"""The control client's own logic, against a stand-in for paho (no broker)."""

from __future__ import annotations

import json
import threading
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from app.broker.dynsec import (
    CONTROL_TOPIC,
    RESPONSE_TOPIC,
    DynsecClient,
    DynsecError,
    DynsecTimeout,
    device_role_acls,
)


class Info:
    rc = mqtt.MQTT_ERR_SUCCESS


class FakePaho:
    """Answers each command batch from another thread with `answer(command) -> response`."""

    def __init__(self, answer=None, extra: list[dict[str, Any]] | None = None) -> None:
        self.answer = answer
        self.extra = extra or []
        self.callbacks: dict[str, Any] = {}
        self.sent: list[dict[str, Any]] = []
        self.subscribed: list[str] = []
        self._thread = None

    def message_callback_add(self, topic, callback):
        self.callbacks[topic] = callback

    def message_callback_remove(self, topic):
        self.callbacks.pop(topic, None)

    def subscribe(self, topic, qos=0):
        self.subscribed.append(topic)
        return mqtt.MQTT_ERR_SUCCESS, 1

    def publish(self, topic, payload, qos=0):
        assert topic == CONTROL_TOPIC
        commands = json.loads(payload)["commands"]
        self.sent.append(commands)
        if self.answer is not None:
            responses = [
                {**self.answer(c), "correlationData": c["correlationData"]} for c in commands
            ]
            message = mqtt.MQTTMessage(topic=RESPONSE_TOPIC.encode())
            message.payload = json.dumps({"responses": self.extra + responses}).encode()
            threading.Thread(
                target=self.callbacks[RESPONSE_TOPIC], args=(self, None, message)
            ).start()
        return Info()


def ok(command):
    return {"command": command["command"]}


def test_answers_come_back_in_order():
    paho = FakePaho(lambda c: {"command": c["command"], "data": {"n": c["n"]}})
    client = DynsecClient(paho, timeout=5)
    responses = client.execute([{"command": "a", "n": 1}, {"command": "b", "n": 2}])
    assert [r["data"]["n"] for r in responses] == [1, 2]
    assert paho.subscribed == [RESPONSE_TOPIC]


def test_an_error_is_raised_unless_tolerated():
    paho = FakePaho(lambda c: {"command": c["command"], "error": "Role already exists"})
    client = DynsecClient(paho, timeout=5)
    with pytest.raises(DynsecError) as failed:
        client.execute([{"command": "createRole"}])
    assert failed.value.error == "Role already exists"
    client.execute([{"command": "createRole"}], tolerate={"createRole": {"Role already exists"}})


def test_answers_to_other_clients_and_garbage_are_ignored():
    foreign = [
        {"command": "x", "correlationData": "someone-else:0"},
        {"command": "x", "correlationData": "nothing"},
        {"command": "x"},
        "not an object",
    ]
    client = DynsecClient(FakePaho(ok, extra=foreign), timeout=5)
    assert client.execute([{"command": "getClient"}]) == [
        {"command": "getClient", "correlationData": client_correlation(client)}
    ]


def client_correlation(client: DynsecClient) -> str:
    return client.mqtt.sent[-1][0]["correlationData"]


def test_no_answer_is_a_timeout():
    client = DynsecClient(FakePaho(answer=None), timeout=0.05)
    with pytest.raises(DynsecTimeout):
        client.execute([{"command": "listClients"}])


def test_waiting_on_pahos_own_thread_is_refused():
    paho = FakePaho(ok)
    paho._thread = threading.current_thread()
    with pytest.raises(DynsecError):
        DynsecClient(paho).execute([{"command": "listClients"}])


def test_invalid_device_ids_never_reach_the_broker():
    paho = FakePaho(ok)
    client = DynsecClient(paho)
    for bad in ("#", "+", "a/b", "x", "Door", "door\n"):
        with pytest.raises(ValueError, match="invalid device id"):
            client.create_or_update_device(bad, "password")
    assert paho.sent == []


def test_a_device_role_names_only_its_own_topics():
    acls = device_role_acls("door-main")
    assert [(a["acltype"], a["topic"]) for a in acls] == [
        ("publishClientSend", "incubator/v1/d/door-main/up/#"),
        ("subscribePattern", "incubator/v1/d/door-main/down/#"),
        ("subscribeLiteral", "incubator/v1/server/status"),
    ]
    assert all(a["allow"] for a in acls)
