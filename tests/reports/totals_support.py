"""What the stored-totals tests share: a busy autumn of sessions, bookings and door
entries (`site`, written up by `rolled`), and helpers that compare a report from the
totals with one from the source rows."""

from __future__ import annotations

import datetime as dt
import math
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.reports.reports_support import ALWAYS_OPEN, BRUSSELS, local

NOW = dt.datetime(2026, 12, 20, 12, tzinfo=dt.UTC)  # Sunday 20 December, 13:00 in Brussels
NEW_YORK = ZoneInfo("America/New_York")
D = dt.date
NOVEMBER = (D(2026, 11, 1), D(2026, 11, 30))
DECEMBER = (D(2026, 12, 1), D(2026, 12, 31))
MID_MONTH = (D(2026, 11, 15), D(2026, 12, 14))
DST_DAY = (D(2026, 10, 25), D(2026, 10, 25))

#: compared exactly: what a reader sees (hours are Decimals rounded to the cent)
SHOWN = (
    "key",
    "label",
    "booked_hours",
    "used_hours",
    "billable_hours",
    "busy_hours",
    "idle_hours",
    "opening_hours",
    "utilisation",
    "machine_reported",
    "sessions",
    "no_shows",
    "unbooked_sessions",
    "door_entries",
)
#: compared to 0.1 ms: SQLite turns instants into seconds through julianday(), a float of
#: days (some 40 microseconds of error each), so a month summed from days and the same
#: month clipped at once differ by microseconds there (27 on the DST day's 25 booked
#: hours); busy and idle shares (busy x part / length, per day or per period) may differ
#: in the last bits. No reader sees either: hours are rounded to the cent. (PostgreSQL
#: gives equal seconds.)
SECONDS = ("booked_s", "used_s", "billable_s", "busy_s", "idle_s", "occupied_s", "capacity_s")


# -- helpers -----------------------------------------------------------------------------


def usage(actor, first, last, group_by="tenant", *, use_totals, tenant_id=None, zone=BRUSSELS):  # type: ignore[no-untyped-def]
    from app.services.reports.periods import Period
    from app.services.reports.usage import usage_report

    return usage_report(
        actor,
        period=Period(first, last, zone),
        group_by=group_by,
        now=NOW,
        building_hours=ALWAYS_OPEN,
        tenant_id=tenant_id,
        use_totals=use_totals,
    )


def figures(report: Any) -> list[dict[str, Any]]:
    return [{name: getattr(r, name) for name in SHOWN} for r in [*report.rows, report.total]]


def same_as_sources(actor, first, last, group_by="tenant", **options):  # type: ignore[no-untyped-def]
    """The report read with the totals, after checking it equals the one from the sources."""
    stored = usage(actor, first, last, group_by, use_totals=True, **options)
    live = usage(actor, first, last, group_by, use_totals=False, **options)
    assert live.stored_days == 0
    assert figures(stored) == figures(live)
    for mine, theirs in zip([*stored.rows, stored.total], [*live.rows, live.total], strict=True):
        for name in SECONDS:
            mine_s, theirs_s = getattr(mine, name), getattr(theirs, name)
            assert math.isclose(mine_s, theirs_s, rel_tol=0, abs_tol=1e-4), (mine.key, name)
    return stored


def roll_up(now=NOW, zone=BRUSSELS, months=None):  # type: ignore[no-untyped-def]
    from app.services.reports.totals import roll_up as run

    return run(now=now, zone=zone, months=months)


def count(model: Any) -> int:
    from app.extensions import db

    return int(db.session.scalar(select(func.count()).select_from(model)))


def changes() -> int:
    from app.models import UsageChange

    return count(UsageChange)


def written_days() -> set[dt.date]:
    from app.extensions import db
    from app.models import UsageTotalDay

    return set(db.session.scalars(select(UsageTotalDay.day)))


def source_days(first: dt.date, last: dt.date, zone: ZoneInfo = BRUSSELS) -> set[dt.date]:
    """The days of the period `plan` reads from the source rows."""
    from app.services.reports.periods import Period
    from app.services.reports.totals import plan

    found = set()
    for run in plan(Period(first, last, zone)):
        if not run.stored:
            found.update(days(run.first_day, run.last_day))
    return found


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


# -- a busy autumn -------------------------------------------------------------------------


