"""Heatmap and trend numbers against hand-computed fixtures (midnight, DST, open sessions)."""

from __future__ import annotations

import datetime as dt

import pytest

from app.services import occupancy
from tests.occupancy.occupancy_support import BRUSSELS, add_booking, add_session, local

pytestmark = pytest.mark.db

LATER = dt.datetime(2026, 12, 20, 12, 0, tzinfo=dt.UTC)
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def heat(db_session, resources, first, last, *, measure="used", now=LATER):  # type: ignore[no-untyped-def]
    return occupancy.heatmap_for(
        db_session,
        resources,
        measure=measure,
        within=occupancy.period(first, last, BRUSSELS),
        now=now,
        zone=BRUSSELS,
    )


def test_a_session_crossing_midnight_is_split_between_the_two_days(db_session, laser) -> None:  # type: ignore[no-untyped-def]
    # Tue 10 Nov 2026 23:30 to Wed 11 Nov 01:15 (CET).
    add_session(db_session, laser, local(2026, 11, 10, 23, 30), local(2026, 11, 11, 1, 15))
    values = heat(db_session, [laser], dt.date(2026, 11, 10), dt.date(2026, 11, 11)).values
    assert values[TUE][23] == 50.0
    assert values[WED][0] == 100.0
    assert values[WED][1] == 25.0
    assert values[WED][2] == 0.0
    assert values[TUE][22] == 0.0
    # Days outside the period have no hours at all.
    assert values[MON][10] is None


def test_autumn_change_counts_the_doubled_hour_twice(db_session, laser) -> None:  # type: ignore[no-untyped-def]
    # Sunday 25 Oct 2026: 03:00 CEST becomes 02:00 CET, so 02:00-03:00 happens twice.
    # 02:00 CEST to 02:30 CET: 90 real minutes, all in the wall hour 02, which has 120.
    add_session(db_session, laser, local(2026, 10, 25, 2, 0), local(2026, 10, 25, 2, 30, fold=1))
    # Sat 24 Oct 23:30 CEST to Sun 00:30: crosses midnight on the eve of the change.
    add_session(db_session, laser, local(2026, 10, 24, 23, 30), local(2026, 10, 25, 0, 30))
    values = heat(db_session, [laser], dt.date(2026, 10, 24), dt.date(2026, 10, 25)).values
    assert values[SUN][2] == 75.0
    assert values[SUN][0] == 50.0
    assert values[SAT][23] == 50.0
    assert values[SUN][1] == 0.0
    assert values[SUN][3] == 0.0


def test_spring_change_has_no_hour_two(db_session, laser) -> None:  # type: ignore[no-untyped-def]
    # Sunday 29 Mar 2026: 02:00 CET jumps to 03:00 CEST. 01:30 CET to 03:30 CEST is one real hour.
    add_session(db_session, laser, local(2026, 3, 29, 1, 30), local(2026, 3, 29, 3, 30))
    values = heat(db_session, [laser], dt.date(2026, 3, 29), dt.date(2026, 3, 29)).values
    assert values[SUN][1] == 50.0
    assert values[SUN][2] is None  # that wall hour never happened
    assert values[SUN][3] == 50.0


def test_shares_are_averaged_over_the_weeks_of_the_period(db_session, laser) -> None:  # type: ignore[no-untyped-def]
    # Two Mondays in the period; the laser ran 10:00-11:00 on the first only.
    add_session(db_session, laser, local(2026, 11, 2, 10), local(2026, 11, 2, 11))
    values = heat(db_session, [laser], dt.date(2026, 11, 2), dt.date(2026, 11, 15)).values
    assert values[MON][10] == 50.0


def test_overlapping_sessions_of_one_machine_count_once(db_session, laser) -> None:  # type: ignore[no-untyped-def]
    add_session(db_session, laser, local(2026, 11, 2, 10), local(2026, 11, 2, 10, 45))
    add_session(db_session, laser, local(2026, 11, 2, 10, 30), local(2026, 11, 2, 11))
    values = heat(db_session, [laser], dt.date(2026, 11, 2), dt.date(2026, 11, 2)).values
    assert values[MON][10] == 100.0


def test_a_facility_is_the_mean_of_its_machines(db_session, fablab, laser, cnc) -> None:  # type: ignore[no-untyped-def]
    add_session(db_session, laser, local(2026, 11, 2, 10), local(2026, 11, 2, 11))
    members = occupancy.facility_members(db_session, fablab)
    assert {r.slug for r in members} == {"laser", "cnc"}
    values = heat(db_session, members, dt.date(2026, 11, 2), dt.date(2026, 11, 2)).values
    assert values[MON][10] == 50.0


def test_an_open_session_counts_up_to_now_and_only_time_passed_is_measured(
    db_session, laser
) -> None:  # type: ignore[no-untyped-def]
    now = local(2026, 11, 2, 10, 45)
    add_session(db_session, laser, local(2026, 11, 2, 10, 15), None)
    values = heat(db_session, [laser], dt.date(2026, 11, 2), dt.date(2026, 11, 2), now=now).values
    assert values[MON][10] == pytest.approx(66.7)
    assert values[MON][11] is None  # not yet happened


def test_a_stale_open_session_is_not_counted(db_session, laser) -> None:  # type: ignore[no-untyped-def]
    add_session(db_session, laser, local(2026, 11, 2, 10), None)  # its device went quiet
    values = heat(db_session, [laser], dt.date(2026, 11, 2), dt.date(2026, 11, 2)).values
    assert values[MON][10] == 0.0


