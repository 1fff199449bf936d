"""The test tools themselves: the broker helper, its files, and the network-breaking proxy."""

from __future__ import annotations

import base64
import hashlib

import pytest

from tests.support import mosquitto
from tests.support.bridge_rig import wait_until
from tests.support.mosquitto import (
    GATEWAY,
    MONITOR,
    Account,
    Role,
    mosquitto_password_hash,
    render_acl,
)

TOPIC = "incubator/v1/test/stall"


def test_a_missing_mosquitto_skips_the_broker_tests(monkeypatch):
    monkeypatch.setattr(mosquitto, "find_mosquitto", lambda: None)
    monkeypatch.delenv("CI", raising=False)

    with pytest.raises(pytest.skip.Exception, match="apt-get install mosquitto"):
        mosquitto.require_mosquitto()


def test_a_missing_mosquitto_fails_the_broker_tests_under_ci(monkeypatch):
    monkeypatch.setattr(mosquitto, "find_mosquitto", lambda: None)
    monkeypatch.setenv("CI", "true")

    with pytest.raises(pytest.fail.Exception, match="apt-get install mosquitto"):
        mosquitto.require_mosquitto()


def test_password_hashes_are_pbkdf2_sha512_in_mosquittos_format():
    salt = bytes(range(12))

    line = mosquitto_password_hash("secret", salt=salt)

    _, kind, rounds, salt_b64, digest_b64 = line.split("$")
    assert (kind, rounds, base64.b64decode(salt_b64)) == ("7", "101", salt)
    assert base64.b64decode(digest_b64) == hashlib.pbkdf2_hmac("sha512", b"secret", salt, 101)


def test_the_acl_confines_devices_by_pattern_and_opens_everything_to_servers():
    accounts = [Account("door-a", "x"), Account("gateway", "y", Role.SERVER)]

    text = render_acl(accounts, sim_scan=False)

    assert "pattern write incubator/v1/d/%u/up/#" in text
    assert "pattern read incubator/v1/d/%u/down/#" in text
    assert "user door-a\ntopic read incubator/v1/server/status" in text
    assert "user gateway\ntopic readwrite incubator/v1/#" in text
    assert "sim/" not in text
    assert "pattern read incubator/v1/sim/%u/scan" in render_acl(accounts, sim_scan=True)


@pytest.mark.mqtt
def test_the_proxy_cuts_and_restores_connections(broker, mqtt_client, tcp_proxy):
    proxy = tcp_proxy(broker)
    client = mqtt_client(MONITOR, port=proxy.port, reconnect=True)

    proxy.cut()
    wait_until(lambda: not client.is_connected, what="the cut")
    proxy.restore()

    assert client.wait_connected(10)


@pytest.mark.mqtt
def test_a_stalled_proxy_holds_messages_until_restored(broker, mqtt_client, tcp_proxy):
    proxy = tcp_proxy(broker)
    client = mqtt_client(MONITOR, port=proxy.port)
    client.subscribe(TOPIC)

    proxy.stall()
    mqtt_client(GATEWAY).publish(TOPIC, b"held")
    client.assert_never(topic=TOPIC, grace=0.5)
    proxy.restore()

    assert client.wait_for(topic=TOPIC).payload == b"held"
