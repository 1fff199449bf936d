"""Translated names of the closed vocabularies, for templates and forms."""

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

SECTORS = {
    "traditional": _l("Traditional sector"),
    "creative": _l("Creative and cultural sector"),
    "tech": _l("Technology and IT"),
    "knowledge": _l("Knowledge institution"),
    "other": _l("Other"),
}
ROLES = {"manager": _l("manager"), "tenant_admin": _l("tenant admin"), "member": _l("member")}
RESOURCE_KINDS = {"room": _l("room"), "machine": _l("machine"), "kitchen": _l("kitchen")}
RESOURCE_STATUSES = {
    "available": _l("available"),
    "maintenance": _l("in maintenance"),
    "disabled": _l("disabled"),
    "locked_out": _l("locked out"),
}
PRIVACY = {
    "busy_only": _l("Others see only that it is booked"),
    "company": _l("Others see the company that booked"),
    "company_and_member": _l("Others see the company and the member"),
}
READER_FORMATS = {
    "hex": _l("Hexadecimal, as printed on the card (04:A2:2B:1C)"),
    "dec10_le": _l("10 decimal digits, as most USB desk readers type them"),
    "dec10_be": _l("10 decimal digits, most significant byte first"),
    "wiegand26": _l("Wiegand 26-bit frame (bits or its decimal value)"),
    "wiegand34": _l("Wiegand 34-bit frame (bits or its decimal value)"),
}
BOOKING_STATUSES = {
    "pending": _l("awaiting approval"),
    "confirmed": _l("confirmed"),
    "cancelled": _l("cancelled"),
    "rejected": _l("rejected"),
    "no_show": _l("released: nobody checked in"),
}
# The names of the booking rules (the API's `rule` codes), shown with every refusal.
BOOKING_RULES = {
    "interval": _l("Start and end"),
    "horizon": _l("How far ahead"),
    "not_bookable": _l("Bookable"),
    "resource_unavailable": _l("Availability"),
    "tenant_inactive": _l("Active company"),
    "contract_ended": _l("Contract"),
    "member_inactive": _l("Active member"),
    "min_length": _l("Shortest booking"),
    "max_length": _l("Longest booking"),
    "granularity": _l("Time steps"),
    "in_past": _l("Not in the past"),
    "lead_time": _l("Book ahead"),
    "opening_hours": _l("Opening hours"),
    "closed": _l("Closure"),
    "training_required": _l("Training"),
    "change_notice": _l("Notice for changes"),
    "quota_exceeded": _l("Quota"),
    "recurrence": _l("Repetition"),
    "local_time": _l("Daylight saving time"),
    "conflict": _l("Already booked"),
    "not_active": _l("Active booking"),
    "not_pending": _l("Awaiting approval"),
    "not_confirmed": _l("Confirmed booking"),
    "checkin_window": _l("Check-in time"),
}
BOOKING_SCOPES = {
    "this": _l("This occurrence only"),
    "following": _l("This and the following occurrences"),
    "series": _l("The whole series"),
}
LANGUAGES = {"": _l("As the browser asks"), "en": "English", "nl": "Nederlands"}


def label(table: dict[str, object], value: object) -> str:
    key = getattr(value, "value", value)
    return str(table.get(str(key), key))


def choices(items: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> list[SelectChoice]:
    """(value, label) pairs or a {value: label} mapping as WTForms select choices."""
    pairs = items.items() if isinstance(items, Mapping) else items
    return [SelectChoice(str(value), label) for value, label in pairs]
