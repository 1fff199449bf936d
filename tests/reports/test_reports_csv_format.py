"""The CSV dialect for a Belgian spreadsheet (docs/reports.md), read back with the csv module."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from app.services.reports.csv_format import csv_bytes, format_cell, iter_csv, write_csv
from tests.reports.reports_support import BRUSSELS


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1234.50"), "1234,50"),
        (Decimal("-0.25"), "-0,25"),
        (2.5, "2,50"),
        (7, "7"),
        (None, ""),
        (True, "1"),
        (dt.date(2026, 3, 9), "09/03/2026"),
        # instants in Brussels time: winter (UTC+1) and summer (UTC+2)
        (dt.datetime(2026, 1, 15, 23, 30, tzinfo=dt.UTC), "16/01/2026 00:30"),
        (dt.datetime(2026, 7, 15, 22, 5, tzinfo=dt.UTC), "16/07/2026 00:05"),
        ("Atelier Alfa", "Atelier Alfa"),
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+32 2 123", "'+32 2 123"),
        ("@SUM(A1)", "'@SUM(A1)"),
    ],
)
def test_a_cell_reads_as_a_belgian_spreadsheet_expects(value, text):
    assert format_cell(value, BRUSSELS) == text


def test_a_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="naive"):
        format_cell(dt.datetime(2026, 1, 1, 12), BRUSSELS)


def test_the_file_has_a_bom_semicolons_and_quotes_where_needed():
    data = csv_bytes(
        ["Company", "Hours", "Day"],
        [["Bakkerij; Zoet", Decimal("3.50"), dt.date(2026, 11, 30)], ['Say "hi"', 1, None]],
        zone=BRUSSELS,
    )
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ["Company", "Hours", "Day"],
        ["Bakkerij; Zoet", "3,50", "30/11/2026"],
        ['Say "hi"', "1", ""],
    ]


def test_streaming_and_writing_give_the_same_text():
    headers, rows = ["a", "b"], [[Decimal("1.5"), "x"], [2, "y"]]
    out = io.StringIO(newline="")
    assert write_csv(out, headers, rows, zone=BRUSSELS) == 2
    assert out.getvalue() == "".join(iter_csv(headers, rows, zone=BRUSSELS))
