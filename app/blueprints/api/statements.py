"""/api/v1/statements and the data exports (/members/{id}/export, /tenants/{id}/export).

Statements: managers read every tenant's, tenant admins their own tenant's,
members none. Data exports (GDPR): managers only, each one audit-logged.
See docs/statements.md and docs/privacy.md.
"""

from __future__ import annotations

from typing import Any, Literal
from zoneinfo import ZoneInfo

from flask import Response, current_app
from flask_babel import get_locale
from pydantic import BaseModel, ConfigDict, Field

from app.services import data_export
from app.services.errors import N_, PermissionDenied, ValidationFailed
from app.services.statements import (
    Month,
    build_statement,
    render_statement,
    statement_document,
)
from app.web import commit, now

from .auth import actor
from .routing import ID, api_route
from .schemas import Id

TAG = "statements"
Amount = Field(description='A decimal number as text, two decimals: "12.50".')


class StatementQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    tenant: Id | None = Field(
        default=None,
        description="The tenant's id. Managers must give it; tenant admins may leave it "
        "out (their own tenant) and get 404 for any other.",
    )
    month: str | None = Field(
        default=None,
        max_length=7,
        description="YYYY-MM, in facility time. Default: this month (provisional).",
    )
    format: Literal["json", "csv", "pdf"] = Field(
        default="json",
        description="`csv`: for a Belgian spreadsheet (`;`, decimal comma, dd/mm/yyyy, "
        "UTF-8 with BOM); `pdf`: ready to hand to accounting.",
    )


class StatementTenantOut(BaseModel):
    id: int
    name: str
    slug: str


class StatementKindOut(BaseModel):
    kind: Literal["room", "kitchen", "machine"]
    included_hours: str = Amount
    billable_hours: str = Amount
    overage_hours: str = Amount
    rate: str | None = Field(
        description="EUR per hour; null when the kind's resources have different rates."
    )
    amount: str = Amount


class StatementLineOut(BaseModel):
    source: Literal["booking", "session"]
    id: int = Field(description="The booking's or the usage session's id.")
    resource: str
    resource_slug: str
    kind: Literal["room", "kitchen", "machine"] | None
    start: str = Field(description="UTC, cut at the month's start.")
    end: str = Field(description="UTC, cut at the month's end (an open session: now).")
    member: str | None = Field(description="null once retention anonymised the session.")
    title: str
    status: str = Field(
        description="A booking's status (`confirmed`, `no_show`, `cancelled`: cancelled too "
        "late); a session's `ended` or `open` (still running)."
    )
    ongoing: bool
    hours: str = Amount
    billable_hours: str = Amount
    included_hours: str = Amount
    overage_hours: str = Amount
    rate: str = Amount
    amount: str = Field(description="overage_hours x rate, in EUR.")


class StatementOut(BaseModel):
    tenant: StatementTenantOut
    month: str
    start: str
    end: str
    generated_at: str
    provisional: bool = Field(description="The month is not over: numbers can still change.")
    has_plan: bool
    allow_overage: bool
    currency: str
    total_amount: str = Amount
    kinds: list[StatementKindOut]
    lines: list[StatementLineOut]


class ExportQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    format: Literal["json", "csv"] = Field(
        default="json",
        description="`csv`: a zip with one CSV per table (Belgian spreadsheet dialect).",
    )


class DataExportOut(BaseModel):
    export: Literal["member", "tenant"]
    id: int
    generated_at: str
    tables: dict[str, list[dict[str, Any]]] = Field(
        description="Member: profile, badges (SHA-256 of the UID only), qualifications, "
        "api_tokens, bookings, access_events, sessions. Tenant: tenant, members, bookings, "
        "sessions."
    )


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def _download(body: bytes, media_type: str, filename: str) -> Response:
    return Response(
        body,
        mimetype=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@api_route(
    "/statements",
    "GET",
    query=StatementQuery,
    response=StatementOut,
    tag=TAG,
    summary="A tenant's monthly statement",
    errors=(403, 404),
)
def get_statement(query: StatementQuery) -> Any:
    """Included quota, billable hours, overage x rate = amount per resource kind, and a
    line per booking and machine session of the month. `format=csv` or `pdf` answers
    that file instead of JSON."""
    member = actor()
    if not (member.is_manager or member.is_tenant_admin):
        raise PermissionDenied(N_("Only managers and tenant admins can read statements."))
    tenant_id = query.tenant or (None if member.is_manager else member.tenant_id)
    if tenant_id is None:
        raise ValidationFailed({"tenant": N_("This field is required.")})
    moment = now()
    zone = _zone()
    month = Month.parse(query.month) if query.month else Month.of(moment, zone)
    statement = build_statement(member, tenant_id=tenant_id, month=month, zone=zone, now=moment)
    if query.format == "json":
        return statement_document(statement)
    rendered = render_statement(
        statement,
        fmt=query.format,
        zone=zone,
        locale=str(get_locale()),
        site_name=current_app.config["SITE_NAME"],
        font_file=current_app.config.get("STATEMENT_PDF_FONT"),
    )
    return _download(rendered.body, rendered.media_type, rendered.filename)


def _export(export: data_export.DataExport, fmt: str) -> Any:
    commit()  # the audit row
    if fmt == "csv":
        body = data_export.export_csv_zip(export, zone=_zone())
        return _download(body, "application/zip", f"{export.filename_stem}.zip")
    return data_export.export_document(export)


@api_route(
    f"/members/<{ID}:member_id>/export",
    "GET",
    query=ExportQuery,
    response=DataExportOut,
    tag="members",
    summary="Everything stored about a member (GDPR)",
    errors=(403,),
)
def export_member(member_id: int, query: ExportQuery) -> Any:
    """Managers only; audit-logged. `format=csv` answers a zip of CSV files."""
    export = data_export.export_member_data(actor(), member_id, fmt=query.format, now=now())
    return _export(export, query.format)


@api_route(
    f"/tenants/<{ID}:tenant_id>/export",
    "GET",
    query=ExportQuery,
    response=DataExportOut,
    tag="tenants",
    summary="A tenant's data: the tenant, its members, bookings and sessions (GDPR)",
    errors=(403,),
)
def export_tenant(tenant_id: int, query: ExportQuery) -> Any:
    """Managers only; audit-logged. `format=csv` answers a zip of CSV files."""
    export = data_export.export_tenant_data(actor(), tenant_id, fmt=query.format, now=now())
    return _export(export, query.format)