@pytest.fixture
def site(  # type: ignore[no-untyped-def]
    make_tenant,
    make_member,
    manager,
    admin_a,
    member_a,
    member_b,
    fablab,
    laser,
    printer,
    room,
    machines,
    make_device,
    make_booking,
    make_session,
    make_entry,
):
    """Three companies and the incubator on the laser (booking required), the printer
    (walk-in) and the room, from October to an open session on 18 December."""
    from app.models import Sector

    tenant_c = make_tenant(name="Cyber Charlie", slug="charlie", sector=Sector.TECH)
    member_c = make_member(role="member", tenant=tenant_c, name="Cas Member")
    door = make_device("door-main", "door")  # the building's entrance
    lab_door = make_device("door-lab", "door", fablab)
    laser_pi = machines[0]

    def printed(member, start, end, **busy):  # type: ignore[no-untyped-def]
        return make_session(printer, member, start, end, device="printer-pi", **busy)

    # October: into the autumn DST day (25 hours) over midnight, and over the month end
    printed(member_a, local(2026, 10, 24, 23), local(2026, 10, 25, 1), busy_s=3000, idle_s=1200)
    printed(member_b, local(2026, 10, 25, 1), local(2026, 10, 25, 4), busy_s=7000, idle_s=3000)
    make_booking(room, manager, local(2026, 10, 25), local(2026, 10, 26), tenant=None)
    make_booking(laser, member_a, local(2026, 10, 25, 10), local(2026, 10, 25, 12))
    make_session(
        laser, member_a, local(2026, 10, 25, 10, 15), local(2026, 10, 25, 11, 30), busy_s=2000
    )
    make_entry(door, member_a, local(2026, 10, 25, 9))
    make_entry(door, member_b, local(2026, 10, 25, 9, 30))
    make_booking(fablab, member_b, local(2026, 10, 31, 20), local(2026, 11, 1, 3))  # the parent
    make_session(laser, member_b, local(2026, 10, 31, 23), local(2026, 11, 1, 0, 30), busy_s=3000)
    make_booking(room, member_b, local(2026, 10, 31, 22), local(2026, 11, 1, 2))
    # November: company C only in its first days
    make_booking(room, member_c, local(2026, 11, 2, 9), local(2026, 11, 2, 12))
    printed(member_c, local(2026, 11, 3, 10), local(2026, 11, 3, 11), busy_s=1800)
    make_entry(door, member_c, local(2026, 11, 3, 9, 45))
    make_booking(room, member_a, local(2026, 11, 4, 9), local(2026, 11, 4, 11), status="cancelled")
    make_booking(
        room,
        member_a,
        local(2026, 11, 5, 9),
        local(2026, 11, 5, 12),
        status="cancelled",
        late_change=True,
    )
    make_booking(laser, member_b, local(2026, 11, 6, 9), local(2026, 11, 6, 11), status="no_show")
    unbooked = make_session(
        laser, member_a, local(2026, 11, 9, 14), local(2026, 11, 9, 15), busy_s=2400, idle_s=600
    )
    laser_booking = make_booking(laser, member_a, local(2026, 11, 10, 9), local(2026, 11, 10, 13))
    make_session(
        laser,
        member_a,
        local(2026, 11, 10, 9, 10),
        local(2026, 11, 10, 12, 40),
        busy_s=9000,
        idle_s=3000,
    )
    make_entry(door, member_a, local(2026, 11, 10, 8, 55))
    make_entry(door, admin_a, local(2026, 11, 10, 9))
    make_entry(door, member_b, local(2026, 11, 10, 9, 5), granted=False)
    make_entry(laser_pi, member_a, local(2026, 11, 10, 9, 10))  # a machine's: no door entry
    over_midnight = printed(
        member_b, local(2026, 11, 12, 22, 30), local(2026, 11, 13, 2), busy_s=10000, idle_s=2600
    )
    make_booking(room, manager, local(2026, 11, 16, 13), local(2026, 11, 16, 17), tenant=None)
    printed(manager, local(2026, 11, 17, 10), local(2026, 11, 17, 11, 30), busy_s=4000)
    make_entry(door, member_b, local(2026, 11, 20, 8))
    make_entry(lab_door, member_b, local(2026, 11, 20, 8, 5))
    make_entry(lab_door, manager, local(2026, 11, 30, 21, 55))
    make_booking(fablab, member_a, local(2026, 11, 28, 9), local(2026, 11, 28, 17))
    make_session(laser, member_a, local(2026, 11, 28, 10), local(2026, 11, 28, 11))
    make_booking(laser, member_a, local(2026, 11, 30, 22), local(2026, 12, 1, 2))
    make_session(
        laser,
        member_a,
        local(2026, 11, 30, 22),
        local(2026, 12, 1, 1, 30),
        busy_s=7000,
        idle_s=5000,
    )
    # December, up to a session still running on the 18th
    printed(member_a, local(2026, 12, 3, 8), local(2026, 12, 3, 10), busy_s=5000)
    make_entry(door, member_a, local(2026, 12, 5, 10))
    make_booking(room, member_b, local(2026, 12, 8, 9), local(2026, 12, 8, 12))
    still_open = printed(member_b, local(2026, 12, 18, 10), None, busy_s=1800)
    return SimpleNamespace(
        tenant_c=tenant_c,
        member_c=member_c,
        door=door,
        unbooked=unbooked,
        laser_booking=laser_booking,
        over_midnight=over_midnight,
        still_open=still_open,
    )


@pytest.fixture
def rolled(site):  # type: ignore[no-untyped-def]
    """The site after a first pass (the horizon) and a second (the days): its `RollUp`."""
    first = roll_up()
    assert (first.written_days, first.months) == (0, [])
    return roll_up()
