"""Event envelopes: every event the bridge reports is built here and written to the outbox.

`EventRecorder.record(data)` takes the ``data`` model of one event type
(`bridge_protocol.events`), wraps it in the envelope (``v, id, dev, boot, seq,
ts, mono, clk, type``), commits it to the outbox and then tells its listeners
(the outbox sender) that there is something to send. ``mono`` counts from the
start of this process (the ``boot``); ``clk`` says whether ``ts`` can be trusted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bridge_protocol.codec import WireModel, dump
from bridge_protocol.events import (
    EVENT_MODELS,
    AccessDecision,
    EventEnvelope,
    SessionEnd,
    SessionStart,
    SessionTick,
)
from bridge_protocol.limits import MAX_EVENT_BYTES
from bridge_protocol.reasons import DecisionReason
from bridge_protocol.wire import new_uuid
from firmware_bridge.clock import Clock
from firmware_bridge.db import SqlAction
from firmware_bridge.outbox_table import Retention
from firmware_bridge.store import Store

logger = logging.getLogger(__name__)

_ENVELOPE_BY_DATA: dict[type, type[EventEnvelope]] = {
    model.model_fields["data"].annotation: model  # type: ignore[misc]
    for model in EVENT_MODELS.values()
}
_FLOOD_REASONS = frozenset({DecisionReason.UNKNOWN_BADGE, DecisionReason.RATE_LIMITED})


def retention_of(data: WireModel) -> Retention:
    """Sessions and granted decisions are never dropped; unknown-badge denials go first."""
    if isinstance(data, SessionStart | SessionTick | SessionEnd):
        return Retention.KEEP
    if isinstance(data, AccessDecision):
        if data.granted:
            return Retention.KEEP
        if data.reason in _FLOOD_REASONS:
            return Retention.DROP_FIRST
    return Retention.DROPPABLE


@dataclass(frozen=True)
class Recorded:
    id: str
    seq: int
    stored: bool


class EventRecorder:
    def __init__(self, *, store: Store, clock: Clock, device_id: str, boot: str) -> None:
        self._store = store
        self._clock = clock
        self.device_id = device_id
        self.boot = boot
        self._start_mono = clock.mono_ms()
        self._listeners: list[Callable[[], object]] = []

    def add_listener(self, callback: Callable[[], object]) -> None:
        """`callback()` runs after each event is committed (outside the store lock)."""
        self._listeners.append(callback)

    def uptime_ms(self) -> int:
        return max(self._clock.mono_ms() - self._start_mono, 0)

    def record(self, data: WireModel, *, also: SqlAction | None = None) -> Recorded | None:
        """Commit one event to the outbox; None (logged) if it could not be written."""
        envelope = _ENVELOPE_BY_DATA.get(type(data))
        if envelope is None:
            raise TypeError(f"{type(data).__name__} is not the data of an event type")
        event_id = new_uuid()
        fields: dict[str, Any] = {
            "id": event_id,
            "dev": self.device_id,
            "boot": self.boot,
            "ts": self._clock.wall_ms(),
            "mono": self.uptime_ms(),
            "clk": "sync" if self._clock.synced() else "unsync",
            "data": data,
        }

        def build(seq: int) -> bytes:
            payload = dump(envelope.model_validate({**fields, "seq": seq}))
            if len(payload) > MAX_EVENT_BYTES:
                raise ValueError(f"event of {len(payload)} bytes is over {MAX_EVENT_BYTES}")
            return payload

        event_type = str(envelope.model_fields["type"].default)
        try:
            appended = self._store.outbox.append(
                event_id=event_id,
                event_type=event_type,
                retention=retention_of(data),
                build=build,
                also=also,
            )
        except Exception:
            logger.exception("could not write a %s event to the outbox", event_type)
            return None
        if not appended.stored:
            logger.warning("outbox full: %s event dropped", event_type)
        self._notify()
        return Recorded(id=event_id, seq=appended.seq, stored=appended.stored)

    def _notify(self) -> None:
        for listener in self._listeners:
            try:
                listener()
            except Exception:
                logger.exception("outbox listener failed")
