"""Broker URLs and a plain paho connection for the server side's tools.

``mqtt[s]://user:password@host:port`` (user and password percent-encoded):
`BrokerUrl.parse` reads it, `public` drops the credentials. `connect` makes
a paho 2.x client the way the contract asks (VERSION2 callbacks, Nagle off,
MQTT 5 falling back to 3.1.1) and waits for the broker's answer; `disconnect`
stops it and closes every socket it made.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion


class BrokerUnreachable(ConnectionError):
    """The broker refused the connection or did not answer."""


@dataclass(frozen=True)
class BrokerUrl:
    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> BrokerUrl:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise ValueError("the broker URL is not a valid URL") from None
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError("the broker URL must look like mqtt://user:password@host:port")
        return cls(
            scheme=parts.scheme,
            host=parts.hostname,
            port=port or (8883 if parts.scheme == "mqtts" else 1883),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )

    @property
    def tls(self) -> bool:
        return self.scheme == "mqtts"

    @property
    def public(self) -> str:
        """The URL without credentials, safe to log or to give a device."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def _nodelay(_client: Any, _userdata: Any, sock: Any) -> None:
    with contextlib.suppress(OSError, AttributeError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _Connack:
    """Waits for the broker's answer to CONNECT (paho calls `on_connect` from its thread)."""

    def __init__(self) -> None:
        self.answered = threading.Event()
        self.accepted = threading.Event()
        self.reason = "no answer"

    def on_connect(self, _c: Any, _u: Any, _flags: Any, reason: Any, _props: Any) -> None:
        self.reason = str(reason)
        if not reason.is_failure:
            self.accepted.set()
        self.answered.set()


def connect(
    url: str | BrokerUrl,
    *,
    client_id: str | None = None,
    ca_file: str | None = None,
    keepalive: int = 30,
    timeout: float = 10.0,
) -> mqtt.Client:
    """A connected client with its network loop running; raise `BrokerUnreachable`.

    Under ``use_username_as_clientid`` the broker names the client after its
    username: never connect with the account of a process that is running.
    """
    broker = url if isinstance(url, BrokerUrl) else BrokerUrl.parse(url)
    reason = "no answer"
    for protocol in (MQTTProtocolVersion.MQTTv5, MQTTProtocolVersion.MQTTv311):
        client = _new_client(broker, client_id=client_id, ca_file=ca_file, protocol=protocol)
        connack = _Connack()
        client.on_connect = connack.on_connect
        try:
            client.connect(broker.host, broker.port, keepalive=keepalive)
        except OSError as exc:
            disconnect(client)
            raise BrokerUnreachable(f"cannot reach {broker.public}: {exc}") from exc
        client.loop_start()
        if connack.answered.wait(timeout) and connack.accepted.is_set():
            client.on_connect = None
            return client
        disconnect(client)
        reason = connack.reason
        if connack.answered.is_set() and "protocol" not in reason.lower():
            break  # refused for another reason than the MQTT version: do not retry
    raise BrokerUnreachable(f"{broker.public} refused the connection: {reason}")


def _new_client(
    broker: BrokerUrl, *, client_id: str | None, ca_file: str | None, protocol: Any
) -> mqtt.Client:
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id or broker.username or "",
        protocol=protocol,
    )
    client.on_socket_open = _nodelay
    if broker.username is not None:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls:
        client.tls_set(ca_certs=ca_file, cert_reqs=ssl.CERT_REQUIRED)
    return client


def disconnect(client: mqtt.Client) -> None:
    """Disconnect, stop the loop, and close the wake-up sockets paho 2.2 leaves open."""
    with contextlib.suppress(Exception):
        client.disconnect()
    with contextlib.suppress(Exception):
        client.loop_stop()
    with contextlib.suppress(Exception):
        client._reset_sockets()
