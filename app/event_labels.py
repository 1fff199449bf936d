"""Words for what devices report, for the dashboard's live view and a member's history.

The one place for this wording: the devices pages (app/blueprints/devices/labels.py
adds the command vocabulary), the dashboard's live view, a member's history and the
demo simulator read it from here. Unknown codes show as is.
"""

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
    # access decisions
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
    # how a session ended
    "badge_out": _l("badged out"),
    "idle_timeout": _l("idle too long"),
    "max_duration": _l("longest session reached"),
    "takeover": _l("taken over by another member"),
    "remote_power_off": _l("switched off remotely"),
    "reboot_recovered": _l("device restarted"),
    "orphaned": _l("device stopped reporting"),
}

ALERT_KINDS = {
    "forced_door": _l("door forced"),
    "held_open": _l("door held open"),
    "offline": _l("device offline"),
}


def label(table: dict[str, object], code: str | None) -> str:
    return "" if code is None else str(table.get(code, code))
