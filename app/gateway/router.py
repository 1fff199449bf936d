"""What paho's thread does with each message: check the topic and the size, then route.

Access requests are answered here, at once; events, statuses and command acks
go to the ingest worker's queue. Anything else (a foreign topic, an oversize
or empty payload, a full queue) is dropped, logged and counted. The router
never raises: the link's guard would catch it, but it has no reason to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bridge_protocol import topics
from bridge_protocol.limits import MAX_PAYLOAD_BYTES
from bridge_protocol.topics import Direction, TopicKind

from .auth import AuthResponder
from .ingest import Inbound, IngestWorker, utc_now
from .rejects import Rejects

OTHER = "other"


class Router:
    def __init__(
        self,
        *,
        auth: AuthResponder,
        ingest: IngestWorker,
        rejects: Rejects,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self._auth = auth
        self._ingest = ingest
        self._rejects = rejects
        self._clock = clock

    def route(self, topic: str | None, payload: bytes, retained: bool) -> None:
        parsed = topics.parse_device_topic(topic) if topic is not None else None
        if parsed is None or parsed.direction is not Direction.UP:
            self._rejects(OTHER, "bad_topic")
            return
        kind, dev = parsed.kind, parsed.dev
        if len(payload) > MAX_PAYLOAD_BYTES[kind]:
            self._rejects(str(kind), "too_large", dev)
            return
        if not payload:
            # An empty retained status is a cleared topic (a deleted device), not a message.
            self._rejects(str(kind), "empty", dev)
            return
        if kind is TopicKind.AUTH_REQUEST:
            self._auth.handle(dev, payload)
            return
        if not self._ingest.submit(Inbound(kind, dev, payload, self._clock())):
            self._rejects(str(kind), "queue_full", dev)
