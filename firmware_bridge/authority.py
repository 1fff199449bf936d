"""Access decisions: ask the server first when it is online, else decide from the allow-list.

`Authority.decide(uid)`:

1. A badge missing from the allow-list uses up a token of the unknown-badge
   limiter; with none left it is denied ``rate_limited`` at once, without
   asking anyone (a flood of unknown cards costs neither the server nor the outbox).
2. While the server is online (`Presence.server_online`) an access request
   goes out (`OnlineAsker`); only a signed response that verifies, names this
   device and echoes the one pending ``req`` before the timeout
   (``mqtt.request_timeout_ms``) decides (mode ``online``).
3. Otherwise `bridge_protocol.acl.decide_offline` decides from the list in force
   (mode ``cache`` when the server was asked but silent, ``offline`` when it could
   not be asked), at the time the cache trusts (`AllowListCache.list_now_ms`),
   with the lockout state in force and the stale policy of the config.

A lockout applied by command also overrides a server's grant to a non-staff badge.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from bridge_protocol import topics
from bridge_protocol.access import AccessRequest, AccessResponse
from bridge_protocol.acl import AllowEntry, StalePolicy, decide_offline
from bridge_protocol.badge_keys import badge_hmac
from bridge_protocol.codec import dump
from bridge_protocol.events import AccessDecision, DecisionMode
from bridge_protocol.limits import MAX_AUTH_REQUEST_TTL_MS
from bridge_protocol.reasons import DecisionReason
from bridge_protocol.signing import Verifier, open_signed
from bridge_protocol.wire import new_uuid
from firmware_bridge.acl_cache import AllowListCache
from firmware_bridge.clock import Clock
from firmware_bridge.ports import Link, Presence
from firmware_bridge.resource import ResourceState

logger = logging.getLogger(__name__)

REQUEST_TTL_MS = 2_000


@dataclass(frozen=True)
class Decision:
    badge: str
    granted: bool
    reason: DecisionReason
    mode: DecisionMode
    member: int | None = None
    staff: bool = False
    max_s: int | None = None
    req: str | None = None
    acl_ver: int | None = None
    entry: AllowEntry | None = None

    def event(self) -> AccessDecision:
        return AccessDecision(
            badge=self.badge,
            member=self.member,
            granted=self.granted,
            reason=self.reason,
            mode=self.mode,
            req=self.req,
            acl_ver=self.acl_ver,
        )


class UnknownBadgeLimiter:
    """A token bucket: `burst` unknown badges at once, refilled at `per_minute`."""

    def __init__(self, clock: Clock, *, burst: int = 10, per_minute: float = 10.0) -> None:
        self._clock = clock
        self._burst = float(burst)
        self._rate_per_ms = per_minute / 60_000
        self._tokens = float(burst)
        self._at = clock.mono_ms()
        self._lock = threading.Lock()

    def allow(self) -> bool:
        with self._lock:
            now = self._clock.mono_ms()
            self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate_per_ms)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False


@dataclass
class _Pending:
    req: str
    event: threading.Event
    response: AccessResponse | None = None


class OnlineAsker:
    """One access request at a time, and the response that answers it."""

    def __init__(
        self, *, device_id: str, link: Link, verifier: Verifier, clock: Clock, timeout_ms: int
    ) -> None:
        self._dev = device_id
        self._link = link
        self._verifier = verifier
        self._clock = clock
        self.timeout_ms = timeout_ms
        self._ttl_ms = min(max(REQUEST_TTL_MS, timeout_ms + 500), MAX_AUTH_REQUEST_TTL_MS)
        self._lock = threading.Lock()
        self._pending: _Pending | None = None

    def ask(self, uid: str) -> tuple[str, AccessResponse | None]:
        """Send a request and wait for its answer; (req, None) when none came in time."""
        ts = self._clock.wall_ms()
        request = AccessRequest(
            req=new_uuid(), dev=self._dev, badge=uid, ts=ts, exp=ts + self._ttl_ms
        )
        pending = _Pending(request.req, threading.Event())
        with self._lock:
            self._pending = pending  # a new scan replaces any older request
        answered = False
        if self._link.publish(topics.auth_request(self._dev), dump(request)):
            answered = self._clock.wait(pending.event, self.timeout_ms / 1000)
        with self._lock:
            if self._pending is pending:
                self._pending = None
        return request.req, pending.response if answered else None

    def on_response(self, payload: bytes) -> None:
        """Handle ``down/res/auth``; raises ProtocolError for what must be dropped."""
        now = self._clock.wall_ms() if self._clock.synced() else None
        body = open_signed(
            payload, self._verifier, AccessResponse, expect_dev=self._dev, now_ms=now
        )
        with self._lock:
            pending = self._pending
            if pending is None or pending.req != body.req:
                logger.info("access response for a request no longer pending; ignored")
                return
            pending.response = body
            self._pending = None
            pending.event.set()


class Authority:
    def __init__(
        self,
        *,
        badge_key: bytes,
        acl: AllowListCache,
        resource: ResourceState,
        presence: Presence,
        asker: OnlineAsker,
        device_policy: StalePolicy,
        limiter: UnknownBadgeLimiter,
    ) -> None:
        self._badge_key = badge_key
        self._acl = acl
        self._resource = resource
        self._presence = presence
        self.asker = asker
        self._policy = device_policy
        self._limiter = limiter

    def decide(self, uid: str) -> Decision:
        hmac = badge_hmac(self._badge_key, uid)
        allow_list = self._acl.current
        entry = allow_list.lookup(hmac) if allow_list is not None else None
        acl_ver = allow_list.ver if allow_list is not None else None
        online = self._presence.server_online
        if entry is None and not self._limiter.allow():
            logger.warning("unknown badges arrive too fast: denied without asking")
            return self.local_refusal(uid, DecisionReason.RATE_LIMITED)
        req = None
        if online:
            req, response = self.asker.ask(uid)
            if response is not None:
                return self._from_response(uid, response, entry)
        decided = decide_offline(
            self._resource.for_decisions(allow_list),
            hmac,
            now_ms=self._acl.list_now_ms(),
            device_policy=self._policy,
        )
        return Decision(
            badge=uid,
            granted=decided.granted,
            reason=decided.reason,
            mode=DecisionMode.CACHE if online else DecisionMode.OFFLINE,
            member=entry.member if entry is not None else None,
            staff=entry is not None and entry.staff,
            max_s=entry.max_s if entry is not None else None,
            req=req,
            acl_ver=acl_ver,
            entry=entry,
        )

    def local_refusal(self, uid: str, reason: DecisionReason) -> Decision:
        """A denial the device makes without a lookup (rate limit, a busy machine)."""
        online = self._presence.server_online
        return Decision(
            badge=uid,
            granted=False,
            reason=reason,
            mode=DecisionMode.CACHE if online else DecisionMode.OFFLINE,
            acl_ver=self._acl.ver,
        )

    def on_response(self, payload: bytes) -> None:
        self.asker.on_response(payload)

    def _from_response(
        self, uid: str, response: AccessResponse, entry: AllowEntry | None
    ) -> Decision:
        granted, reason = response.granted, response.reason
        if granted and not response.staff and self._resource.locked_out:
            granted, reason = False, DecisionReason.LOCKED_OUT
        return Decision(
            badge=uid,
            granted=granted,
            reason=reason,
            mode=DecisionMode.ONLINE,
            member=response.member,
            staff=response.staff,
            max_s=response.max_s,
            req=response.req,
            entry=entry,
        )
