"""Sending the outbox: oldest first, while the server is online, until an ack names each event.

* `pump` publishes what is due: events never sent in this process, and events
  sent more than ``policy.resend_s`` (30 s) ago without an ack; at most
  `window` events wait for an ack at a time, so a long backlog after an outage
  trickles out instead of flooding the broker's queue.
* `resend_all` makes every unacked event due at once: after each connect and
  whenever ``server/status`` turns ``online``, and on a ``resync`` command.
* `on_ack` handles ``down/ack``: ids stored by the server are deleted; rejected
  ones move to the dead letters (counted, never resent); ids the outbox no
  longer holds (duplicate or out-of-order acks) change nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from bridge_protocol import topics
from bridge_protocol.codec import parse
from bridge_protocol.status import EventAck
from firmware_bridge.clock import Clock
from firmware_bridge.ports import Link, Presence
from firmware_bridge.store import Store

logger = logging.getLogger(__name__)


class OutboxSender:
    def __init__(
        self,
        *,
        store: Store,
        link: Link,
        presence: Presence,
        clock: Clock,
        device_id: str,
        resend_s: int = 30,
        window: int = 50,
    ) -> None:
        self._store = store
        self._link = link
        self._presence = presence
        self._clock = clock
        self._topic = topics.events(device_id)
        self.resend_ms = resend_s * 1000
        self.window = window
        self._lock = threading.Lock()
        self._count_listeners: list[Callable[[], None]] = []

    def add_count_listener(self, callback: Callable[[], None]) -> None:
        """`callback()` runs when an ack changed the outbox or dead-letter counts."""
        self._count_listeners.append(callback)

    def pump(self) -> int:
        """Publish the events that are due; returns how many went out."""
        if not self._presence.server_online:
            return 0
        with self._lock:
            now = self._clock.mono_ms()
            cutoff = now - self.resend_ms
            room = self.window - self._store.outbox.in_flight(sent_after=cutoff)
            if room <= 0:
                return 0
            sent = []
            for row in self._store.outbox.due(resend_before=cutoff, limit=room):
                if not self._link.publish(self._topic, row.payload):
                    break
                sent.append(row.id)
            if sent:
                self._store.outbox.mark_sent(sent, at=now)
        if sent:
            logger.debug("%d events sent", len(sent))
        return len(sent)

    def resend_all(self) -> int:
        self._store.outbox.unsend_all()
        return self.pump()

    def on_ack(self, payload: bytes) -> None:
        """Handle ``down/ack``; raises ProtocolError for a payload that must be dropped."""
        ack = parse(EventAck, payload)
        deleted = self._store.outbox.ack(ack.ids)
        now = self._clock.wall_ms()
        dead = 0
        for rejected in ack.rejected:
            if self._store.outbox.reject(rejected.id, rejected.reason, at_wall_ms=now):
                dead += 1
                logger.error("event %s rejected by the server: %s", rejected.id, rejected.reason)
        if deleted or dead:
            for listener in self._count_listeners:
                try:
                    listener()
                except Exception:
                    logger.exception("outbox count listener failed")
        self.pump()
