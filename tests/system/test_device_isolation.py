"""The broker keeps devices apart: none publishes as another, none logs in without its password."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from bridge_protocol import topics
from tests.support.mqtt_client import ConnectRefused
from tests.support.system_rig import SystemRig, event_payload, wait_for

pytestmark = [pytest.mark.mqtt, pytest.mark.db]


class PubackCodes:
    """The reason code of every PUBACK a paho client gets, by message id."""

    def __init__(self, client: Any) -> None:
        self.codes: dict[int, Any] = {}
        self._lock = threading.Lock()
        client.paho.on_publish = self._on_publish

    def _on_publish(self, _c: Any, _u: Any, mid: int, reason: Any, _p: Any) -> None:
        with self._lock:
            self.codes[mid] = reason


def test_a_device_cannot_publish_as_another_and_its_forgery_never_reaches_the_gateway(
    system: SystemRig,
):
    intruder = system.register_device("door")
    victim = system.register_device("door")
    client = system.device_client(intruder)
    client.subscribe(topics.device_down_filter(intruder.id))
    pubacks = PubackCodes(client)

    forged = event_payload(victim.id)
    forged_info = client.publish(topics.events(victim.id), json.dumps(forged))
    status = {"v": 1, "state": "ready", "boot": "0a1b2c3d", "kind": "door", "outbox": 0}
    status_info = client.publish(topics.status(victim.id), json.dumps(status), retain=True)
    # Its own topic works: the gateway stores the sentinel and acks it...
    sentinel = event_payload(intruder.id)
    sentinel_info = client.publish(topics.events(intruder.id), json.dumps(sentinel))
    ack = client.wait_for(
        lambda m: sentinel["id"] in m.json().get("ids", []), topic=topics.event_ack(intruder.id)
    )
    assert ack.json().get("rejected") in (None, [])

    # ...after the broker had refused the forgeries (MQTT 5 tells the publisher so).
    wait_for(lambda: len(pubacks.codes) == 3, "three PUBACKs")
    refused = {pubacks.codes[forged_info.mid].getName(), pubacks.codes[status_info.mid].getName()}
    assert refused == {"Not authorized"}
    assert not pubacks.codes[sentinel_info.mid].is_failure

    stored = system.sql(
        "SELECT device_id, event_id FROM access_event WHERE event_id IN (:a, :b)",
        a=forged["id"],
        b=sentinel["id"],
    )
    assert [tuple(row) for row in stored] == [(intruder.id, sentinel["id"])]
    assert (
        system.sql_value(
            "SELECT count(*) FROM quarantined_event WHERE event_id = :a OR device_id = :dev",
            a=forged["id"],
            dev=victim.id,
        )
        == 0
    )
    state = system.device_state(victim)
    assert (state["online"], state["boot"], state["last_seen_at"]) == (False, None, None)


def test_a_device_with_a_wrong_password_cannot_connect(system: SystemRig):
    device = system.register_device("door")
    with pytest.raises(ConnectRefused) as refused:
        system.device_client(device, password=device.password + "x")
    assert str(refused.value.reason) in ("Bad user name or password", "Not authorized")
    # ...nor another device's password with its own name
    other = system.register_device("door")
    with pytest.raises(ConnectRefused):
        system.device_client(device, password=other.password)
    system.device_client(device).close()  # while its own password works
