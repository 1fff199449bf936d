"""A synchronous paho client for tests: connect, subscribe, publish, wait for messages.

Every client is made like the bridge's (paho 2.x ``CallbackAPIVersion.VERSION2``,
MQTT 5 unless told otherwise, Nagle off) and records every message it receives,
so a test can wait for one (`wait_for`) or check that one never came
(`assert_never`).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode

DEFAULT_TIMEOUT_S = 10.0
PROTOCOLS = {"5": MQTTProtocolVersion.MQTTv5, "3.1.1": MQTTProtocolVersion.MQTTv311}


class ConnectRefused(ConnectionError):
    """The broker answered CONNACK with a failure (or never answered)."""

    def __init__(self, username: str | None, reason: ReasonCode | str) -> None:
        super().__init__(f"connection of {username!r} refused: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    qos: int
    retain: bool
    at: float = field(default_factory=time.monotonic)

    def json(self) -> Any:
        return json.loads(self.payload)

    def __repr__(self) -> str:
        text = self.payload[:120].decode("utf-8", "replace")
        return f"<Received {self.topic} retain={self.retain} {text!r}>"


Predicate = Callable[[Received], bool]


def set_nodelay(_client: Any, _userdata: Any, sock: Any) -> None:
    """paho's ``on_socket_open``: turn Nagle off (QoS 1 round trips stall without it)."""
    with contextlib.suppress(OSError, AttributeError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def new_paho_client(
    client_id: str, *, protocol: str = "5", reconnect: bool = True, userdata: Any = None
) -> mqtt.Client:
    """A bare paho client made the way the contract asks (VERSION2 callbacks, Nagle off)."""
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=PROTOCOLS[protocol],
        reconnect_on_failure=reconnect,
        userdata=userdata,
    )
    client.on_socket_open = set_nodelay
    return client


def close_wakeup_sockets(client: mqtt.Client) -> None:
    """Close the socket pair paho 2.2 makes in `loop_start` and never closes after `loop_stop`.

    paho closes it only in ``__del__``; when the client sits in a reference
    cycle, the garbage collector may finalise the sockets first, and each one
    raises a ResourceWarning, which `filterwarnings = error` turns into a failure.
    """
    with contextlib.suppress(Exception):
        client._reset_sockets(sockpair_only=True)


