"""Heatmaps and trend charts with their tables, in the reader's language."""

from __future__ import annotations

from typing import Any

from flask_babel import format_date, format_decimal, get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from app.models import WEEKDAYS
from app.services.charts import heatmap, line_chart
from app.services.occupancy import Heatmap, Period, TrendPoint


def number(value: float | None) -> str:
    return "" if value is None else format_decimal(value, format="#,##0.#")


def whole(value: float) -> str:
    return format_decimal(round(value))


def weekday_names() -> list[str]:
    from babel.dates import get_day_names

    names = get_day_names("abbreviated", locale=get_locale())
    return [str(names[i]) for i in range(len(WEEKDAYS))]


def opening_hours(hours: dict[str, Any]) -> list[int]:
    """Every clock hour the building is open on some day."""
    shown: set[int] = set()
    for intervals in hours.values():
        for opens, closes in intervals:
            first = int(opens[:2])
            last = 24 if closes == "24:00" else int(closes[:2]) + (closes[3:] != "00")
            shown.update(range(first, last))
    return sorted(shown)


def heatmap_figure(
    data: Heatmap, *, name: str, within: Period, building_hours: dict[str, Any]
) -> dict[str, Any]:
    hours = data.hours_shown(opening_hours(building_hours))
    days = weekday_names()
    what = _("in use") if data.measure == "used" else _("booked")
    title = _("%(name)s: share of each hour %(what)s", name=name, what=what)
    period_text = _(
        "%(start)s to %(end)s",
        start=format_date(within.first, "medium"),
        end=format_date(within.last, "medium"),
    )
    description = _(
        "Per weekday and clock hour (Brussels time), the percentage of the hour that "
        "%(name)s was %(what)s, %(period)s. Darker is busier; every value is written in its cell.",
        name=name,
        what=what,
        period=period_text,
    )
    svg: Markup = heatmap(
        title=title,
        description=description,
        rows=days,
        columns=[f"{h:02d}" for h in hours],
        values=[[data.values[d][h] for h in hours] for d in range(7)],
        unit="%",
        fmt=whole,
        empty_text=_("No data for this period."),
    )
    headers = [_("Day"), *[f"{h:02d}:00" for h in hours]]
    table = [[days[d], *[number(data.values[d][h]) for h in hours]] for d in range(7)]
    return {"svg": svg, "headers": headers, "rows": table, "caption": title, "period": period_text}


def trend_figure(points: list[TrendPoint], *, caption: str) -> dict[str, Any]:
    months = [format_date(p.month, "MMM y") for p in points]
    machine = [p.machine_hours for p in points]
    room = [p.room_hours for p in points]
    svg = line_chart(
        title=caption,
        description=_(
            "Machine hours (from the machines' sessions) and room hours (confirmed bookings "
            "of rooms and the kitchen) per month, the last twelve months up to today."
        ),
        categories=months,
        series=[(_("Machine hours"), machine), (_("Room hours"), room)],
        unit=_("hours"),
        fmt=number,
        empty_text=_("No data for this period."),
    )
    return {
        "svg": svg,
        "headers": [_("Month"), _("Machine hours"), _("Room hours")],
        "rows": [[m, number(a), number(b)] for m, a, b in zip(months, machine, room, strict=True)],
        "caption": caption,
    }
