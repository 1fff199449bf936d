"""Fixtures for the tests that run against a real Mosquitto.

* `broker`: one broker per test module, with two server accounts (``gateway``
  for the server double, ``monitor`` for assertions) and no devices; tests add
  the devices they need with `broker.add_device`.
* `make_broker`: a broker of the test's own, for tests that stop, restart or
  pause it.
* `mqtt_client`: connects a test client under an account.
* `device_id`: a device id nobody else in the module uses.
* `free_port`, `tcp_proxy`: network helpers.

Without a mosquitto binary these tests are skipped, except under CI=true where
that is a failure.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import mosquitto
from tests.support.bridge_rig import BridgeRig
from tests.support.mosquitto import GATEWAY, MONITOR, Broker
from tests.support.mqtt_client import MqttClient
from tests.support.tcp_proxy import TcpProxy

_ids = itertools.count(1)


def _new_broker(directory: Path) -> Broker:
    binary = mosquitto.require_mosquitto()
    broker = Broker(directory, sim_scan=True, binary=binary)
    broker.add_server(GATEWAY)
    broker.add_server(MONITOR)
    return broker.start()


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """A running broker shared by the tests of one module (never stop it in a test)."""
    instance = _new_broker(tmp_path_factory.mktemp("mosquitto"))
    yield instance
    instance.close()


@pytest.fixture
def make_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], Broker]]:
    """Brokers of the test's own, stopped after it."""
    made: list[Broker] = []

    def make() -> Broker:
        instance = _new_broker(tmp_path_factory.mktemp("mosquitto"))
        made.append(instance)
        return instance

    yield make
    for instance in made:
        instance.close()


@pytest.fixture
def device_id() -> Callable[[str], str]:
    """``device_id("door")`` -> ``door-t7``: unique within the test run."""

    def make(kind: str = "door") -> str:
        return f"{kind}-t{next(_ids)}"

    return make


@pytest.fixture
def mqtt_client(request: pytest.FixtureRequest) -> Iterator[Callable[..., MqttClient]]:
    """``mqtt_client("monitor")`` -> a connected client, closed after the test.

    The password comes from the broker's account unless given; pass
    ``connect=False`` to get the client unconnected, ``broker=`` for another
    broker than the module's, ``port=`` to go through a proxy.
    """
    clients: list[MqttClient] = []

    def make(
        username: str | None,
        *,
        password: str | None = None,
        broker: Broker | None = None,
        port: int | None = None,
        connect: bool = True,
        **options: Any,
    ) -> MqttClient:
        target = broker if broker is not None else request.getfixturevalue("broker")
        if password is None and username in target.accounts:
            password = target.accounts[username].password
        client = MqttClient(target.host, port or target.port, username, password, **options)
        clients.append(client)
        return client.connect() if connect else client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def free_port() -> Callable[[], int]:
    return mosquitto.free_port


@pytest.fixture
def tcp_proxy() -> Iterator[Callable[[Broker], TcpProxy]]:
    """``tcp_proxy(broker)`` -> a started proxy to it, closed after the test."""
    proxies: list[TcpProxy] = []

    def make(target: Broker) -> TcpProxy:
        proxy = TcpProxy(target.host, target.port).start()
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.close()


@pytest.fixture
def rig(make_broker, tmp_path) -> Iterator[BridgeRig]:
    """A broker of the test's own, the server double on it, and a way to start bridges."""
    instance = BridgeRig(make_broker(), tmp_path)
    yield instance
    instance.close()
