"""Managers' pages for tenants: list, create, edit, deactivate."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.errors import translate
from app.services import tenants as service
from app.services.errors import ValidationFailed
from app.web import actor, commit, field_errors, now, page_arg

from .forms import TenantForm, quota_data

bp = Blueprint("tenants", __name__, url_prefix="/manage/tenants")


@bp.before_request
@login_required
def _managers_only() -> None:
    if not actor().is_manager:
        abort(403)


@bp.get("/")
def index():
    show_all = request.args.get("all") == "1"
    page = service.list_tenants(actor(), include_inactive=show_all, page=page_arg())
    return render_template("tenants/index.html", page=page, show_all=show_all)


@bp.route("/new", methods=["GET", "POST"])
def create():
    form = TenantForm()
    if form.validate_on_submit():
        try:
            tenant = service.create_tenant(
                actor=actor(),
                name=form.name.data or "",
                slug=form.slug.data or "",
                sector=form.sector.data or "",
                contract_start=form.contract_start.data,
                contract_end=form.contract_end.data,
                public_opt_in=bool(form.public_opt_in.data),
                quota_hours=form.quota_hours(),
                allow_overage=bool(form.allow_overage.data),
            )
        except ValidationFailed as exc:
            field_errors(form, exc.fields, translate)
        else:
            commit()
            flash(_("Tenant %(name)s is added.", name=tenant.name))
            return redirect(url_for("tenants.index"))
    status = 422 if form.is_submitted() else 200
    return render_template("tenants/form.html", form=form, tenant=None), status


@bp.route("/<int:tenant_id>", methods=["GET", "POST"])
def edit(tenant_id: int):
    tenant = service.get_tenant(actor(), tenant_id)
    form = TenantForm(obj=tenant, sector=tenant.sector.value, **quota_data(tenant))
    if form.validate_on_submit():
        try:
            service.update_tenant(
                tenant,
                actor=actor(),
                name=form.name.data or "",
                slug=form.slug.data or "",
                sector=form.sector.data or "",
                contract_start=form.contract_start.data,
                contract_end=form.contract_end.data,
                public_opt_in=bool(form.public_opt_in.data),
                quota_hours=form.quota_hours(),
                allow_overage=bool(form.allow_overage.data),
                now=now(),
            )
        except ValidationFailed as exc:
            field_errors(form, exc.fields, translate)
        else:
            commit()
            flash(_("Tenant %(name)s is saved.", name=tenant.name))
            return redirect(url_for("tenants.index"))
    status = 422 if form.is_submitted() else 200
    return render_template("tenants/form.html", form=form, tenant=tenant), status


@bp.post("/<int:tenant_id>/deactivate")
def deactivate(tenant_id: int):
    tenant = service.get_tenant(actor(), tenant_id)
    service.deactivate_tenant(tenant, actor=actor(), now=now())
    commit()
    flash(_("Tenant %(name)s is deactivated. Its members can no longer log in.", name=tenant.name))
    return redirect(url_for("tenants.index"))


@bp.post("/<int:tenant_id>/reactivate")
def reactivate(tenant_id: int):
    tenant = service.get_tenant(actor(), tenant_id)
    service.update_tenant(tenant, actor=actor(), active=True, now=now())
    commit()
    flash(_("Tenant %(name)s is active again.", name=tenant.name))
    return redirect(url_for("tenants.index", all=1))
