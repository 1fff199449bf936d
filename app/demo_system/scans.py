"""Present a badge to a simulated Pi: publish ``sim/<dev>/scan`` with the simulator's account.

Only the demo does this. In production the web app never publishes on MQTT
(the gateway is the server's one publisher, fed through the database); the
simulator account may publish nothing but these scan topics, and the
simulated bridges are the only ones that listen to them (``--simulate``).
The badge text is checked as the reader would (hex) before it is sent, so a
typo is answered here instead of vanishing as a ``reader.error``.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from bridge_protocol import topics
from bridge_protocol.badges import normalize
from bridge_protocol.codec import dump
from bridge_protocol.errors import BadgeFormatError
from bridge_protocol.status import SimScan

from .state import DemoState

TIMEOUT_S = 5.0


class ScanNotSent(RuntimeError):
    """The broker could not be reached, refused the login, or did not confirm the publish."""


def check_badge(raw: str) -> str:
    """The canonical UID of `raw` (hex, as printed on a card); ValueError if it is none."""
    try:
        return normalize(raw.strip(), "hex")
    except BadgeFormatError as exc:
        raise ValueError(str(exc)) from None


def publish_scan(state: DemoState, device_id: str, raw: str, *, timeout: float = TIMEOUT_S) -> str:
    """Publish one scan for `device_id`; return the canonical UID sent."""
    topic = topics.sim_scan(device_id)  # ValueError for an id outside the contract
    uid = check_badge(raw)
    payload = dump(SimScan(raw=uid, format="hex"))
    protocol = (
        MQTTProtocolVersion.MQTTv311 if state.protocol == "3.1.1" else MQTTProtocolVersion.MQTTv5
    )
    # A client id of its own: two scans at once must not evict each other (the
    # broker names a client after its username only where it is told to).
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=f"{state.simulator_username}-{uuid.uuid4().hex[:8]}",
        protocol=protocol,
    )
    client.username_pw_set(state.simulator_username, state.simulator_password)
    connected = threading.Event()
    outcome: dict[str, Any] = {}

    def on_connect(_c: Any, _u: Any, _flags: Any, reason: Any, _props: Any) -> None:
        outcome["reason"] = reason
        connected.set()

    client.on_connect = on_connect
    try:
        client.connect(state.host, state.port, keepalive=10)
    except OSError as exc:
        raise ScanNotSent(f"the demo's broker at {state.host}:{state.port}: {exc}") from None
    client.loop_start()
    try:
        if not connected.wait(timeout):
            raise ScanNotSent("the demo's broker did not answer")
        reason = outcome["reason"]
        if reason.is_failure:
            raise ScanNotSent(f"the demo's broker refused the simulator: {reason}")
        info = client.publish(topic, payload, qos=topics.QOS)
        info.wait_for_publish(timeout)
        if not info.is_published():
            raise ScanNotSent("the demo's broker did not confirm the scan")
    finally:
        with contextlib.suppress(Exception):
            client.disconnect()
        client.loop_stop()
    return uid
