"""Occupancy heatmaps and trends: managers see the building, tenants their own company's trend."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _

from app.errors import translate
from app.extensions import db
from app.models import Resource
from app.services import occupancy as service
from app.services import resources, tenants
from app.services.errors import ValidationFailed
from app.services.site import get_site_settings
from app.web import actor, field_errors, guard, is_manager, now, require

from .charts import heatmap_figure, trend_figure
from .forms import PeriodForm

bp = Blueprint("occupancy", __name__, url_prefix="/occupancy")

#: the most resources or companies a picker lists
PICKER = 1000
guard(bp)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def _period(form: PeriodForm) -> service.Period | None:
    """The chosen period (default: the last four weeks), or None with the errors on the form."""
    zone = _zone()
    default = service.default_period(now(), zone)
    first: dt.date = form.start.data or default.first
    last: dt.date = form.end.data or default.last
    form.start.data, form.end.data = first, last  # the form shows the period used
    try:
        return service.period(first, last, zone)
    except ValidationFailed as exc:
        field_errors(form, exc.fields, translate)
        return None


@bp.get("/")
def index():
    member = actor()
    if not member.is_manager:
        if member.tenant_id is None:
            abort(403)
        return _tenant_page(member.tenant_id)
    form = PeriodForm(request.args)
    within = _period(form) if form.validate() else None
    if within is None:
        return render_template("occupancy/index.html", form=form, figures=[], trend=None), 422
    hours = get_site_settings().building_hours
    figures = []
    for facility in service.facilities(db.session):
        data = service.heatmap_for(
            db.session,
            service.facility_members(db.session, facility),
            measure=form.measure.data,
            within=within,
            now=now(),
            zone=_zone(),
        )
        figure = heatmap_figure(data, name=facility.name, within=within, building_hours=hours)
        figures.append({"facility": facility, **figure})
    trend = trend_figure(
        service.trend(db.session, now=now(), zone=_zone()),
        caption=_("The whole building: hours of use per month"),
    )
    return render_template(
        "occupancy/index.html",
        form=form,
        figures=figures,
        trend=trend,
        resources=resources.list_resources(actor(), include_inactive=True, per_page=PICKER).items,
        tenants=tenants.list_tenants(actor(), include_inactive=True, per_page=PICKER).items,
    )


@bp.get("/resources/<int:resource_id>")
def resource(resource_id: int):
    require(is_manager)
    item = db.session.get(Resource, resource_id)
    if item is None:
        abort(404)
    form = PeriodForm(request.args)
    within = _period(form) if form.validate() else None
    if within is None:
        return render_template("occupancy/resource.html", form=form, resource=item, figures=[]), 422
    hours = get_site_settings().building_hours
    figures = [
        heatmap_figure(
            service.heatmap_for(
                db.session, [item], measure=measure, within=within, now=now(), zone=_zone()
            ),
            name=item.name,
            within=within,
            building_hours=hours,
        )
        for measure in service.MEASURES
    ]
    return render_template("occupancy/resource.html", form=form, resource=item, figures=figures)


@bp.get("/tenants/<int:tenant_id>")
def tenant(tenant_id: int):
    member = actor()
    if not member.is_manager and member.tenant_id != tenant_id:
        abort(404)  # another company's trend does not exist for you
    return _tenant_page(tenant_id)


def _tenant_page(tenant_id: int):
    company = tenants.get_tenant(actor(), tenant_id)
    points = service.tenant_trend(db.session, actor(), tenant_id=tenant_id, now=now(), zone=_zone())
    trend = trend_figure(points, caption=_("%(name)s: hours of use per month", name=company.name))
    return render_template("occupancy/tenant.html", tenant=company, trend=trend)
