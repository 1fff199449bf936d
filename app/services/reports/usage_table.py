"""The usage report as a table: the columns of the page, the CSV and the chart alike."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from ..errors import N_
from .csv_format import Cell
from .usage_rows import UsageReport, UsageRow

Translate = Callable[[str], str]


@dataclass(frozen=True)
class Column:
    name: str  # stable, also the JSON field
    heading: str  # message id
    value: Callable[[UsageRow], Cell]


def percent(share: Decimal | None) -> Decimal | None:
    return None if share is None else (share * 100).quantize(Decimal("0.01"))


COLUMNS = (
    Column("booked_hours", N_("Booked hours"), lambda r: r.booked_hours),
    Column("used_hours", N_("Used hours"), lambda r: r.used_hours),
    Column("billable_hours", N_("Billable hours"), lambda r: r.billable_hours),
    Column("busy_hours", N_("Machine busy hours"), lambda r: r.busy_hours),
    Column("idle_hours", N_("Machine idle hours"), lambda r: r.idle_hours),
    Column("sessions", N_("Sessions"), lambda r: r.sessions),
    Column("no_shows", N_("No-shows"), lambda r: r.no_shows),
    Column("unbooked_sessions", N_("Use without a booking"), lambda r: r.unbooked_sessions),
    Column("door_entries", N_("Door entries"), lambda r: r.door_entries),
    Column("opening_hours", N_("Opening hours"), lambda r: r.opening_hours),
    Column("utilisation_percent", N_("Utilisation (%)"), lambda r: percent(r.utilisation)),
)
GROUP_HEADINGS = {
    "tenant": N_("Company"),
    "resource": N_("Resource"),
    "member": N_("Member"),
    "sector": N_("Sector"),
}


def columns(report: UsageReport) -> list[Column]:
    """The columns this report shows (door entries only to those who may see them)."""
    return [c for c in COLUMNS if c.name != "door_entries" or report.shows_door_entries]


def row_label(row: UsageRow, translate: Translate) -> str:
    return translate(row.label) if row.translate else row.label


def table(report: UsageReport, translate: Translate) -> tuple[list[str], list[list[Cell]]]:
    """Headings and rows (a total row last) for the CSV: the period's days come first."""
    shown = columns(report)
    headings = [
        translate(N_("From")),
        translate(N_("To")),
        translate(GROUP_HEADINGS[report.group_by]),
        *(translate(c.heading) for c in shown),
    ]
    first, last = report.period.first_day, report.period.last_day
    rows: list[list[Cell]] = [
        [first, last, row_label(row, translate), *(c.value(row) for c in shown)]
        for row in report.rows
    ]
    rows.append([first, last, translate(N_("Total")), *(c.value(report.total) for c in shown)])
    return headings, rows
