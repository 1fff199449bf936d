"""The report page and its CSV: parse the form, ask the service, render."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, render_template, request
from flask_babel import format_decimal, gettext

from app import web
from app.errors import translate
from app.labels import choices
from app.models import Member
from app.services import charts, device_activity, tenants
from app.services.errors import ValidationFailed
from app.services.reports import usage_table
from app.services.reports.csv_format import CSV_MEDIA_TYPE, iter_csv
from app.services.reports.periods import parse_period
from app.services.reports.usage import UsageReport, usage_report
from app.services.site import get_site_settings

from .forms import GROUPINGS, UsageForm

#: the chart shows the groups with the most hours; the table shows them all
CHART_GROUPS = 12
CSV_ARGS = ("start", "end", "group_by", "tenant")
#: door entries per day are drawn for periods up to this many days
DAILY_CHART_DAYS = 62


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def _allowed(actor: Member) -> None:
    if not (actor.is_manager or actor.tenant_id is not None):
        abort(403)


def _form(actor: Member) -> UsageForm:
    form = UsageForm(request.args)
    if actor.is_manager:
        form.tenant.choices = choices(
            [("", gettext("All companies"))]
            + [(str(t.id), t.name) for t in tenants.list_tenants(actor, per_page=1000).items]
        )
    else:
        del form.tenant  # a company's people see their own company, whatever is asked
        if not actor.is_tenant_admin:
            form.group_by.choices = choices(
                (value, label) for value, label in GROUPINGS.items() if value != "member"
            )
    return form


def _report(actor: Member, form: UsageForm) -> UsageReport | None:
    """The report the form asks for, or None with the form's errors filled in."""
    if not form.validate():
        return None
    zone, moment = _zone(), web.now()
    tenant_field = getattr(form, "tenant", None)
    tenant_id = int(tenant_field.data) if tenant_field is not None and tenant_field.data else None
    try:
        period = parse_period(
            form.start.data, form.end.data, zone=zone, today=moment.astimezone(zone).date()
        )
        return usage_report(
            actor,
            period=period,
            group_by=form.group_by.data,
            now=moment,
            building_hours=get_site_settings().building_hours,
            tenant_id=tenant_id,
        )
    except ValidationFailed as exc:
        web.field_errors(form, exc.fields, translate)
        return None


def _number(value: Any) -> str:
    if value is None:
        return "\u2013"  # an en dash: nothing reported
    if isinstance(value, int):
        return format_decimal(value)
    return format_decimal(Decimal(value), format="#,##0.00")


def _hours_chart(report: UsageReport) -> tuple[Any, list[str], list[list[str]]]:
    top = sorted(report.rows, key=lambda r: r.booked_s + r.used_s, reverse=True)[:CHART_GROUPS]
    labels = [usage_table.row_label(r, gettext) for r in top]
    series = [
        (gettext("Booked hours"), [float(r.booked_hours) for r in top]),
        (gettext("Used hours"), [float(r.used_hours) for r in top]),
        (gettext("Billable hours"), [float(r.billable_hours) for r in top]),
    ]
    svg = charts.bar_chart(
        title=gettext("Hours per group"),
        description=gettext(
            "Booked, used and billable hours of the %(count)s groups with the most hours.",
            count=len(top),
        ),
        categories=labels,
        series=series,
        unit=gettext("h"),
        fmt=lambda v: format_decimal(v, format="#,##0.#"),
        empty_text=gettext("No use in this period."),
    )
    headers = [gettext("Group")] + [name for name, _values in series]
    rows = [
        [label, *(_number(Decimal(repr(values[i]))) for _name, values in series)]
        for i, label in enumerate(labels)
    ]
    return svg, headers, rows


def _daily_entries(actor: Member, report: UsageReport) -> Any:
    """A company's door entries per day (tenant admins and managers looking at one company)."""
    if report.tenant_id is None or not report.shows_door_entries:
        return None
    if report.period.days > DAILY_CHART_DAYS:
        return None
    days = device_activity.daily_entries(
        actor,
        tenant_id=report.tenant_id,
        start=report.period.start,
        end=report.period.end,
        zone=_zone(),
        now=web.now(),
    )
    counts = {d.date: d.entries for d in days}
    dates = [p.first_day for p in report.period.split("day")]
    labels = [f"{d.day}/{d.month}" for d in dates]
    svg = charts.bar_chart(
        title=gettext("Door entries per day"),
        description=gettext(
            "Granted door entries of the company per day; who came in stays private."
        ),
        categories=labels,
        series=[(gettext("Door entries"), [float(counts.get(d, 0)) for d in dates])],
        unit="",
        empty_text=gettext("No door entries in this period."),
    )
    rows = [[label, _number(counts.get(d, 0))] for label, d in zip(labels, dates, strict=True)]
    return svg, [gettext("Day"), gettext("Door entries")], rows


def usage() -> Any:
    actor = web.actor()
    _allowed(actor)
    form = _form(actor)
    report = _report(actor, form)
    if report is None:
        return render_template("reports/usage.html", form=form, report=None), 422
    shown = usage_table.columns(report)
    table = [
        (usage_table.row_label(row, gettext), [_number(c.value(row)) for c in shown])
        for row in report.rows
    ]
    total = [_number(c.value(report.total)) for c in shown]
    return render_template(
        "reports/usage.html",
        form=form,
        report=report,
        headings=[gettext(c.heading) for c in shown],
        group_heading=gettext(usage_table.GROUP_HEADINGS[report.group_by]),
        table=table,
        total=total,
        hours_chart=_hours_chart(report),
        entries_chart=_daily_entries(actor, report),
        csv_args={k: v for k, v in request.args.items() if k in CSV_ARGS},
    )


def usage_csv() -> Any:
    actor = web.actor()
    _allowed(actor)
    form = _form(actor)
    report = _report(actor, form)
    if report is None:
        return render_template("reports/usage.html", form=form, report=None), 422
    headings, rows = usage_table.table(report, gettext)
    name = f"usage-{report.group_by}-{report.period.first_day}-{report.period.last_day}.csv"
    return Response(
        iter_csv(headings, rows, zone=_zone()),
        mimetype=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
