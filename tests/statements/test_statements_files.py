"""A statement's CSV (Belgian spreadsheet dialect) and PDF."""

from __future__ import annotations

import csv
import io
import re
import zlib
from pathlib import Path
from typing import Any

import pytest

from tests.statements.conftest import BRUSSELS, local

pytestmark = pytest.mark.db


@pytest.fixture
def statement(tenant_a, member_a, manager, resources, store_booking, store_session):  # type: ignore[no-untyped-def]
    from app.services.statements import Month, build_statement

    store_booking(
        member_a, resources["room"], local(2026, 10, 5, 9), local(2026, 10, 5, 16), title="Workshop"
    )
    store_session(member_a, resources["printer"], local(2026, 10, 8, 10), local(2026, 10, 8, 13))
    return build_statement(
        manager,
        tenant_id=tenant_a.id,
        month=Month.parse("2026-10"),
        zone=BRUSSELS,
        now=local(2026, 11, 3, 9),
    )


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_csv_columns_and_belgian_numbers_and_dates(statement):  # type: ignore[no-untyped-def]
    from app.services.statements import statement_csv

    rows = read_csv(statement_csv(statement, zone=BRUSSELS, locale="en"))
    header, lines = rows[0], rows[1:]
    assert header == [
        "Tenant", "Month", "Line", "Number", "Resource", "Kind", "Start", "End", "Member",
        "Title", "Status", "Hours", "Billable hours", "Included hours", "Overage hours",
        "Rate (EUR per hour)", "Amount (EUR)",
    ]  # fmt: skip
    assert all(len(row) == len(header) for row in rows)
    booking = dict(zip(header, lines[0], strict=True))
    assert booking["Tenant"] == "Atelier Ölsen & Zonen"
    assert booking["Start"] == "05/10/2026 09:00"  # Brussels time, dd/mm/yyyy
    assert booking["Hours"] == "7,00"  # decimal comma
    assert booking["Included hours"] == "4,00"
    assert booking["Overage hours"] == "3,00"
    assert booking["Amount (EUR)"] == "60,00"
    assert booking["Title"] == "Workshop"
    session = dict(zip(header, lines[1], strict=True))
    assert session["Line"] == "machine session"
    assert session["Amount (EUR)"] == "5,00"  # 3 h, 2 included, 1 h x 5,00
    grand = dict(zip(header, lines[-1], strict=True))
    assert (grand["Line"], grand["Kind"], grand["Amount (EUR)"]) == ("total", "", "65,00")
    room = dict(zip(header, lines[2], strict=True))
    assert (room["Line"], room["Kind"], room["Overage hours"]) == ("total", "room", "3,00")


def test_csv_in_dutch(statement):  # type: ignore[no-untyped-def]
    from app.services.statements import statement_csv

    header = read_csv(statement_csv(statement, zone=BRUSSELS, locale="nl"))[0]
    assert len(header) == 17  # translated where the catalogue has the words; same columns


def page_texts(pdf: bytes) -> str:
    """The text drawn on the pages (fpdf2 compresses each page's content stream)."""
    texts = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            texts.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            texts.append(stream.decode("latin-1"))
    return "\n".join(texts)


def test_pdf_is_a_pdf_with_the_tenant_and_the_total(statement):  # type: ignore[no-untyped-def]
    from app.services.statements import statement_pdf

    body = statement_pdf(statement, zone=BRUSSELS, locale="en", site_name="Makers Incubator")
    assert body.startswith(b"%PDF-")
    assert body.rstrip().endswith(b"%%EOF")
    assert len(body) > 1500
    text = page_texts(body)
    assert "Atelier \xd6lsen & Zonen" in text  # Latin-1 in the built-in font
    assert "Statement 2026-10" in text
    assert "65.00" in text


def test_pdf_with_a_unicode_font_when_one_is_configured(statement):  # type: ignore[no-untyped-def]
    from app.services.statements import statement_pdf

    font = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not font.is_file():
        pytest.skip("no DejaVu Sans on this machine (Debian: fonts-dejavu-core)")
    body = statement_pdf(
        statement, zone=BRUSSELS, locale="nl", site_name="Incubator €", font_file=str(font)
    )
    assert body.startswith(b"%PDF-")
    assert b"DejaVu" in body


def test_a_name_outside_latin1_is_written_without_its_accent(statement):  # type: ignore[no-untyped-def]
    import dataclasses

    from app.services.statements import statement_pdf

    renamed: Any = dataclasses.replace(statement, tenant_name="Łódź Studio")
    text = page_texts(statement_pdf(renamed, zone=BRUSSELS, locale="en", site_name="X"))
    assert "?odz Studio" in text or "Lodz Studio" in text
