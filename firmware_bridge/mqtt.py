"""The broker connection: a paho 2.x client set up as docs/protocol.md ("Connection") asks.

* ``CallbackAPIVersion.VERSION2``; client id = username = the device id;
  clean session (MQTT 5: clean start, no session expiry), so the broker keeps
  nothing for an absent device.
* ``protocol = "auto"``: MQTT 5 first; when the broker answers "unsupported
  protocol version" the client is rebuilt for 3.1.1 and stays so for the rest
  of the process. ``"5"`` or ``"3.1.1"`` pin one version.
* TLS for ``mqtts://`` (the configured CA file, else the system's CAs).
* Last Will: the retained ``lost`` status; `stop` publishes it itself, since a
  clean disconnect does not fire the Will.
* Reconnects by itself with exponential back-off between
  ``mqtt.reconnect_min_s`` and ``mqtt.reconnect_max_s``; keepalive ``mqtt.keepalive_s``.
* Nagle off: ``TCP_NODELAY`` on paho's socket as soon as it is opened.
* Every callback is wrapped: an exception is logged and counted
  (`MqttLink.callback_errors`), never raised into paho's network thread.

`MqttLink` implements `firmware_bridge.ports.Link`; what arrives goes to
`on_message(topic, payload, retained)` (the `inbound.Router`).
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion

from bridge_protocol import topics
from bridge_protocol.config_sections import MqttSection

logger = logging.getLogger(__name__)

UNSUPPORTED_PROTOCOL = "Unsupported protocol version"
MAX_QUEUED = 1000
_PROTOCOLS = {"5": MQTTProtocolVersion.MQTTv5, "3.1.1": MQTTProtocolVersion.MQTTv311}


@dataclass(frozen=True)
class LinkCallbacks:
    on_message: Callable[[str, bytes, bool], None]
    on_connected: Callable[[], None]
    on_disconnected: Callable[[], None]


def set_nodelay(sock: Any) -> None:
    """Turn Nagle's algorithm off (each QoS 1 round trip would wait for delayed ACKs)."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError) as exc:
        logger.warning("could not set TCP_NODELAY: %s", exc)


