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
LANGUAGES = {"": _l("As the browser asks"), "en": "English", "nl": "Nederlands"}


def label(table: dict[str, object], value: object) -> str:
    key = getattr(value, "value", value)
    return str(table.get(str(key), key))


def choices(items: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> list[SelectChoice]:
    """(value, label) pairs or a {value: label} mapping as WTForms select choices."""
    pairs = items.items() if isinstance(items, Mapping) else items
    return [SelectChoice(str(value), label) for value, label in pairs]
