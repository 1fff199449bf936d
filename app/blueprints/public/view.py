"""What the public report's template shows, made from `public_report.report`'s numbers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import url_for
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _

from app import labels
from app.services.charts import bar_chart, line_chart


def number(value: float | None) -> str:
    if value is None:
        return ""
    return format_decimal(value, format="#,##0.#")


def companies_text(count: int | None, minimum: int) -> str:
    if count is None:
        return _("fewer than %(n)s", n=minimum)
    return format_decimal(count)


def _month(code: str, fmt: str = "MMM y") -> str:
    year, month = code.split("-")
    return format_date(dt.date(int(year), int(month), 1), fmt)


def _now_text(facility: dict[str, Any]) -> str:
    if facility["has_machines"]:
        return _(
            "%(used)s of %(total)s machines running",
            used=facility["in_use"],
            total=facility["units"],
        )
    return _("in use") if facility["in_use"] else _("free")


def _sectors(rows: list[dict[str, Any]], minimum: int) -> list[dict[str, str]]:
    return [
        {
            "label": str(labels.label(labels.SECTORS, row["sector"])),
            "companies": companies_text(row["companies"], minimum),
        }
        for row in rows
    ]


def report_view(data: dict[str, Any], *, lang: str | None) -> dict[str, Any]:
    minimum = data["min_count"]
    facilities = data["facilities"]
    names = [f["name"] for f in facilities]
    machine = [f["machine_hours"] for f in facilities]
    room = [f["room_hours"] for f in facilities]
    month = _month(data["month"], "MMMM y")
    hours_chart = bar_chart(
        title=_("Hours of use per facility, %(month)s", month=month),
        description=_(
            "Machine hours (from the machines' own records) and room hours (confirmed "
            "bookings) per facility this month, up to now."
        ),
        categories=names,
        series=[(_("Machine hours"), machine), (_("Room hours"), room)],
        unit=_("hours"),
        fmt=number,
        empty_text=_("No data yet."),
    )
    trend = data["trend"]
    months = [_month(point["month"]) for point in trend]
    trend_chart = line_chart(
        title=_("Hours of use per month"),
        description=_("Machine hours and room hours of the whole building, month by month."),
        categories=months,
        series=[
            (_("Machine hours"), [p["machine_hours"] for p in trend]),
            (_("Room hours"), [p["room_hours"] for p in trend]),
        ],
        unit=_("hours"),
        fmt=number,
        empty_text=_("No data yet."),
    )
    return {
        "data": data,
        "month": month,
        "now_rows": [{"name": f["name"], "text": _now_text(f)} for f in facilities],
        "hours_chart": hours_chart,
        "hours_headers": [_("Facility"), _("Machine hours"), _("Room hours")],
        "hours_rows": [
            [n, number(m), number(r)] for n, m, r in zip(names, machine, room, strict=True)
        ],
        "trend_chart": trend_chart,
        "trend_headers": [_("Month"), _("Machine hours"), _("Room hours")],
        "trend_rows": [
            [label, number(p["machine_hours"]), number(p["room_hours"])]
            for label, p in zip(months, trend, strict=True)
        ],
        "facilities": [
            {
                "name": f["name"],
                "companies": companies_text(f["companies"], minimum),
                "sectors": _sectors(f["sectors"], minimum),
                "named": f["named_companies"],
                "mixed_days": f["mixed_days"],
                "active_days": f["active_days"],
            }
            for f in facilities
        ],
        "totals": {
            "machine_hours": number(data["totals"]["machine_hours"]),
            "room_hours": number(data["totals"]["room_hours"]),
            "companies": companies_text(data["totals"]["companies"], minimum),
            "mixed_days": data["totals"]["mixed_days"],
            "sectors": _sectors(data["totals"]["sectors"], minimum),
        },
        "lang_links": [
            (code, name, url_for("public.report", lang=code))
            for code, name in (("en", "English"), ("nl", "Nederlands"))
        ],
        "link_lang": lang,
        "json_url": url_for("api.public_stats"),
    }
