"""The week grid: rows are resources, columns are time slots, one table per day."""

from __future__ import annotations

from functools import partial

from flask import abort, render_template, request

from app import web
from app.errors import translate
from app.services.bookings import grid as service
from app.services.bookings import grid_scope as scope
from app.services.errors import ValidationFailed

from . import edge


def grid():
    groups = scope.facility_groups()
    wanted = request.args.get("facility", "")
    group = scope.find_group(wanted, groups)
    if wanted and group is None:
        abort(404)
    error, status = None, 200
    try:
        monday = scope.week_monday(
            week=request.args.get("week", ""),
            date=request.args.get("date", ""),
            today=edge.today(),
        )
    except ValidationFailed as exc:
        error, status = translate(exc.fields["week"]), 422
        monday = scope.week_monday(week=None, date=None, today=edge.today())
    week = None
    if group is not None:
        facility = web.facility()
        week = service.week_grid(
            group,
            monday=monday,
            viewer=web.actor(),
            now=edge.now(),
            zone=facility.zone,
            building_hours=facility.building_hours,
        )
    return render_template(
        "bookings/grid.html",
        groups=groups,
        group=group,
        week=week,
        monday=monday,
        this_week=scope.week_monday(week=None, date=None, today=edge.today()),
        today=edge.today(),
        iso_week=scope.iso_week,
        # bound to the zone once: the grid calls them for every cell
        local_iso=partial(edge.local_iso, in_zone=edge.zone()),
        clock=partial(edge.clock, in_zone=edge.zone()),
        error=error,
    ), status
