"""The small interfaces the controllers talk to, so tests can replace the broker and the lights.

* `Link`: publish to the broker and say whether we are connected
  (`firmware_bridge.mqtt.MqttLink`, or a fake in tests).
* `Presence`: whether the server can answer now (connected and the retained
  ``server/status`` says ``online``), with listeners for changes.
* `Feedback`: what a person at the reader sees and hears (`StatusLight`, or nothing).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

logger = logging.getLogger(__name__)


class Link(Protocol):
    @property
    def connected(self) -> bool: ...

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> bool:
        """Hand one QoS 1 message to the client; False if it could not be queued."""
        ...

    def resubscribe(self) -> None:
        """Subscribe again, so the broker sends the retained messages again."""
        ...


class Feedback(Protocol):
    def granted(self, seconds: float = 3.0) -> None: ...

    def denied(self, seconds: float = 2.0) -> None: ...

    def idle(self) -> None: ...

    def offline(self) -> None: ...

    def error(self) -> None: ...

    def warn(self, seconds_left: int) -> None:
        """A session will be stopped in `seconds_left` seconds."""
        ...


class NoFeedback:
    """For a Pi without a status light."""

    def granted(self, seconds: float = 3.0) -> None:
        pass

    def denied(self, seconds: float = 2.0) -> None:
        pass

    def idle(self) -> None:
        pass

    def offline(self) -> None:
        pass

    def error(self) -> None:
        pass

    def warn(self, seconds_left: int) -> None:
        pass


class Presence:
    """Tracks the broker connection and the server status; tells listeners when either changes.

    The server counts as online only while connected and after a ``server/status``
    of ``online`` arrived on this connection (it is retained, so it comes right
    after subscribing). Listeners get ``(online: bool)`` and run outside the lock.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connected = False
        self._server_online = False
        self._listeners: list[Callable[[bool], None]] = []

    def add_listener(self, callback: Callable[[bool], None]) -> None:
        self._listeners.append(callback)

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def server_online(self) -> bool:
        """True when an access request can be answered and events acknowledged."""
        with self._lock:
            return self._connected and self._server_online

    def link_up(self) -> None:
        self._change(connected=True, server=False)

    def link_down(self) -> None:
        self._change(connected=False, server=False)

    def server_status(self, online: bool) -> None:
        self._change(connected=None, server=online)

    def _change(self, *, connected: bool | None, server: bool) -> None:
        with self._lock:
            before = self._connected and self._server_online
            if connected is not None:
                self._connected = connected
            self._server_online = server
            after = self._connected and self._server_online
        if after != before:
            logger.info("server %s", "online" if after else "offline")
            for listener in self._listeners:
                try:
                    listener(after)
                except Exception:
                    logger.exception("presence listener failed")
