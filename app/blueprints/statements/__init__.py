"""Monthly statements (managers: every tenant; tenant admins: their own), their CSV and PDF,
and the managers' data export (GDPR)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import format_decimal, get_locale

from app.errors import translate
from app.models import Member
from app.services import data_export
from app.services.errors import N_, NotFound, ValidationFailed
from app.services.statements import (
    Month,
    build_statement,
    may_read_statements,
    render_statement,
    statement_tenants,
)
from app.web import actor, commit, guard, int_arg, is_manager, now, require

from .forms import DataExportForm

bp = Blueprint("statements", __name__, url_prefix="/statements")
guard(bp, may_read_statements)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def _amount(value: Decimal | None) -> str:
    return "" if value is None else format_decimal(value, "#,##0.00")


def _chosen_tenant(member: Member, tenants: list[Any]) -> int | None:
    if not member.is_manager:
        return member.tenant_id
    return int_arg("tenant") or (tenants[0].id if tenants else None)


@bp.get("/")
def index() -> Any:
    member = actor()
    zone, moment = _zone(), now()
    tenants = statement_tenants(member)
    tenant_id = _chosen_tenant(member, tenants)
    errors: list[str] = []
    month = Month.of(moment, zone)
    if request.args.get("month"):
        try:
            month = Month.parse(request.args["month"])
        except ValidationFailed as exc:
            errors = [translate(message) for message in exc.fields.values()]
    statement = None
    if tenant_id is not None and not errors:
        statement = build_statement(member, tenant_id=tenant_id, month=month, zone=zone, now=moment)
    return render_template(
        "statements/index.html",
        tenants=tenants,
        tenant_id=tenant_id,
        month=month,
        statement=statement,
        errors=errors,
        amount=_amount,
    ), (422 if errors else 200)


@bp.get("/<int:tenant_id>/<month>.<any(csv, pdf):fmt>")
def download(tenant_id: int, month: str, fmt: str) -> Response:
    try:
        chosen = Month.parse(month)
    except ValidationFailed:
        raise NotFound(N_("No statement for this month.")) from None
    zone = _zone()
    statement = build_statement(actor(), tenant_id=tenant_id, month=chosen, zone=zone, now=now())
    rendered = render_statement(
        statement,
        fmt=fmt,
        zone=zone,
        locale=str(get_locale()),
        site_name=current_app.config["SITE_NAME"],
        font_file=current_app.config.get("STATEMENT_PDF_FONT"),
    )
    return Response(
        rendered.body,
        mimetype=rendered.media_type,
        headers={"Content-Disposition": f'attachment; filename="{rendered.filename}"'},
    )


@bp.route("/data-export", methods=["GET", "POST"])
def data_export_form() -> Any:
    """Managers: everything stored about a member or a tenant, on request (audit-logged)."""
    require(is_manager)
    form = DataExportForm()
    if request.method == "GET":  # a link from a member's or a tenant's page fills it in
        if request.args.get("subject") in ("member", "tenant"):
            form.subject.data = request.args["subject"]
        if (subject_id := request.args.get("subject_id", type=int)) is not None:
            form.subject_id.data = subject_id
    if form.validate_on_submit():
        subject_id = int(form.subject_id.data or 0)
        fmt = form.format.data or "json"
        exporter = (
            data_export.export_member_data
            if form.subject.data == "member"
            else data_export.export_tenant_data
        )
        try:
            export = exporter(actor(), subject_id, fmt=fmt, now=now())
        except NotFound as exc:
            form.subject_id.errors = [translate(exc.message)]
        else:
            commit()  # the audit row
            if fmt == "csv":
                body = data_export.export_csv_zip(export, zone=_zone())
                name, media = f"{export.filename_stem}.zip", "application/zip"
            else:
                body = data_export.export_json(export)
                name, media = f"{export.filename_stem}.json", "application/json"
            return Response(
                body,
                mimetype=media,
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )
    status = 422 if form.is_submitted() else 200
    back = url_for("statements.index")
    return render_template("statements/data_export.html", form=form, back=back), status
