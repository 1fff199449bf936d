"""The allow-list a device decides from when the server cannot answer in time.

The server sends one signed, retained snapshot per device on ``down/acl``. A
device applies a snapshot only if its ``ver`` is above the one it applied last,
and keeps it across reboots. `decide_offline` is the rule every device follows;
docs/protocol.md explains it for people.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field, model_validator

from bridge_protocol.bodies import SignedBody
from bridge_protocol.codec import PY_LAX, WireModel
from bridge_protocol.limits import MAX_ACL_BYTES, MAX_ACL_ENTRIES, MAX_ACL_TTL_MS, MAX_INTERVALS
from bridge_protocol.reasons import DecisionReason
from bridge_protocol.wire import MAX_SAFE_INT, BadgeHmac, EpochMs, MemberId, Seconds


class StalePolicy(StrEnum):
    """What a device does once its allow-list has expired (or it has none)."""

    DENY_ALL = "deny_all"
    STAFF_ONLY = "staff_only"
    KEEP = "keep"


_STRICTNESS = {StalePolicy.DENY_ALL: 0, StalePolicy.STAFF_ONLY: 1, StalePolicy.KEEP: 2}


def stricter(a: StalePolicy, b: StalePolicy) -> StalePolicy:
    """The stricter of two policies: the device config may tighten the server's, never loosen."""
    return a if _STRICTNESS[a] <= _STRICTNESS[b] else b


def _ordered_pair(pair: tuple[int, int]) -> tuple[int, int]:
    if pair[0] >= pair[1]:
        raise ValueError("an interval's start must be before its end")
    return pair


def _sorted_disjoint(intervals: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    for earlier, later in itertools.pairwise(intervals):
        if later[0] < earlier[1]:
            raise ValueError("intervals must be sorted and must not overlap")
    return intervals


Interval = Annotated[
    tuple[EpochMs, EpochMs],
    PY_LAX,
    AfterValidator(_ordered_pair),
    Field(description="[start, end) in ms since the epoch, UTC"),
]
Intervals = Annotated[
    tuple[Interval, ...],
    PY_LAX,
    Field(max_length=MAX_INTERVALS),
    AfterValidator(_sorted_disjoint),
]


def _contains(intervals: tuple[tuple[int, int], ...], now_ms: int) -> bool:
    index = bisect.bisect_right(intervals, (now_ms, 2**63)) - 1
    return index >= 0 and intervals[index][0] <= now_ms < intervals[index][1]


AclVersion = Annotated[int, Field(ge=1, le=MAX_SAFE_INT)]


class AllowEntry(WireModel):
    badge: BadgeHmac
    member: MemberId
    staff: bool = Field(default=False, description="a manager: passes lockouts and stale lists")
    offline_ok: bool = Field(default=True, description="may be admitted without the server")
    max_s: Seconds | None = Field(default=None, description="longest session, machines only")
    valid: Intervals = Field(description="when the entry admits (building hours, bookings)")
    outside_reason: Literal["outside_hours", "no_booking"] = Field(
        default="outside_hours", description="the reason given outside every interval"
    )

    def is_valid_at(self, now_ms: int) -> bool:
        return _contains(self.valid, now_ms)


class AllowList(SignedBody):
    """Signed body on ``down/acl``."""

    MAX_BYTES: ClassVar[int] = MAX_ACL_BYTES
    MAX_TTL_MS: ClassVar[int] = MAX_ACL_TTL_MS

    type: Literal["acl"] = "acl"
    ver: AclVersion = Field(description="grows with every snapshot for this device")
    locked_out: bool = Field(default=False, description="resource locked out: staff only")
    unlock: Intervals = Field(default=(), description="when a door stays unlocked")
    stale_policy: Annotated[StalePolicy, PY_LAX]
    entries: Annotated[tuple[AllowEntry, ...], PY_LAX] = Field(max_length=MAX_ACL_ENTRIES)

    @model_validator(mode="after")
    def _one_entry_per_badge(self) -> AllowList:
        if len({entry.badge for entry in self.entries}) != len(self.entries):
            raise ValueError("a badge appears in more than one entry")
        return self

    @cached_property
    def _by_badge(self) -> dict[str, AllowEntry]:
        return {entry.badge: entry for entry in self.entries}

    def lookup(self, badge_hmac: str) -> AllowEntry | None:
        return self._by_badge.get(badge_hmac)

    def is_unlocked_at(self, now_ms: int) -> bool:
        """Whether the door stays unlocked now; never on an expired list."""
        return now_ms < self.exp and _contains(self.unlock, now_ms)

    def is_newer_than(self, applied_ver: int | None) -> bool:
        return applied_ver is None or self.ver > applied_ver


WEEK_MS = 7 * 86_400_000


@dataclass(frozen=True)
class OfflineDecision:
    granted: bool
    reason: DecisionReason
    entry: AllowEntry | None


def decide_offline(
    allow_list: AllowList | None,
    badge_hmac: str,
    *,
    now_ms: int | None,
    device_policy: StalePolicy,
) -> OfflineDecision:
    """Decide from the allow-list alone (docs/protocol.md, "Deciding offline").

    `now_ms` is None when the device clock is not synchronised: the list then
    counts as stale, because neither its expiry nor its intervals can be checked.
    """
    entry = allow_list.lookup(badge_hmac) if allow_list is not None else None
    if allow_list is not None and now_ms is not None and now_ms < allow_list.exp:
        return _decide(allow_list, entry, now_ms)
    policy = device_policy
    if allow_list is not None:
        policy = stricter(allow_list.stale_policy, device_policy)
    if policy is StalePolicy.KEEP and allow_list is not None and now_ms is not None:
        return _decide(allow_list, entry, replay_time(allow_list, now_ms))
    if policy is not StalePolicy.DENY_ALL and entry is not None and entry.staff:
        return OfflineDecision(True, DecisionReason.OK, entry)
    return _deny(DecisionReason.STALE_CACHE, entry)


def replay_time(allow_list: AllowList, now_ms: int) -> int:
    """`now_ms` moved back by whole weeks to before the list's ``exp``.

    Under the ``keep`` policy an expired list is read as if the week it covered
    repeated: building hours keep working through a long outage.
    """
    weeks = (now_ms - allow_list.exp) // WEEK_MS + 1
    return now_ms - max(weeks, 0) * WEEK_MS


def _decide(allow_list: AllowList, entry: AllowEntry | None, at_ms: int) -> OfflineDecision:
    staff = entry is not None and entry.staff
    if allow_list.locked_out and not staff:
        return _deny(DecisionReason.LOCKED_OUT, entry)
    if entry is None:
        return _deny(DecisionReason.UNKNOWN_BADGE, None)
    if not entry.offline_ok:
        return _deny(DecisionReason.STALE_CACHE, entry)
    if staff or entry.is_valid_at(at_ms):
        return OfflineDecision(True, DecisionReason.OK, entry)
    return _deny(DecisionReason(entry.outside_reason), entry)


def _deny(reason: DecisionReason, entry: AllowEntry | None) -> OfflineDecision:
    return OfflineDecision(False, reason, entry)
