"""Translated names of the closed vocabularies, for templates and forms."""

from flask_babel import lazy_gettext as _l

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


def label(table: dict[str, object], value: object) -> str:
    key = getattr(value, "value", value)
    return str(table.get(str(key), key))
