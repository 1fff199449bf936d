"""The building's settings and the audit log: managers only."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.errors import translate
from app.services import audit as audit_service
from app.services import site as service
from app.services.errors import ValidationFailed
from app.web import actor, commit, field_errors, guard, is_manager, page_arg, rollback
from app.web_forms import week_to_form

from .forms import AuditFilterForm, SiteForm

bp = Blueprint("site", __name__, url_prefix="/site")


guard(bp, is_manager)


@bp.route("/", methods=["GET", "POST"])
def settings():
    current = service.get_site_settings()
    form = SiteForm(data={"name": current.name, **week_to_form(current.building_hours)})
    if form.validate_on_submit():
        try:
            service.update_site_settings(
                actor=actor(), name=form.name.data or "", building_hours=form.week()
            )
        except ValidationFailed as exc:
            rollback()
            field_errors(form, exc.fields, translate)
        else:
            commit()
            flash(_("The building's settings are saved."))
            return redirect(url_for("site.settings"))
    status = 422 if form.is_submitted() else 200
    return render_template("site/settings.html", form=form), status


@bp.get("/audit")
def audit():
    form = AuditFilterForm(request.args)
    if not form.validate():
        return render_template("site/audit.html", form=form, page=None, filters={}), 422
    page = audit_service.list_audit(
        actor(),
        action_prefix=form.action.data or "",
        object_type=form.object_type.data or "",
        page=page_arg(),
    )
    filters = {"action": form.action.data or None, "object_type": form.object_type.data or None}
    return render_template("site/audit.html", form=form, page=page, filters=filters)
