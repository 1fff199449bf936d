"""Helpers for the gateway tests: a fake link, event builders, ack readers."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from app.gateway.ingest import Inbound
from bridge_protocol import topics
from bridge_protocol.events import EVENT_MODELS, EventType
from bridge_protocol.messages import dump
from bridge_protocol.topics import TopicKind
from bridge_protocol.wire import new_boot_id, to_ms

BRUSSELS = ZoneInfo("Europe/Brussels")
ALWAYS_OPEN = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@dataclass(frozen=True)
class Sent:
    topic: str
    payload: bytes
    retain: bool
    expiry_s: float | None


@dataclass
class FakeLink:
    """Records what the gateway publishes; `connected = False` makes every publish fail."""

    connected: bool = True
    client: Any = None
    sent: list[Sent] = field(default_factory=list)

    def publish(
        self, topic: str, payload: bytes, *, retain: bool = False, expiry_s: float | None = None
    ) -> bool:
        if not self.connected:
            return False
        self.sent.append(Sent(topic, payload, retain, expiry_s))
        return True

    def on(self, topic: str) -> list[Sent]:
        return [s for s in self.sent if s.topic == topic]


class DeviceEvents:
    """Valid events of one device (one boot), as its outbox would send them."""

    def __init__(self, dev: str, *, boot: str | None = None, clock: str = "sync") -> None:
        self.dev = dev
        self.boot = boot or new_boot_id()
        self.clk = clock
        self._seq = itertools.count(1)

    def event(
        self, type_: str, data: dict[str, Any], *, at: dt.datetime | None = None, **envelope: Any
    ) -> bytes:
        at = at or dt.datetime.now(dt.UTC)
        seq = next(self._seq)
        body = {
            "id": str(uuid.uuid4()),
            "dev": self.dev,
            "boot": self.boot,
            "seq": seq,
            "ts": to_ms(at),
            "mono": seq * 1000,
            "clk": self.clk,
            "type": type_,
            "data": data,
        }
        body.update(envelope)
        return dump(EVENT_MODELS[EventType(type_)].model_validate(body))

    def decision(
        self, badge: str, *, granted: bool = True, member: int | None = None, **kw: Any
    ) -> bytes:
        data = {
            "badge": badge,
            "member": member,
            "granted": granted,
            "reason": "ok" if granted else "unknown_badge",
            "mode": "online",
        }
        return self.event("access.decision", data, **kw)

    def start(self, sid: str, member: int, badge: str = "04AA0001", **kw: Any) -> bytes:
        data = {"sid": sid, "member": member, "badge": badge, "mode": "online"}
        return self.event("session.start", data, **kw)

    def tick(self, sid: str, elapsed_s: int, *, busy_s: int = 0, **kw: Any) -> bytes:
        data = {
            "sid": sid,
            "elapsed_s": elapsed_s,
            "busy_s": busy_s,
            "idle_s": elapsed_s - busy_s,
            "busy": busy_s > 0,
        }
        return self.event("session.tick", data, **kw)

    def end(
        self, sid: str, elapsed_s: int, *, reason: str = "badge_out", busy_s: int = 0, **kw: Any
    ) -> bytes:
        data = {
            "sid": sid,
            "reason": reason,
            "elapsed_s": elapsed_s,
            "busy_s": busy_s,
            "idle_s": elapsed_s - busy_s,
        }
        return self.event("session.end", data, **kw)


def inbound(
    dev: str, payload: bytes, kind: TopicKind = TopicKind.EVENT, at: dt.datetime | None = None
) -> Inbound:
    return Inbound(kind, dev, payload, at or dt.datetime.now(dt.UTC))


def acks_for(link: FakeLink, dev: str) -> list[dict[str, Any]]:
    return [json.loads(s.payload) for s in link.on(topics.event_ack(dev))]


def acked_ids(link: FakeLink, dev: str) -> list[str]:
    return [i for ack in acks_for(link, dev) for i in ack["ids"]]


def event_id(payload: bytes) -> str:
    return str(json.loads(payload)["id"])