def test_booked_counts_confirmed_bookings_of_the_machine_and_its_parent(
    db_session, make_member, fablab, laser, cnc
) -> None:  # type: ignore[no-untyped-def]
    someone = make_member()
    # The whole Fablab 10:00-11:00 books both machines; the laser alone 14:00-14:30.
    add_booking(db_session, fablab, someone, local(2026, 11, 2, 10), local(2026, 11, 2, 11))
    add_booking(db_session, laser, someone, local(2026, 11, 2, 14), local(2026, 11, 2, 14, 30))
    # Not counted: cancelled, pending, no-show.
    add_booking(
        db_session,
        laser,
        someone,
        local(2026, 11, 2, 15),
        local(2026, 11, 2, 16),
        status="cancelled",
    )
    add_booking(
        db_session, laser, someone, local(2026, 11, 2, 16), local(2026, 11, 2, 17), status="pending"
    )
    add_booking(
        db_session, laser, someone, local(2026, 11, 2, 17), local(2026, 11, 2, 18), status="no_show"
    )
    values = heat(
        db_session, [laser, cnc], dt.date(2026, 11, 2), dt.date(2026, 11, 2), measure="booked"
    ).values
    assert values[MON][10] == 100.0
    assert values[MON][14] == 25.0
    assert values[MON][15] == values[MON][16] == values[MON][17] == 0.0
    # Sessions are another measure: none here.
    used = heat(db_session, [laser, cnc], dt.date(2026, 11, 2), dt.date(2026, 11, 2)).values
    assert used[MON][10] == 0.0


def test_a_period_longer_than_three_months_is_refused() -> None:
    from app.services.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        occupancy.period(dt.date(2026, 1, 1), dt.date(2026, 6, 1), BRUSSELS)
    with pytest.raises(ValidationFailed):
        occupancy.period(dt.date(2026, 2, 1), dt.date(2026, 1, 1), BRUSSELS)


def test_hours_shown_span_opening_and_use() -> None:
    values: list[list[float | None]] = [[0.0] * 24 for _ in range(7)]
    values[MON][6] = 10.0
    heatmap = occupancy.Heatmap(measure="used", resource_count=1, values=values)
    assert heatmap.hours_shown(range(8, 18)) == list(range(6, 18))


# -- trends ----------------------------------------------------------------------


@pytest.fixture(params=["sources", "totals"])
def written(request, db_session):  # type: ignore[no-untyped-def]
    """`written(now)`: with the "totals" parameter, the usage totals written up to `now`
    first (as the jobs runner does), so the trend reads them; the days written."""
    from app.services.reports.totals import roll_up

    def write(now: dt.datetime) -> int:
        if request.param == "sources":
            return 0
        roll_up(now=now, zone=BRUSSELS)  # the first pass sets the horizon
        days = roll_up(now=now, zone=BRUSSELS).written_days
        assert days > 0, "nothing written: the trend would not read the totals"
        return days

    return write


def test_trend_splits_at_month_ends_and_sums_machines_and_rooms_apart(
    written, db_session, make_member, laser, room
) -> None:  # type: ignore[no-untyped-def]
    someone = make_member()
    # Sat 31 Oct 23:00 to Sun 1 Nov 01:00 (CET): one hour in each month.
    add_session(db_session, laser, local(2026, 10, 31, 23), local(2026, 11, 1, 1), member=someone)
    # 2.5 hours in November.
    add_session(
        db_session, laser, local(2026, 11, 10, 9), local(2026, 11, 10, 11, 30), member=someone
    )
    # The room: 3 h confirmed in November, a cancelled one not counted.
    add_booking(db_session, room, someone, local(2026, 11, 12, 9), local(2026, 11, 12, 12))
    add_booking(
        db_session,
        room,
        someone,
        local(2026, 11, 13, 9),
        local(2026, 11, 13, 12),
        status="cancelled",
    )
    now = local(2026, 11, 20, 12)
    written(now)
    points = occupancy.trend(db_session, now=now, zone=BRUSSELS, months=3)
    assert [p.month for p in points] == [
        dt.date(2026, 9, 1),
        dt.date(2026, 10, 1),
        dt.date(2026, 11, 1),
    ]
    assert [(p.machine_hours, p.room_hours) for p in points] == [(0.0, 0.0), (1.0, 0.0), (3.5, 3.0)]


def test_trend_counts_an_open_session_up_to_now_and_no_future_bookings(
    written, db_session, make_member, laser, room
) -> None:  # type: ignore[no-untyped-def]
    someone = make_member()
    now = local(2026, 11, 20, 12)
    add_session(db_session, laser, local(2026, 11, 20, 10, 30), None, member=someone)
    add_booking(db_session, room, someone, local(2026, 11, 20, 11), local(2026, 11, 20, 13))
    add_booking(db_session, room, someone, local(2026, 11, 19, 9), local(2026, 11, 19, 10))
    written(now)
    (point,) = occupancy.trend(db_session, now=now, zone=BRUSSELS, months=1)
    assert (point.machine_hours, point.room_hours) == (1.5, 2.0)


def test_tenant_trend_counts_only_that_company(written, db_session, make_member, laser) -> None:  # type: ignore[no-untyped-def]
    a, b = make_member(), make_member()
    add_session(db_session, laser, local(2026, 11, 3, 9), local(2026, 11, 3, 11), member=a)
    add_session(db_session, laser, local(2026, 11, 4, 9), local(2026, 11, 4, 14), member=b)
    now = local(2026, 11, 20, 12)
    written(now)
    mine = occupancy.tenant_trend(db_session, a, tenant_id=a.tenant_id, now=now, zone=BRUSSELS)
    assert mine[-1].machine_hours == 2.0
    assert len(mine) == 12
    from app.services.errors import NotFound

    with pytest.raises(NotFound):
        occupancy.tenant_trend(db_session, a, tenant_id=b.tenant_id, now=now, zone=BRUSSELS)
