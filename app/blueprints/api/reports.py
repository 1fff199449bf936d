"""/api/v1/reports/usage: how the shared facilities were used in a period, per group.

Managers see every company (or one, with `tenant`); tenant admins and members
see their own company only: the server sets the company from the token's
member, and a `tenant` they send is ignored. See docs/reports.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from zoneinfo import ZoneInfo

from flask import Response, current_app
from flask_babel import gettext
from pydantic import BaseModel, ConfigDict, Field

from app.services.reports import usage_table
from app.services.reports.csv_format import CSV_MEDIA_TYPE, iter_csv
from app.services.reports.periods import parse_period
from app.services.reports.usage import UsageReport, UsageRow, usage_report
from app.services.site import get_site_settings
from app.web import now

from .auth import actor
from .routing import api_route
from .schemas import Id

TAG = "reports"


class UsageQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    start: str | None = Field(
        default=None,
        max_length=20,
        description="The first day, YYYY-MM-DD (facility-local). Default: the first of "
        "the month of `end`, or of this month.",
    )
    end: str | None = Field(
        default=None,
        max_length=20,
        description="The last day, included, YYYY-MM-DD. Default: the end of the month of "
        "`start`, or today. At most 400 days after `start`.",
    )
    group_by: Literal["tenant", "resource", "member", "sector"] = Field(
        default="tenant",
        description="Rows per company, resource, member or sector. The incubator's own use "
        "is the row `incubator`. Members (not tenant admins) cannot group by member.",
    )
    format: Literal["json", "csv"] = Field(
        default="json",
        description="`csv`: a download for a Belgian spreadsheet (`;`, decimal comma, "
        "dd/mm/yyyy, UTF-8 with BOM).",
    )
    tenant: Id | None = Field(
        default=None, description="Managers: one company only. Everyone else: ignored."
    )


class UsageRowOut(BaseModel):
    key: str = Field(description='"tenant:3", "incubator", "resource:5", "member:7", ...')
    label: str
    booked_hours: float = Field(description="Confirmed bookings, clipped to the period.")
    used_hours: float = Field(description="Usage sessions, clipped; an open one up to now.")
    billable_hours: float = Field(
        description="Billable bookings on resources billed by booking, plus sessions on "
        "the others (the quota's definition). The incubator's own use: 0."
    )
    busy_hours: float | None = Field(description="Machine busy time; null: not reported.")
    idle_hours: float | None = Field(description="Machine idle time; null: not reported.")
    sessions: int = Field(description="Sessions that started in the period.")
    no_shows: int = Field(description="Bookings released because nobody checked in.")
    unbooked_sessions: int = Field(
        description="Sessions without a booking on resources that require one."
    )
    door_entries: int | None = Field(
        description="Granted door entries; null when the caller may not see them."
    )
    opening_hours: float = Field(description="Opening time the utilisation is measured against.")
    utilisation: float | None = Field(description="Occupied share of the opening time, 0 to 1.")


class PeriodOut(BaseModel):
    first_day: dt.date
    last_day: dt.date = Field(description="Included.")
    start: dt.datetime = Field(description="The first day's local midnight.")
    end: dt.datetime = Field(description="The local midnight after the last day.")


class UsageReportOut(BaseModel):
    period: PeriodOut
    group_by: str
    tenant: int | None = Field(description="The one company the report is limited to.")
    generated_at: dt.datetime
    rows: list[UsageRowOut]
    total: UsageRowOut


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def _row(row: UsageRow) -> dict[str, Any]:
    def num(value: Any) -> float | None:
        return None if value is None else float(value)

    return {
        "key": row.key,
        "label": usage_table.row_label(row, gettext),
        "booked_hours": num(row.booked_hours),
        "used_hours": num(row.used_hours),
        "billable_hours": num(row.billable_hours),
        "busy_hours": num(row.busy_hours),
        "idle_hours": num(row.idle_hours),
        "sessions": row.sessions,
        "no_shows": row.no_shows,
        "unbooked_sessions": row.unbooked_sessions,
        "door_entries": row.door_entries,
        "opening_hours": num(row.opening_hours),
        "utilisation": num(row.utilisation),
    }


def _csv(report: UsageReport) -> Response:
    headings, rows = usage_table.table(report, gettext)
    name = f"usage-{report.group_by}-{report.period.first_day}-{report.period.last_day}.csv"
    return Response(
        iter_csv(headings, rows, zone=_zone()),
        mimetype=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@api_route(
    "/reports/usage",
    "GET",
    query=UsageQuery,
    response=UsageReportOut,
    tag=TAG,
    summary="Usage per company, resource, member or sector",
    errors=(403,),
)
def usage(query: UsageQuery) -> Any:
    """For whole facility-local days from `start` to `end` (both included): booked, used
    and billable hours, machine busy and idle time, sessions, no-shows, use without a
    booking, door entries and utilisation. Managers see every company; tenant admins and
    members their own (the server decides, never a parameter). `format=csv` answers
    `text/csv` instead of JSON."""
    moment = now()
    zone = _zone()
    period = parse_period(query.start, query.end, zone=zone, today=moment.astimezone(zone).date())
    report = usage_report(
        actor(),
        period=period,
        group_by=query.group_by,
        now=moment,
        building_hours=get_site_settings().building_hours,
        tenant_id=query.tenant,
    )
    if query.format == "csv":
        return _csv(report)
    return {
        "period": {
            "first_day": period.first_day,
            "last_day": period.last_day,
            "start": period.start.astimezone(zone),
            "end": period.end.astimezone(zone),
        },
        "group_by": report.group_by,
        "tenant": report.tenant_id,
        "generated_at": moment,
        "rows": [_row(r) for r in report.rows],
        "total": _row(report.total),
    }
