"""The gateway's one broker connection (paho 2.x).

* ``CallbackAPIVersion.VERSION2``; client id = the gateway's username.
* A **persistent session** (MQTT 5: clean start off and a session expiry;
  3.1.1: clean session off), so events devices publish while the gateway is
  down wait on the broker and arrive when it is back.
* MQTT 5 first; when the broker refuses it ("unsupported protocol version") the
  client is rebuilt for 3.1.1 and stays so (``GATEWAY_PROTOCOL`` = ``auto``).
* Last Will: ``{"state":"offline"}`` retained on ``server/status``; after every
  connect ``{"state":"online"}`` retained; `stop` publishes ``offline`` itself
  (a clean disconnect does not fire the Will).
* Nagle off on paho's socket; reconnect with exponential back-off.
* Every callback is guarded: nothing raised reaches paho's network thread.
"""

from __future__ import annotations

import contextlib
import logging
import math
import socket
import threading
from collections.abc import Callable
from typing import Any, Protocol

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from bridge_protocol import topics
from bridge_protocol.messages import dump
from bridge_protocol.status import ServerStatus

from .metrics import GatewayMetrics
from .settings import GatewaySettings

log = logging.getLogger(__name__)

UNSUPPORTED_PROTOCOL = "Unsupported protocol version"
MAX_INFLIGHT = 200
ONLINE = dump(ServerStatus(state="online"))
OFFLINE = dump(ServerStatus(state="offline"))

#: (topic or None when it is not UTF-8, payload, retained)
MessageHandler = Callable[[str | None, bytes, bool], None]


class Publisher(Protocol):
    """What the handlers need from the link: publish QoS 1, say whether it went out."""

    def publish(
        self, topic: str, payload: bytes, *, retain: bool = False, expiry_s: float | None = None
    ) -> bool: ...


