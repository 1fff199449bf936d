"""The public report's numbers against a hand-computed month, and its anonymity rules."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from app.services.public_report import public_stats, public_trend
from tests.occupancy.occupancy_support import BRUSSELS, add_booking, add_session, local
from tests.public.conftest import PRIVATE_WORDS

pytestmark = pytest.mark.db

NOW = local(2026, 11, 18, 11, 30)  # a Wednesday, the building open 07:00-22:00


@pytest.fixture
def month(db_session, building, companies) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """November 2026 up to NOW; the comments give each number the test expects."""
    laser, cnc, printer = building["machines"]
    kitchen = building["kitchen"]
    c = companies
    # Fablab, machine hours: laser 2 + 1 + 1 + 1 (from 31 Oct) + 0.5 (running);
    # cnc 1 + 1; printer 0.5
    add_session(
        db_session,
        laser,
        local(2026, 11, 3, 9),
        local(2026, 11, 3, 11),
        member=c["quixotic-pottery"],
    )
    add_session(
        db_session,
        cnc,
        local(2026, 11, 3, 14),
        local(2026, 11, 3, 15),
        member=c["ironclad-welding"],
    )
    add_session(
        db_session,
        printer,
        local(2026, 11, 5, 10),
        local(2026, 11, 5, 10, 30),
        member=c["zebrawood-film"],
    )
    add_session(
        db_session,
        laser,
        local(2026, 11, 5, 11),
        local(2026, 11, 5, 12),
        member=c["vermilion-sound"],
    )
    add_session(
        db_session,
        laser,
        local(2026, 11, 6, 9),
        local(2026, 11, 6, 10),
        member=c["oakheart-joinery"],
    )
    add_session(
        db_session, cnc, local(2026, 11, 6, 13), local(2026, 11, 6, 14), member=c["lonely-robotics"]
    )
    add_session(
        db_session, laser, local(2026, 10, 31, 23), local(2026, 11, 1, 1), member=c["open-studio"]
    )
    add_session(db_session, laser, local(2026, 11, 18, 11), None, member=c["quixotic-pottery"])
    # October only: not this month.
    add_session(
        db_session, cnc, local(2026, 10, 20, 9), local(2026, 10, 20, 12), member=c["brassworks"]
    )
    # Kitchen, room hours: 2 + 1 + 0.5 (running now); a cancelled and a future booking do not count.
    add_booking(
        db_session,
        kitchen,
        c["brassworks"],
        local(2026, 11, 9, 12),
        local(2026, 11, 9, 14),
        title="Secret launch party",
    )
    add_booking(
        db_session, kitchen, c["zebrawood-film"], local(2026, 11, 9, 15), local(2026, 11, 9, 16)
    )
    add_booking(
        db_session,
        kitchen,
        c["oakheart-joinery"],
        local(2026, 11, 10, 9),
        local(2026, 11, 10, 12),
        status="cancelled",
    )
    add_booking(
        db_session, kitchen, c["oakheart-joinery"], local(2026, 11, 25, 9), local(2026, 11, 25, 12)
    )
    add_booking(
        db_session, kitchen, c["brassworks"], local(2026, 11, 18, 11), local(2026, 11, 18, 12)
    )
    return building


def facility(stats: dict[str, Any], slug: str) -> dict[str, Any]:
    return next(f for f in stats["facilities"] if f["slug"] == slug)


def test_hours_this_month_split_at_the_month_start_and_counted_up_to_now(db_session, month) -> None:  # type: ignore[no-untyped-def]
    stats = public_stats(db_session, NOW, zone=BRUSSELS)
    assert stats["month"] == "2026-11"
    fablab, kitchen, room = (facility(stats, s) for s in ("fablab", "kitchen", "room"))
    assert (fablab["machine_hours"], fablab["room_hours"]) == (8.0, 0.0)
    assert (kitchen["machine_hours"], kitchen["room_hours"]) == (0.0, 3.5)
    assert (room["machine_hours"], room["room_hours"]) == (0.0, 0.0)
    assert (stats["totals"]["machine_hours"], stats["totals"]["room_hours"]) == (8.0, 3.5)


def test_in_use_now_counts_running_machines_and_rooms_in_use(db_session, month) -> None:  # type: ignore[no-untyped-def]
    stats = public_stats(db_session, NOW, zone=BRUSSELS)
    assert stats["building_open"] is True
    fablab, kitchen, room = (facility(stats, s) for s in ("fablab", "kitchen", "room"))
    assert (fablab["has_machines"], fablab["in_use"], fablab["units"]) == (True, 1, 3)
    assert (kitchen["has_machines"], kitchen["in_use"], kitchen["units"]) == (False, 1, 1)
    assert room["in_use"] == 0


def test_in_use_now_is_hidden_outside_building_hours(db_session, month) -> None:  # type: ignore[no-untyped-def]
    late = local(2026, 11, 18, 23, 30)  # the building closes at 22:00
    stats = public_stats(db_session, late, zone=BRUSSELS)
    assert stats["building_open"] is False
    assert [f["in_use"] for f in stats["facilities"]] == [None, None, None]
    # The month's figures are still there.
    assert stats["totals"]["machine_hours"] > 0


def test_companies_and_sectors_with_small_counts_merged(db_session, month) -> None:  # type: ignore[no-untyped-def]
    stats = public_stats(db_session, NOW, zone=BRUSSELS)
    fablab, kitchen, room = (facility(stats, s) for s in ("fablab", "kitchen", "room"))
    # Seven companies used the Fablab: four creative, two traditional (under 3: into
    # "other") and one tech (a sector of one company in the building: always "other").
    assert fablab["companies"] == 7
    assert fablab["sectors"] == [
        {"sector": "creative", "companies": 4},
        {"sector": "other", "companies": 3},
    ]
    # Two companies used the kitchen: the count is not shown, nor the sectors apart.
    assert kitchen["companies"] is None
    assert kitchen["sectors"] == [{"sector": "other", "companies": None}]
    assert (room["companies"], room["sectors"]) == (0, [])
    # The building: 8 companies; traditional reaches 3 here; tech alone is "other", hidden.
    assert stats["totals"]["companies"] == 8
    assert stats["totals"]["sectors"] == [
        {"sector": "traditional", "companies": 3},
        {"sector": "creative", "companies": 4},
        {"sector": "other", "companies": None},
    ]


def test_cross_pollination_counts_days_with_companies_of_two_sectors(db_session, month) -> None:  # type: ignore[no-untyped-def]
    stats = public_stats(db_session, NOW, zone=BRUSSELS)
    fablab, kitchen = facility(stats, "fablab"), facility(stats, "kitchen")
    # Fablab: 3 Nov (creative + traditional) and 6 Nov (traditional + tech); 5 Nov was
    # creative only. Days used: 1 (carried over from 31 Oct), 3, 5, 6 and 18 Nov.
    assert (fablab["mixed_days"], fablab["active_days"]) == (2, 5)
    # Kitchen: 9 Nov (traditional + creative); 18 Nov one company.
    assert (kitchen["mixed_days"], kitchen["active_days"]) == (1, 2)
    assert stats["totals"]["mixed_days"] == 3


def test_only_companies_that_opted_in_are_named(db_session, month) -> None:  # type: ignore[no-untyped-def]
    stats = public_stats(db_session, NOW, zone=BRUSSELS)
    assert facility(stats, "fablab")["named_companies"] == ["Open Studio Named"]
    assert facility(stats, "kitchen")["named_companies"] == []


def test_no_personal_data_in_the_stats(db_session, month) -> None:  # type: ignore[no-untyped-def]
    text = json.dumps(public_stats(db_session, NOW, zone=BRUSSELS))
    for word in PRIVATE_WORDS:
        assert word not in text


def test_an_empty_building_reports_zeros(db_session) -> None:  # type: ignore[no-untyped-def]
    stats = public_stats(db_session, NOW, zone=BRUSSELS)
    assert stats["facilities"] == []
    assert stats["totals"]["companies"] == 0
    assert stats["totals"]["machine_hours"] == 0.0


def test_trend_has_twelve_months_ending_with_this_one(db_session, month) -> None:  # type: ignore[no-untyped-def]
    trend = public_trend(db_session, NOW, zone=BRUSSELS)
    assert [p["month"] for p in trend][-3:] == ["2026-09", "2026-10", "2026-11"]
    assert len(trend) == 12
    october, november = trend[-2], trend[-1]
    # October: the 3 h on the CNC and the hour of 31 Oct 23:00-24:00.
    assert (october["machine_hours"], october["room_hours"]) == (4.0, 0.0)
    assert (november["machine_hours"], november["room_hours"]) == (8.0, 3.5)


def test_days_follow_brussels_time_not_utc(db_session, building, companies) -> None:  # type: ignore[no-untyped-def]
    """00:30 local on 4 Nov is 23:30 UTC on 3 Nov: it is a 4 November visit."""
    laser = building["machines"][0]
    add_session(
        db_session,
        laser,
        local(2026, 11, 4, 0, 30),
        local(2026, 11, 4, 1),
        member=companies["quixotic-pottery"],
    )
    add_session(
        db_session,
        laser,
        local(2026, 11, 4, 9),
        local(2026, 11, 4, 10),
        member=companies["ironclad-welding"],
    )
    stats = public_stats(db_session, NOW, zone=BRUSSELS)
    assert facility(stats, "fablab")["mixed_days"] == 1
    assert facility(stats, "fablab")["active_days"] == 1


def test_sqlite_days_are_right_across_the_autumn_change(db_session, building, companies) -> None:  # type: ignore[no-untyped-def]
    """October 2026 changes offset on the 25th: late uses on the 25th and 26th keep their days."""
    laser = building["machines"][0]
    add_session(
        db_session,
        laser,
        local(2026, 10, 25, 23, 30),
        local(2026, 10, 25, 23, 45),
        member=companies["quixotic-pottery"],
    )
    add_session(
        db_session,
        laser,
        local(2026, 10, 26, 0, 15),
        local(2026, 10, 26, 0, 30),
        member=companies["ironclad-welding"],
    )
    add_session(
        db_session,
        laser,
        local(2026, 10, 20, 23, 30),
        local(2026, 10, 20, 23, 45),
        member=companies["quixotic-pottery"],
    )
    add_session(
        db_session,
        laser,
        local(2026, 10, 21, 0, 15),
        local(2026, 10, 21, 0, 30),
        member=companies["ironclad-welding"],
    )
    stats = public_stats(db_session, local(2026, 10, 30, 12), zone=BRUSSELS)
    # Four visits on four different local days: none shared.
    assert facility(stats, "fablab")["active_days"] == 4
    assert facility(stats, "fablab")["mixed_days"] == 0


def test_generated_at_is_utc(db_session) -> None:  # type: ignore[no-untyped-def]
    stats = public_stats(db_session, NOW, zone=BRUSSELS)
    assert stats["generated_at"] == NOW.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def test_a_use_starting_at_local_midnight_belongs_to_the_new_day(
    db_session, building, companies
) -> None:  # type: ignore[no-untyped-def]
    laser = building["machines"][0]
    add_session(
        db_session,
        laser,
        local(2026, 11, 3, 23, 0),
        local(2026, 11, 3, 23, 59),
        member=companies["quixotic-pottery"],
    )
    add_session(
        db_session,
        laser,
        local(2026, 11, 4, 0, 0),
        local(2026, 11, 4, 0, 10),
        member=companies["ironclad-welding"],
    )
    stats = public_stats(db_session, NOW, zone=BRUSSELS)
    assert (facility(stats, "fablab")["active_days"], facility(stats, "fablab")["mixed_days"]) == (
        2,
        0,
    )


def test_a_use_over_midnight_counts_on_both_days(db_session, building, companies) -> None:  # type: ignore[no-untyped-def]
    """Quixotic works from 23:30 to 00:30, Ironclad (another sector) after midnight: the
    4th is a day the two shared the Fablab."""
    laser, cnc, _printer = building["machines"]
    add_session(
        db_session,
        laser,
        local(2026, 11, 3, 23, 30),
        local(2026, 11, 4, 0, 30),
        member=companies["quixotic-pottery"],
    )
    add_session(
        db_session,
        cnc,
        local(2026, 11, 4, 9),
        local(2026, 11, 4, 10),
        member=companies["ironclad-welding"],
    )
    fablab = facility(public_stats(db_session, NOW, zone=BRUSSELS), "fablab")
    assert (fablab["active_days"], fablab["mixed_days"]) == (2, 1)


def test_the_stored_totals_give_the_same_figures_as_the_sources(db_session, month) -> None:  # type: ignore[no-untyped-def]
    """The days before today come from the totals once the jobs runner has written them,
    also after a late session changed one of them (read from the sources until the next pass)."""
    from app.services.reports.periods import Period
    from app.services.reports.totals import plan, roll_up

    from_sources = public_stats(db_session, NOW, zone=BRUSSELS)
    roll_up(now=NOW, zone=BRUSSELS)  # sets the horizon
    written = roll_up(now=NOW, zone=BRUSSELS)
    assert written.written_days >= 17  # 1 to 17 November (and October before them)
    runs = plan(Period(dt.date(2026, 11, 1), dt.date(2026, 11, 18), BRUSSELS))
    assert [r.stored for r in runs] == [True, False]  # today is read from the sources
    assert public_stats(db_session, NOW, zone=BRUSSELS) == from_sources

    laser = month["machines"][0]
    cnc = month["machines"][1]
    add_session(db_session, cnc, local(2026, 11, 12, 9), local(2026, 11, 12, 11), member=None)
    add_session(db_session, laser, local(2026, 11, 12, 9), local(2026, 11, 12, 10), member=None)
    changed = public_stats(db_session, NOW, zone=BRUSSELS)
    fablab = facility(changed, "fablab")
    assert fablab["machine_hours"] == facility(from_sources, "fablab")["machine_hours"] + 3
    roll_up(now=NOW, zone=BRUSSELS)
    assert public_stats(db_session, NOW, zone=BRUSSELS) == changed
