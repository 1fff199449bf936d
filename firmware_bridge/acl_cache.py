"""The allow-list in force: verified, stored durably, swapped atomically, judged by a trusted time.

Applying a list (docs/protocol.md, "Allow-lists"): verify the signature, refuse
a foreign ``dev`` and (with a synchronised clock) an expired list, ignore the
same ``ver`` silently (the retained copy comes again at every reconnect), refuse
a lower ``ver`` (``old_version``), store it, then report ``acl.applied``. Every
refusal is reported as ``acl.rejected`` and the list in force stays.

Time: while the wall clock is synchronised the list is judged at the wall
clock. While it is not, the list is judged at "receipt time + monotonic time
since receipt", if it was received with a synchronised clock since the last OS
boot (the monotonic clock restarts with the OS); otherwise there is no trusted
time (`list_now_ms` is None) and `decide_offline` applies the stale policy.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, ValidationError

from bridge_protocol.acl import AllowEntry, AllowList
from bridge_protocol.codec import parse
from bridge_protocol.errors import ProtocolError
from bridge_protocol.events import AclApplied, AclRejected
from bridge_protocol.limits import MAX_ACL_BYTES
from bridge_protocol.reasons import AclRejection
from bridge_protocol.signing import Verifier
from firmware_bridge.clock import Clock
from firmware_bridge.events import EventRecorder
from firmware_bridge.store import Store, StoredAllowList

logger = logging.getLogger(__name__)

_REJECTION_BY_ERROR = {"bad_json": AclRejection.MALFORMED}


class _VerProbe(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    ver: int


class Rejected(Exception):
    def __init__(self, reason: str, ver: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.ver = ver


@dataclass(frozen=True)
class Receipt:
    wall_ms: int
    mono_ms: int
    os_boot: str
    synced: bool


@dataclass(frozen=True)
class _InForce:
    allow_list: AllowList
    receipt: Receipt


class AllowListCache:
    def __init__(
        self,
        *,
        store: Store,
        verifier: Verifier,
        device_id: str,
        clock: Clock,
        recorder: EventRecorder,
    ) -> None:
        self._store = store
        self._verifier = verifier
        self._dev = device_id
        self._clock = clock
        self._recorder = recorder
        self._in_force: _InForce | None = None
        self._apply_lock = threading.Lock()
        self._listeners: list[Callable[[AllowList], None]] = []
        # What the last `apply` did: "ok", "unchanged" or the rejection reason.
        self.last_outcome = "none"

    def add_listener(self, callback: Callable[[AllowList], None]) -> None:
        """`callback(list)` runs after a new list is in force."""
        self._listeners.append(callback)

    # Reading -------------------------------------------------------------------

    @property
    def current(self) -> AllowList | None:
        state = self._in_force
        return state.allow_list if state is not None else None

    @property
    def ver(self) -> int | None:
        state = self._in_force
        return state.allow_list.ver if state is not None else None

    def lookup(self, badge_hmac: str) -> AllowEntry | None:
        state = self._in_force
        return state.allow_list.lookup(badge_hmac) if state is not None else None

    def list_now_ms(self) -> int | None:
        """The time to judge the list at, or None when no time can be trusted."""
        if self._clock.synced():
            return self._clock.wall_ms()
        state = self._in_force
        if state is None:
            return None
        receipt = state.receipt
        if not receipt.synced or receipt.os_boot != self._clock.os_boot_id():
            return None
        return receipt.wall_ms + max(self._clock.mono_ms() - receipt.mono_ms, 0)

    # Loading and applying ------------------------------------------------------

    def load(self) -> None:
        """Take the stored list back into force, verifying it again (keys may have changed)."""
        stored = self._store.allow_list.load()
        if stored is None:
            logger.info("no allow-list stored yet")
            return
        try:
            allow_list = self._open(stored.payload)
        except Rejected as exc:
            logger.warning("stored allow-list v%s no longer accepted (%s)", stored.ver, exc.reason)
            self._store.allow_list.forget()
            self._recorder.record(AclRejected(ver=exc.ver, reason=exc.reason))
            return
        receipt = Receipt(
            stored.received_wall,
            stored.received_mono,
            stored.received_os_boot,
            stored.received_synced,
        )
        self._in_force = _InForce(allow_list, receipt)
        logger.info("allow-list v%d loaded (%d entries)", allow_list.ver, len(allow_list.entries))

    def apply(self, payload: bytes) -> bool:
        """Apply a list from ``down/acl``; True if it is now in force. Never raises on bad input."""
        with self._apply_lock:
            try:
                allow_list = self._open(payload)
                self._check_fresh(allow_list)
            except Rejected as exc:
                self._reject(exc)
                return False
            applied = self.ver
            if applied is not None and allow_list.ver == applied:
                logger.debug("allow-list v%d already in force", applied)
                self.last_outcome = "unchanged"
                return False
            if applied is not None and allow_list.ver < applied:
                self._reject(Rejected(AclRejection.OLD_VERSION, allow_list.ver))
                return False
            self._store_and_swap(allow_list, payload)
            self.last_outcome = "ok"
        self._recorder.record(
            AclApplied(ver=allow_list.ver, entries=len(allow_list.entries), exp=allow_list.exp)
        )
        logger.info("allow-list v%d applied (%d entries)", allow_list.ver, len(allow_list.entries))
        for listener in self._listeners:
            try:
                listener(allow_list)
            except Exception:
                logger.exception("allow-list listener failed")
        return True

    def _open(self, payload: bytes) -> AllowList:
        try:
            body = self._verifier.verify(payload, max_bytes=MAX_ACL_BYTES)
        except ProtocolError as exc:
            raise Rejected(_REJECTION_BY_ERROR.get(exc.reason, exc.reason)) from None
        try:
            allow_list = parse(AllowList, body)
        except ProtocolError as exc:
            raise Rejected(
                _REJECTION_BY_ERROR.get(exc.reason, exc.reason), _peek_ver(body)
            ) from None
        if allow_list.dev != self._dev:
            raise Rejected(AclRejection.FOREIGN_DEV, allow_list.ver)
        return allow_list

    def _check_fresh(self, allow_list: AllowList) -> None:
        if self._clock.synced() and self._clock.wall_ms() >= allow_list.exp:
            raise Rejected(AclRejection.EXPIRED, allow_list.ver)

    def _store_and_swap(self, allow_list: AllowList, payload: bytes) -> None:
        receipt = Receipt(
            wall_ms=self._clock.wall_ms(),
            mono_ms=self._clock.mono_ms(),
            os_boot=self._clock.os_boot_id(),
            synced=self._clock.synced(),
        )
        self._store.allow_list.save(
            StoredAllowList(
                ver=allow_list.ver,
                payload=bytes(payload),
                received_wall=receipt.wall_ms,
                received_mono=receipt.mono_ms,
                received_os_boot=receipt.os_boot,
                received_synced=receipt.synced,
            )
        )
        self._in_force = _InForce(allow_list, receipt)

    def _reject(self, exc: Rejected) -> None:
        self.last_outcome = str(exc.reason)
        logger.warning("allow-list refused: %s (ver %s)", exc.reason, exc.ver)
        self._recorder.record(AclRejected(ver=exc.ver, reason=str(exc.reason)))


def _peek_ver(body: str) -> int | None:
    try:
        ver = _VerProbe.model_validate_json(body).ver
    except ValidationError:
        return None
    return ver if 0 <= ver < 2**53 else None