class MqttClient:
    """One connection under one account; thread-safe recording of what arrives."""

    def __init__(
        self,
        host: str,
        port: int,
        username: str | None,
        password: str | None = None,
        *,
        protocol: str = "5",
        keepalive: int = 30,
        will: tuple[str, bytes, bool] | None = None,
        reconnect: bool = False,
    ) -> None:
        self.host, self.port, self.username = host, port, username
        self.keepalive = keepalive
        self._client = new_paho_client(username or "", protocol=protocol, reconnect=reconnect)
        if username is not None:
            self._client.username_pw_set(username, password)
        if will is not None:
            topic, payload, retain = will
            self._client.will_set(topic, payload, qos=1, retain=retain)
        self._client.reconnect_delay_set(1, 2)
        self._lock = threading.Condition()
        self._messages: list[Received] = []
        self._connack: ReasonCode | None = None
        self._connected = threading.Event()
        self._answered = threading.Event()
        self._subacks: dict[int, list[ReasonCode]] = {}
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_subscribe

    # -- paho callbacks (network thread) -------------------------------------------

    def _on_connect(self, _c: Any, _u: Any, _flags: Any, reason: ReasonCode, _p: Any) -> None:
        self._connack = reason
        if not reason.is_failure:
            self._connected.set()
        self._answered.set()

    def _on_disconnect(self, _c: Any, _u: Any, _f: Any, _reason: Any, _p: Any) -> None:
        self._connected.clear()
        self._answered.set()

    def _on_message(self, _c: Any, _u: Any, message: mqtt.MQTTMessage) -> None:
        received = Received(message.topic, bytes(message.payload), message.qos, message.retain)
        with self._lock:
            self._messages.append(received)
            self._lock.notify_all()

    def _on_subscribe(self, _c: Any, _u: Any, mid: int, codes: list[ReasonCode], _p: Any) -> None:
        with self._lock:
            self._subacks[mid] = list(codes)
            self._lock.notify_all()

    # -- actions ------------------------------------------------------------------

    @property
    def paho(self) -> mqtt.Client:
        return self._client

    @property
    def connack(self) -> ReasonCode | None:
        return self._connack

    @property
    def is_connected(self) -> bool:
        return self._connected.is_set()

    def connect(self, timeout: float = DEFAULT_TIMEOUT_S) -> MqttClient:
        """Connect and wait for CONNACK; raise `ConnectRefused` on a refusal."""
        self._answered.clear()
        self._client.connect(self.host, self.port, keepalive=self.keepalive)
        self._client.loop_start()
        if not self._answered.wait(timeout) or not self._connected.is_set():
            reason = self._connack or "no CONNACK"
            self.close()
            raise ConnectRefused(self.username, reason)
        return self

    def wait_connected(self, timeout: float = DEFAULT_TIMEOUT_S) -> bool:
        return self._connected.wait(timeout)

    def subscribe(
        self, topic_filter: str, qos: int = 1, timeout: float = DEFAULT_TIMEOUT_S
    ) -> list[ReasonCode]:
        """Subscribe and wait for SUBACK; returns its reason codes (a refusal is not raised)."""
        result, mid = self._client.subscribe(topic_filter, qos)
        if result != mqtt.MQTT_ERR_SUCCESS or mid is None:
            raise ConnectionError(f"subscribe failed: {mqtt.error_string(result)}")
        with self._lock:
            if not self._lock.wait_for(lambda: mid in self._subacks, timeout):
                raise TimeoutError(f"no SUBACK for {topic_filter}")
            return self._subacks.pop(mid)

    def publish(
        self,
        topic: str,
        payload: bytes | str,
        *,
        qos: int = 1,
        retain: bool = False,
        properties: Any = None,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> mqtt.MQTTMessageInfo:
        """Publish and, for QoS > 0, wait for the broker's PUBACK."""
        info = self._client.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        if qos > 0:
            info.wait_for_publish(timeout)
        return info

    # -- what arrived ---------------------------------------------------------------

    def received(self, topic: str | None = None) -> list[Received]:
        with self._lock:
            return [m for m in self._messages if topic is None or m.topic == topic]

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()

    def wait_for(
        self,
        predicate: Predicate | None = None,
        *,
        topic: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> Received:
        """The first matching message, already received or still to come; else AssertionError."""

        def matches(message: Received) -> bool:
            if topic is not None and message.topic != topic:
                return False
            return predicate is None or predicate(message)

        found: list[Received] = []

        def search() -> bool:
            found[:] = [m for m in self._messages if matches(m)]
            return bool(found)

        with self._lock:
            if self._lock.wait_for(search, timeout):
                return found[0]
            seen = list(self._messages[-10:])
        raise AssertionError(f"{self.username}: no matching message within {timeout} s; {seen}")

    def assert_never(
        self,
        predicate: Predicate | None = None,
        *,
        topic: str | None = None,
        after: Predicate | None = None,
        grace: float = 0.5,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        """Assert that no matching message came.

        With `after` (a sentinel message sent later on the same path), wait for
        the sentinel first: the broker delivers one publisher's messages to one
        subscriber in order, so had the forbidden message passed, it would be
        here by then. `grace` more seconds cover any reordering.
        """
        if after is not None:
            self.wait_for(after, timeout=timeout)
        time.sleep(grace)
        bad = [
            m
            for m in self.received(topic)
            if (predicate is None or predicate(m)) and (after is None or not after(m))
        ]
        assert not bad, f"{self.username} received what it must not: {bad}"

    # -- teardown ---------------------------------------------------------------------

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._client.disconnect()
        self._client.loop_stop()
        close_wakeup_sockets(self._client)

    def __enter__(self) -> MqttClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def try_login(
    host: str, port: int, username: str | None, password: str | None, timeout: float = 5.0
) -> bool:
    """Whether the broker accepts these credentials (connects, then disconnects)."""
    client = MqttClient(host, port, username, password)
    try:
        client.connect(timeout)
    except (ConnectRefused, OSError):
        return False
    client.close()
    return True
