"""Event acks per device, published only after the batch that stored the events committed."""

from __future__ import annotations

from dataclasses import dataclass, field

from bridge_protocol import topics
from bridge_protocol.limits import MAX_ACK_IDS, MAX_REJECTED
from bridge_protocol.messages import dump
from bridge_protocol.status import EventAck, RejectedEvent

from .link import Publisher


@dataclass
class _DeviceAcks:
    ids: dict[str, None] = field(default_factory=dict)  # ordered, without repeats
    rejected: dict[str, str] = field(default_factory=dict)


class AckBook:
    """What one batch acknowledges, by device."""

    def __init__(self) -> None:
        self._by_device: dict[str, _DeviceAcks] = {}

    def stored(self, dev: str, event_id: str) -> None:
        self._by_device.setdefault(dev, _DeviceAcks()).ids[event_id] = None

    def rejected(self, dev: str, event_id: str, reason: str) -> None:
        self._by_device.setdefault(dev, _DeviceAcks()).rejected.setdefault(event_id, reason)

    def messages(self) -> list[tuple[str, EventAck]]:
        """(topic, ack) pairs within the protocol's size limits."""
        out: list[tuple[str, EventAck]] = []
        for dev, acks in self._by_device.items():
            ids = list(acks.ids)
            rejected = [RejectedEvent(id=i, reason=r) for i, r in acks.rejected.items()]
            while ids or rejected:
                out.append(
                    (
                        topics.event_ack(dev),
                        EventAck(
                            ids=tuple(ids[:MAX_ACK_IDS]), rejected=tuple(rejected[:MAX_REJECTED])
                        ),
                    )
                )
                ids, rejected = ids[MAX_ACK_IDS:], rejected[MAX_REJECTED:]
        return out

    def publish(self, publisher: Publisher) -> int:
        """Publish every ack; returns how many messages went out."""
        sent = 0
        for topic, ack in self.messages():
            if publisher.publish(topic, dump(ack)):
                sent += 1
        return sent