class MqttLink:
    def __init__(
        self,
        *,
        settings: MqttSection,
        device_id: str,
        password: str | None,
        will: bytes,
        subscriptions: list[str],
        callbacks: LinkCallbacks,
    ) -> None:
        self._settings = settings
        self._dev = device_id
        self._password = password
        self._will = will
        self._subscriptions = list(subscriptions)
        self._callbacks = callbacks
        self._protocol = (
            MQTTProtocolVersion.MQTTv5
            if settings.protocol == "auto"
            else _PROTOCOLS[settings.protocol]
        )
        self._lock = threading.Lock()
        self._client: paho.Client | None = None
        self._connected = threading.Event()
        self._stopping = False
        self.callback_errors = 0
        self.connects = 0

    # Link ----------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @property
    def protocol(self) -> str:
        return "5" if self._protocol == MQTTProtocolVersion.MQTTv5 else "3.1.1"

    def wait_connected(self, timeout: float | None = None) -> bool:
        return self._connected.wait(timeout)

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> bool:
        client = self._client
        if client is None or not self.connected:
            return False
        try:
            info = client.publish(topic, payload, qos=topics.QOS, retain=retain)
        except (ValueError, RuntimeError) as exc:
            logger.error("publish on %s failed: %s", topic, exc)
            return False
        return info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS

    def resubscribe(self) -> None:
        client = self._client
        if client is not None and self.connected:
            client.subscribe([(topic, topics.QOS) for topic in self._subscriptions])

    # Life cycle ----------------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            self._stopping = False
            self._client = self._make_client()
            self._client.loop_start()
        logger.info(
            "connecting to %s:%d as %s (MQTT %s)",
            self._settings.host,
            self._settings.port,
            self._dev,
            self.protocol,
        )

    def stop(self, *, final_status: tuple[str, bytes] | None = None, timeout: float = 2.0) -> None:
        """Publish `final_status` (retained) if connected, disconnect, stop the network thread."""
        with self._lock:
            self._stopping = True
            client, self._client = self._client, None
        if client is None:
            return
        if final_status is not None and self.connected:
            try:
                info = client.publish(*final_status, qos=topics.QOS, retain=True)
                info.wait_for_publish(timeout)
            except (ValueError, RuntimeError) as exc:
                logger.warning("final status not published: %s", exc)
        client.disconnect()
        client.loop_stop()
        self._connected.clear()

    def _make_client(self) -> paho.Client:
        v5 = self._protocol == MQTTProtocolVersion.MQTTv5
        client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=self._dev,
            clean_session=None if v5 else True,
            protocol=self._protocol,
        )
        client.suppress_exceptions = True
        client.enable_logger(logging.getLogger("paho.mqtt"))
        client.username_pw_set(self._dev, self._password)
        if self._settings.tls:
            ca = str(self._settings.ca_file) if self._settings.ca_file is not None else None
            client.tls_set(ca_certs=ca)
        client.will_set(topics.status(self._dev), self._will, qos=topics.QOS, retain=True)
        # paho annotates the delays as int, but sleeps fractions of a second fine.
        client.reconnect_delay_set(
            self._settings.reconnect_min_s,  # type: ignore[arg-type]
            self._settings.reconnect_max_s,  # type: ignore[arg-type]
        )
        client.max_queued_messages_set(MAX_QUEUED)
        client.on_socket_open = self._guard("socket_open", self._socket_open)
        client.on_connect = self._guard("connect", self._on_connect)
        client.on_disconnect = self._guard("disconnect", self._on_disconnect)
        client.on_message = self._guard("message", self._on_message)
        client.connect_async(
            self._settings.host,
            self._settings.port,
            keepalive=self._settings.keepalive_s,
            clean_start=True if v5 else paho.MQTT_CLEAN_START_FIRST_ONLY,
        )
        return client

    # Callbacks (paho's network thread) -----------------------------------------

    def _guard(self, name: str, callback: Callable[..., None]) -> Callable[..., None]:
        def guarded(*args: Any) -> None:
            try:
                callback(*args)
            except Exception:
                self.callback_errors += 1
                logger.exception("MQTT %s callback failed", name)

        return guarded

    def _socket_open(self, client: paho.Client, userdata: Any, sock: Any) -> None:
        set_nodelay(sock)

    def _on_connect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            self._connect_refused(client, reason)
            return
        self.connects += 1
        logger.info("connected to the broker (MQTT %s)", self.protocol)
        client.subscribe([(topic, topics.QOS) for topic in self._subscriptions])
        self._connected.set()
        self._callbacks.on_connected()

    def _connect_refused(self, client: paho.Client, reason: Any) -> None:
        name = reason.getName() if hasattr(reason, "getName") else str(reason)
        if (
            name == UNSUPPORTED_PROTOCOL
            and self._settings.protocol == "auto"
            and self._protocol == MQTTProtocolVersion.MQTTv5
        ):
            logger.warning("the broker refuses MQTT 5; falling back to MQTT 3.1.1")
            threading.Thread(target=self._downgrade, args=(client,), daemon=True).start()
            return
        logger.error("the broker refused the connection: %s", name)

    def _downgrade(self, old: paho.Client) -> None:
        """Rebuild the client for MQTT 3.1.1 (paho fixes the version per client)."""
        old.disconnect()
        old.loop_stop()
        with self._lock:
            if self._stopping or self._client is not old:
                return
            self._protocol = MQTTProtocolVersion.MQTTv311
            self._client = self._make_client()
            self._client.loop_start()

    def _on_disconnect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        was_connected = self.connected
        self._connected.clear()
        if was_connected:
            if self._stopping:
                logger.info("disconnected from the broker on stop")
            else:
                logger.warning("disconnected from the broker: %s", reason)
            self._callbacks.on_disconnected()

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        try:
            topic = message.topic
        except UnicodeDecodeError:
            topic = "?"
        self._callbacks.on_message(topic, bytes(message.payload), bool(message.retain))