class _QuietDisconnect(logging.Filter):
    """paho 2.2 logs an ERROR ("Client is not connected") from its loop after every
    disconnect, ours included; our own warning on disconnect says what matters."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Client is not connected")


PAHO_LOG = logging.getLogger("app.gateway.paho")
PAHO_LOG.addFilter(_QuietDisconnect())


def set_nodelay(sock: Any) -> None:
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError) as exc:
        log.warning("could not set TCP_NODELAY: %s", exc)


class GatewayLink:
    def __init__(
        self,
        settings: GatewaySettings,
        *,
        on_message: MessageHandler,
        on_connected: Callable[[], None],
        metrics: GatewayMetrics,
    ) -> None:
        self._settings = settings
        self._on_message = on_message
        self._on_connected = on_connected
        self._metrics = metrics
        self._v5 = settings.protocol != "3.1.1"
        self._lock = threading.Lock()
        self._client: paho.Client | None = None
        self._connected = threading.Event()
        self._stopping = False
        self.connects = 0

    # -- state -------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @property
    def protocol(self) -> str:
        return "5" if self._v5 else "3.1.1"

    @property
    def client(self) -> paho.Client | None:
        """The paho client while connected (for the dynamic-security client), else None."""
        return self._client if self.connected else None

    def wait_connected(self, timeout: float | None = None) -> bool:
        return self._connected.wait(timeout)

    # -- publishing (any thread) ------------------------------------------------------------

    def publish(
        self, topic: str, payload: bytes, *, retain: bool = False, expiry_s: float | None = None
    ) -> bool:
        client = self._client
        if client is None or not self.connected:
            return False
        properties = None
        if expiry_s is not None and self._v5:
            properties = Properties(PacketTypes.PUBLISH)
            properties.MessageExpiryInterval = max(1, math.ceil(expiry_s))
        try:
            info = client.publish(
                topic, payload, qos=topics.QOS, retain=retain, properties=properties
            )
        except (ValueError, RuntimeError) as exc:
            log.error("publish on %s failed: %s", topic, exc)
            return False
        return info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            self._stopping = False
            self._client = self._make_client()
            self._client.loop_start()
        broker = self._settings.broker
        log.info(
            "connecting to %s:%d as %s (MQTT %s)",
            broker.host,
            broker.port,
            broker.username,
            self.protocol,
        )

    def stop(self, timeout: float = 2.0) -> None:
        """Say ``offline`` (retained), disconnect (the session stays), stop paho's thread."""
        with self._lock:
            self._stopping = True
            client, self._client = self._client, None
        if client is None:
            return
        if self.connected:
            with contextlib.suppress(ValueError, RuntimeError):
                client.publish(
                    topics.SERVER_STATUS, OFFLINE, qos=topics.QOS, retain=True
                ).wait_for_publish(timeout)
        client.disconnect()
        client.loop_stop()
        self._connected.clear()
        _close_wakeup_sockets(client)

    def _make_client(self) -> paho.Client:
        settings, broker = self._settings, self._settings.broker
        protocol = MQTTProtocolVersion.MQTTv5 if self._v5 else MQTTProtocolVersion.MQTTv311
        client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=broker.username,
            clean_session=None if self._v5 else False,
            protocol=protocol,
        )
        client.suppress_exceptions = True
        client.enable_logger(PAHO_LOG)
        client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            client.tls_set(ca_certs=settings.ca_file)
        client.will_set(topics.SERVER_STATUS, OFFLINE, qos=topics.QOS, retain=True)
        # paho annotates the delays as int; it sleeps fractions of a second fine.
        client.reconnect_delay_set(
            settings.reconnect_min_s,  # type: ignore[arg-type]
            settings.reconnect_max_s,  # type: ignore[arg-type]
        )
        client.max_inflight_messages_set(MAX_INFLIGHT)
        client.on_socket_open = self._guard("socket_open", self._socket_open)
        client.on_connect = self._guard("connect", self._connected_cb)
        client.on_disconnect = self._guard("disconnect", self._disconnected_cb)
        client.on_message = self._guard("message", self._message_cb)
        properties = None
        if self._v5:
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = settings.session_expiry_s
        client.connect_async(
            broker.host,
            broker.port,
            keepalive=settings.keepalive_s,
            clean_start=False if self._v5 else paho.MQTT_CLEAN_START_FIRST_ONLY,
            properties=properties,
        )
        return client

    # -- callbacks (paho's network thread) ------------------------------------------------------

    def _guard(self, name: str, callback: Callable[..., None]) -> Callable[..., None]:
        def guarded(*args: Any) -> None:
            try:
                callback(*args)
            except Exception:
                self._metrics.handler_errors.inc(where=f"mqtt_{name}")
                log.exception("MQTT %s callback failed", name)

        return guarded

    def _socket_open(self, client: paho.Client, userdata: Any, sock: Any) -> None:
        set_nodelay(sock)

    def _connected_cb(
        self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            self._refused(client, reason)
            return
        self.connects += 1
        session = bool(getattr(flags, "session_present", False))
        log.info("connected (MQTT %s, session present: %s)", self.protocol, session)
        client.subscribe(topics.device_up_filter(), qos=topics.QOS)
        client.publish(topics.SERVER_STATUS, ONLINE, qos=topics.QOS, retain=True)
        self._connected.set()
        self._on_connected()

    def _refused(self, client: paho.Client, reason: Any) -> None:
        name = reason.getName() if hasattr(reason, "getName") else str(reason)
        if name == UNSUPPORTED_PROTOCOL and self._settings.protocol == "auto" and self._v5:
            log.warning("the broker refuses MQTT 5; falling back to MQTT 3.1.1")
            threading.Thread(
                target=self._downgrade, args=(client,), name="gateway-mqtt-downgrade", daemon=True
            ).start()
            return
        log.error("the broker refused the connection: %s", name)

    def _downgrade(self, old: paho.Client) -> None:
        """paho fixes the protocol per client: make a 3.1.1 one."""
        old.disconnect()
        old.loop_stop()
        _close_wakeup_sockets(old)
        with self._lock:
            if self._stopping or self._client is not old:
                return
            self._v5 = False
            self._client = self._make_client()
            self._client.loop_start()

    def _disconnected_cb(
        self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        was_connected = self.connected
        self._connected.clear()
        if was_connected and not self._stopping:
            log.warning("disconnected from the broker: %s", reason)

    def _message_cb(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        try:
            topic: str | None = message.topic
        except UnicodeDecodeError:
            topic = None
        self._on_message(topic, bytes(message.payload), bool(message.retain))


def _close_wakeup_sockets(client: paho.Client) -> None:
    """paho 2.2 closes the socket pair `loop_start` made only in ``__del__``; close it now."""
    with contextlib.suppress(Exception):
        client._reset_sockets(sockpair_only=True)
