"""Words for the codes the devices report, in the reader's language (unknown codes show as is)."""

from flask_babel import lazy_gettext as _l

EVENT_TYPES = {
    "access.decision": _l("badge scanned"),
    "session.start": _l("session started"),
    "session.tick": _l("session running"),
    "session.end": _l("session ended"),
    "door.opened": _l("door opened"),
    "door.closed": _l("door closed"),
    "door.held_open": _l("door held open"),
    "door.forced": _l("door forced"),
    "acl.applied": _l("allow-list applied"),
    "acl.rejected": _l("allow-list refused"),
    "reader.error": _l("badge reader error"),
    "cmd.executed": _l("command executed"),
}

REASONS = {
    # decisions
    "ok": _l("allowed"),
    "unknown_badge": _l("unknown badge"),
    "badge_inactive": _l("badge revoked"),
    "member_inactive": _l("member deactivated"),
    "tenant_inactive": _l("company deactivated"),
    "contract_ended": _l("contract ended"),
    "resource_unavailable": _l("resource unavailable"),
    "locked_out": _l("locked out"),
    "not_qualified": _l("no valid training"),
    "outside_hours": _l("outside opening hours"),
    "no_booking": _l("no booking now"),
    "stale_cache": _l("allow-list out of date"),
    "rate_limited": _l("too many scans"),
    # command refusals and expiry
    "bad_signature": _l("bad signature"),
    "unknown_kid": _l("unknown server key"),
    "malformed": _l("malformed"),
    "invalid": _l("invalid"),
    "unsupported_version": _l("unsupported version"),
    "foreign_dev": _l("meant for another device"),
    "expired": _l("too late"),
    "replayed": _l("sent twice"),
    "retained": _l("retained message"),
    "clock_unsync": _l("device clock not synchronised"),
    "not_applicable": _l("not for this kind of device"),
    "machine_busy": _l("machine busy"),
    "hardware_error": _l("hardware error"),
    "device_deleted": _l("device deleted"),
}

COMMAND_STATES = {
    "queued": _l("queued"),
    "sent": _l("sent"),
    "acked": _l("done"),
    "refused": _l("refused by the device"),
    "expired": _l("expired"),
}

COMMAND_NAMES = {
    "unlock": _l("unlock"),
    "power_off": _l("power off"),
    "lockout": _l("lockout"),
    "resync": _l("resync"),
}
