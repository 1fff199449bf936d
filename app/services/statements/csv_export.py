"""A statement as CSV for a Belgian spreadsheet (the dialect of `reports.csv_format`).

One table: a row per booking and machine session of the month, then a `total`
row per resource kind, then the grand total (docs/statements.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from zoneinfo import ZoneInfo

from app.i18n import gettext_for

from ..reports.csv_format import Cell, csv_bytes
from .build import Statement
from .labels import KIND_LABELS, LINE_HEADERS, SOURCE_LABELS, STATUS_LABELS


def statement_rows(statement: Statement, locale: str | None) -> Iterator[Sequence[Cell]]:
    _ = gettext_for(locale)
    month = str(statement.month)
    name = statement.tenant_name
    for line in statement.lines:
        yield (
            name,
            month,
            _(SOURCE_LABELS[line.source]),
            line.source_id,
            line.resource,
            _(KIND_LABELS[line.kind.value]) if line.kind else "",
            line.start,
            line.end,
            line.member or "",
            line.title,
            _(STATUS_LABELS.get(line.status, line.status)),
            line.hours,
            line.billable_hours,
            line.included_hours,
            line.overage_hours,
            line.rate,
            line.amount,
        )
    total = _(SOURCE_LABELS["total"])
    for kind in statement.kinds:
        yield (
            name,
            month,
            total,
            None,
            "",
            _(KIND_LABELS[kind.kind.value]),
            statement.start,
            statement.end,
            "",
            "",
            "",
            None,
            kind.billable_hours,
            kind.included_hours,
            kind.overage_hours,
            kind.rate,
            kind.amount,
        )
    # the grand total: no kind, only the amount
    blank: tuple[Cell, ...] = ("", "", "", None, None, None, None, None)
    yield (
        name,
        month,
        total,
        None,
        "",
        "",
        statement.start,
        statement.end,
        *blank,
        statement.total_amount,
    )


def statement_csv(statement: Statement, *, zone: ZoneInfo, locale: str | None) -> bytes:
    _ = gettext_for(locale)
    headers = [_(header) for header in LINE_HEADERS]
    return csv_bytes(headers, statement_rows(statement, locale), zone=zone)
