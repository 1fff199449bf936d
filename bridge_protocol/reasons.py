"""Reason codes, one list for both sides of the wire.

`DecisionReason` and `SessionEndReason` are closed lists: a message with any
other value is invalid. The refusal codes a device reports back (command
refusals, allow-list rejections) and the codes the server uses to reject events
travel as short free-form codes (see `wire.Code`), so that a new code on one side
never makes the other side drop a whole acknowledgement; the enums below list
the codes this version uses.
"""

from __future__ import annotations

from enum import StrEnum


class DecisionReason(StrEnum):
    """Why an access decision came out the way it did; only ``ok`` grants."""

    OK = "ok"
    UNKNOWN_BADGE = "unknown_badge"
    BADGE_INACTIVE = "badge_inactive"
    MEMBER_INACTIVE = "member_inactive"
    TENANT_INACTIVE = "tenant_inactive"
    CONTRACT_ENDED = "contract_ended"
    RESOURCE_UNAVAILABLE = "resource_unavailable"
    LOCKED_OUT = "locked_out"
    NOT_QUALIFIED = "not_qualified"
    OUTSIDE_HOURS = "outside_hours"
    NO_BOOKING = "no_booking"
    STALE_CACHE = "stale_cache"
    RATE_LIMITED = "rate_limited"


class SessionEndReason(StrEnum):
    BADGE_OUT = "badge_out"
    IDLE_TIMEOUT = "idle_timeout"
    MAX_DURATION = "max_duration"
    TAKEOVER = "takeover"
    REMOTE_POWER_OFF = "remote_power_off"
    LOCKED_OUT = "locked_out"
    REBOOT_RECOVERED = "reboot_recovered"
    ORPHANED = "orphaned"


class CommandRefusal(StrEnum):
    """Why a device refused a command (``reason`` of a refused command ack)."""

    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_KID = "unknown_kid"
    MALFORMED = "malformed"
    INVALID = "invalid"
    UNSUPPORTED_VERSION = "unsupported_version"
    FOREIGN_DEV = "foreign_dev"
    EXPIRED = "expired"
    REPLAYED = "replayed"
    RETAINED = "retained"
    CLOCK_UNSYNC = "clock_unsync"
    NOT_APPLICABLE = "not_applicable"
    MACHINE_BUSY = "machine_busy"
    HARDWARE_ERROR = "hardware_error"


class AclRejection(StrEnum):
    """Why a device refused an allow-list (``reason`` of an ``acl.rejected`` event)."""

    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_KID = "unknown_kid"
    MALFORMED = "malformed"
    INVALID = "invalid"
    UNSUPPORTED_VERSION = "unsupported_version"
    FOREIGN_DEV = "foreign_dev"
    EXPIRED = "expired"
    OLD_VERSION = "old_version"
    TOO_LARGE = "too_large"


class EventRejection(StrEnum):
    """Why the server refused an event (``reason`` in ``down/ack`` ``rejected``)."""

    INVALID = "invalid"
    UNSUPPORTED_VERSION = "unsupported_version"
    FOREIGN_DEV = "foreign_dev"
