"""One statement in any of its formats, with its media type and file name."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ..reports.csv_format import CSV_MEDIA_TYPE
from .build import Statement
from .csv_export import statement_csv
from .document import statement_json
from .pdf import statement_pdf

FORMATS = ("json", "csv", "pdf")
MEDIA_TYPES = {"json": "application/json", "csv": CSV_MEDIA_TYPE, "pdf": "application/pdf"}


@dataclass(frozen=True)
class RenderedStatement:
    body: bytes
    media_type: str
    filename: str


def statement_filename(statement: Statement, fmt: str) -> str:
    return f"statement-{statement.tenant_slug}-{statement.month}.{fmt}"


def render_statement(
    statement: Statement,
    *,
    fmt: str,
    zone: ZoneInfo,
    locale: str | None,
    site_name: str,
    font_file: str | None = None,
) -> RenderedStatement:
    if fmt == "csv":
        body = statement_csv(statement, zone=zone, locale=locale)
    elif fmt == "pdf":
        body = statement_pdf(
            statement, zone=zone, locale=locale, site_name=site_name, font_file=font_file
        )
    elif fmt == "json":
        body = statement_json(statement)
    else:
        raise ValueError(f"unknown statement format {fmt!r}")
    return RenderedStatement(body, MEDIA_TYPES[fmt], statement_filename(statement, fmt))
