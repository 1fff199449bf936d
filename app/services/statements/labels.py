"""The words of a statement's CSV and PDF, marked for translation (app.i18n translates them)."""

from __future__ import annotations

from ..errors import N_

KIND_LABELS = {"room": N_("room"), "kitchen": N_("kitchen"), "machine": N_("machine")}
SOURCE_LABELS = {"booking": N_("booking"), "session": N_("machine session"), "total": N_("total")}
STATUS_LABELS = {
    "confirmed": N_("confirmed"),
    "no_show": N_("released: nobody checked in"),
    "cancelled": N_("cancelled late"),
    "open": N_("still running"),
    "ended": N_("ended"),
}
LINE_HEADERS = (
    N_("Tenant"),
    N_("Month"),
    N_("Line"),
    N_("Number"),
    N_("Resource"),
    N_("Kind"),
    N_("Start"),
    N_("End"),
    N_("Member"),
    N_("Title"),
    N_("Status"),
    N_("Hours"),
    N_("Billable hours"),
    N_("Included hours"),
    N_("Overage hours"),
    N_("Rate (EUR per hour)"),
    N_("Amount (EUR)"),
)
