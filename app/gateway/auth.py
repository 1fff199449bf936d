"""Online access requests (``up/req/auth``), answered on paho's thread from memory.

The device id is the topic's; a request naming another device is refused, one
past its ``exp`` dropped. The decision comes from the last complete snapshot
(`decide`): no database, no writes. The signed response echoes ``req`` and
copies the request's ``exp`` (the device checks it against its own clock).
A device asking more often than ``GATEWAY_AUTH_RATE_PER_S`` (bursts of twice
that) is not answered: it decides from its allow-list.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from app.services.access.decide import decide
from bridge_protocol import topics
from bridge_protocol.access import AccessRequest, AccessResponse
from bridge_protocol.errors import ProtocolError
from bridge_protocol.messages import parse
from bridge_protocol.signing import Signer
from bridge_protocol.wire import from_ms, now_ms

from .link import Publisher
from .metrics import GatewayMetrics
from .rejects import Rejects
from .snapshots import SnapshotHolder

log = logging.getLogger(__name__)
KIND = str(topics.TopicKind.AUTH_REQUEST)


class RateLimiter:
    """A token bucket per device."""

    def __init__(self, rate_per_s: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = rate_per_s
        self._burst = max(1.0, 2 * rate_per_s)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        if self._rate <= 0:
            return True
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self._burst, now))
            tokens = min(self._burst, tokens + (now - last) * self._rate)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - 1, now)
            return True


class AuthResponder:
    def __init__(
        self,
        *,
        snapshots: SnapshotHolder,
        signer: Signer,
        publisher: Publisher,
        metrics: GatewayMetrics,
        rejects: Rejects,
        limiter: RateLimiter,
        clock_ms: Callable[[], int] = now_ms,
    ) -> None:
        self._snapshots = snapshots
        self._signer = signer
        self._publisher = publisher
        self._metrics = metrics
        self._rejects = rejects
        self._limiter = limiter
        self._clock_ms = clock_ms

    def handle(self, dev: str, payload: bytes) -> None:
        try:
            request = parse(AccessRequest, payload)
        except ProtocolError as exc:
            self._reject(dev, exc.reason)
            return
        if request.dev != dev:
            self._reject(dev, "foreign_dev")
            return
        now = self._clock_ms()
        if now >= request.exp:
            self._metrics.auth_expired.inc()
            log.debug("request %s from %s expired %d ms ago", request.req, dev, now - request.exp)
            return
        if not self._limiter.allow(dev):
            self._reject(dev, "rate_limited")
            return
        snapshot = self._snapshots.current
        if snapshot is None:
            self._reject(dev, "no_snapshot")
            return
        decision = decide(snapshot, device_id=dev, badge_uid=request.badge, now=from_ms(now))
        body = AccessResponse(
            dev=dev,
            iat=now,
            exp=request.exp,
            req=request.req,
            granted=decision.granted,
            reason=decision.reason,
            member=decision.member_id,
            staff=decision.staff,
            max_s=decision.max_s,
        )
        if self._publisher.publish(topics.auth_response(dev), self._signer.sign(body)):
            self._metrics.auth_answered.inc(reason=decision.reason.value)
        else:
            self._reject(dev, "not_published")

    def _reject(self, dev: str, reason: str) -> None:
        self._rejects(KIND, reason, dev)
