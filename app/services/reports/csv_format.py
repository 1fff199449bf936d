"""CSV for a Belgian spreadsheet: what Excel and LibreOffice open right with a double click.

The dialect (docs/reports.md explains the choice):

- fields separated by ``;`` (a Belgian locale uses the comma as decimal mark, so
  Excel there expects the semicolon as list separator);
- numbers with a decimal comma and no thousands separator: ``1234,50``;
- dates as ``dd/mm/yyyy``, instants as ``dd/mm/yyyy HH:MM`` in the facility's time
  zone (Europe/Brussels), never UTC, since that is what people compare them with;
- UTF-8 with a byte-order mark, so Excel does not read names as Windows-1252;
- CRLF line ends, quotes only where needed (the `csv` module's minimal quoting);
- text that a spreadsheet would take for a formula (starting with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return) is prefixed with ``'``, so a company
  called ``=HYPERLINK(...)`` stays text.

The API is stable (other modules write their exports with it):
`format_cell`, `iter_csv`, `write_csv`, `csv_bytes`, `CSV_MEDIA_TYPE`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import TextIO
from zoneinfo import ZoneInfo

Cell = str | int | float | Decimal | dt.date | dt.datetime | bool | None

SEPARATOR = ";"
BOM = "\ufeff"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
DATE_FORMAT = "%d/%m/%Y"
DATETIME_FORMAT = "%d/%m/%Y %H:%M"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def format_number(value: int | float | Decimal, *, decimals: int = 2) -> str:
    """`value` with a decimal comma; floats rounded to `decimals`, Decimals kept as they are."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    text = f"{value:.{decimals}f}" if isinstance(value, float) else format(value, "f")
    return text.replace(".", ",")


def format_cell(value: Cell, zone: ZoneInfo, *, decimals: int = 2) -> str:
    """One cell as the spreadsheet should read it.

    Aware datetimes are shown in `zone`; a naive datetime is refused (it could be
    in any zone, and a wrong hour in an invoice is worse than an error).
    """
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal):
        return format_number(value, decimals=decimals)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("a naive datetime cannot be written: give it a time zone")
        return value.astimezone(zone).strftime(DATETIME_FORMAT)
    if isinstance(value, dt.date):
        return value.strftime(DATE_FORMAT)
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class _Line:
    """A file-like object that hands back what the csv writer wrote last."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text = text
        return len(text)


def iter_csv(
    headers: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    zone: ZoneInfo,
    decimals: int = 2,
) -> Iterator[str]:
    """The CSV text piece by piece (the BOM and the header line first): for streaming."""
    line = _Line()
    writer = csv.writer(line, delimiter=SEPARATOR, lineterminator="\r\n")
    writer.writerow([format_cell(h, zone) for h in headers])
    yield BOM + line.text
    for row in rows:
        writer.writerow([format_cell(cell, zone, decimals=decimals) for cell in row])
        yield line.text


def write_csv(
    out: TextIO,
    headers: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    zone: ZoneInfo,
    decimals: int = 2,
) -> int:
    """Write the CSV to `out` (opened with ``newline=""``); returns the number of data rows."""
    pieces = 0
    for piece in iter_csv(headers, rows, zone=zone, decimals=decimals):
        out.write(piece)
        pieces += 1
    return pieces - 1


def csv_bytes(
    headers: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    zone: ZoneInfo,
    decimals: int = 2,
) -> bytes:
    """The whole CSV as UTF-8 bytes (with the BOM)."""
    buffer = io.StringIO(newline="")
    write_csv(buffer, headers, rows, zone=zone, decimals=decimals)
    return buffer.getvalue().encode("utf-8")
