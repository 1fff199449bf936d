"""Words for the codes the devices report, in the reader's language (unknown codes show as is).

Event types and access reasons are the ones in `app.event_labels`, shared with the
dashboard and the access history; the devices pages add the command vocabulary.
"""

from flask_babel import lazy_gettext as _l

from app.event_labels import EVENT_TYPES
from app.event_labels import REASONS as ACCESS_REASONS

__all__ = ["COMMAND_NAMES", "COMMAND_STATES", "EVENT_TYPES", "REASONS"]

#: the access and session reasons every page shows, and what a device says when it
#: refuses or misses a command
REASONS = {
    **ACCESS_REASONS,
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
