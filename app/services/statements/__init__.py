"""Monthly statements per tenant: numbers (`build`), CSV (`csv_export`) and PDF (`pdf`)."""

from .build import (
    CURRENCY,
    KindTotal,
    Month,
    Statement,
    StatementLine,
    build_statement,
    compute_statement,
    may_read_statements,
    statement_tenant,
    statement_tenants,
)
from .csv_export import statement_csv
from .document import statement_document, statement_json
from .formats import FORMATS, RenderedStatement, render_statement, statement_filename
from .pdf import statement_pdf

__all__ = [
    "CURRENCY",
    "FORMATS",
    "KindTotal",
    "Month",
    "RenderedStatement",
    "Statement",
    "StatementLine",
    "build_statement",
    "compute_statement",
    "may_read_statements",
    "render_statement",
    "statement_csv",
    "statement_document",
    "statement_filename",
    "statement_json",
    "statement_pdf",
    "statement_tenant",
    "statement_tenants",
]
