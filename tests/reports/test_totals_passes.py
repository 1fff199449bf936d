"""Stored usage totals: the horizon, a change of time zone, back-fill in steps, the jobs
runner's pass and `incubator reports totals`."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from tests.reports.reports_support import BRUSSELS, local, row
from tests.reports.totals_support import (
    NEW_YORK,
    NOVEMBER,
    D,
    changes,
    count,
    days,
    roll_up,
    same_as_sources,
    usage,
    written_days,
)

pytestmark = pytest.mark.db


# -- the horizon, the time zone, back-fill -------------------------------------------------


def test_nothing_is_logged_or_written_before_the_first_pass_and_today_never(
    manager, member_a, printer, machines, make_session
):
    from app.models import UsageTotalState

    make_session(
        printer, member_a, local(2026, 11, 5, 9), local(2026, 11, 5, 10), device="printer-pi"
    )
    assert changes() == 0
    after_midnight = dt.datetime(2026, 11, 19, 23, 30, tzinfo=dt.UTC)  # 20 Nov, 00:30 local
    first = roll_up(now=after_midnight)
    assert (first.written_days, first.months, first.reset) == (0, [], False)
    assert first.horizon == local(2026, 11, 20)
    assert count(UsageTotalState) == 1
    assert written_days() == set()

    make_session(
        printer, member_a, local(2026, 11, 6, 9), local(2026, 11, 6, 11), device="printer-pi"
    )
    assert changes() == 1  # the horizon is set: the past is watched
    second = roll_up(now=after_midnight)
    assert written_days() == set(days(D(2026, 11, 1), D(2026, 11, 19)))
    assert second.written_days == 19
    # the 20th ends at 23:00 UTC; it is written one pass after that, not before
    assert roll_up(now=dt.datetime(2026, 11, 20, 22, 30, tzinfo=dt.UTC)).written_days == 0
    assert roll_up(now=dt.datetime(2026, 11, 20, 23, 30, tzinfo=dt.UTC)).written_days == 0
    last = roll_up(now=dt.datetime(2026, 11, 20, 23, 35, tzinfo=dt.UTC))
    assert last.written_days == 1
    assert max(written_days()) == D(2026, 11, 20)
    assert same_as_sources(manager, *NOVEMBER).stored_days == 20


def test_another_time_zone_drops_the_totals(rolled, manager):
    from app.models import UsageTotal, UsageTotalDay

    moved = roll_up(zone=NEW_YORK)
    assert moved.reset
    assert moved.written_days == 0
    assert count(UsageTotal) == count(UsageTotalDay) == 0
    assert same_as_sources(manager, *NOVEMBER, zone=NEW_YORK).stored_days == 0
    assert same_as_sources(manager, *NOVEMBER).stored_days == 0  # Brussels days are gone

    again = roll_up(zone=NEW_YORK)
    assert not again.reset
    assert again.written_days > 0
    for group_by in ("tenant", "resource"):
        assert same_as_sources(manager, *NOVEMBER, group_by, zone=NEW_YORK).stored_days == 30
    assert same_as_sources(manager, *NOVEMBER).stored_days == 0


def test_a_limited_back_fill_still_rewrites_a_changed_month(
    site, manager, member_a, printer, make_session
):
    assert roll_up(months=1).months == []
    assert roll_up(months=1).months == ["2026-10"]
    make_session(
        printer, member_a, local(2026, 10, 20, 9), local(2026, 10, 20, 12), device="printer-pi"
    )
    both = roll_up(months=1)
    assert (both.months, both.changes) == (["2026-10", "2026-11"], 1)
    assert changes() == 0
    october = same_as_sources(manager, D(2026, 10, 1), D(2026, 10, 31))
    assert october.stored_days == 31
    assert str(row(october, f"tenant:{member_a.tenant_id}").used_hours) == "6.25"  # 1+1.25+1+3
    assert roll_up(months=1).months == ["2026-12"]
    assert roll_up(months=1).months == []
    assert same_as_sources(manager, D(2026, 11, 1), D(2026, 12, 17)).stored_days == 47


# -- the jobs runner and the command line -------------------------------------------------


def test_the_jobs_runner_writes_the_totals_every_five_minutes(
    app, db_session, manager, member_a, room, printer, machines, make_booking, make_session
):
    from app.jobs import JOBS, run_due_jobs

    assert {job.name: job.every for job in JOBS}["reports.totals"] == dt.timedelta(minutes=5)
    make_booking(room, member_a, local(2026, 11, 16, 9), local(2026, 11, 16, 12))
    make_session(
        printer, member_a, local(2026, 11, 17, 9), local(2026, 11, 17, 10), device="printer-pi"
    )
    now = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
    with app.app_context():
        first = run_due_jobs(app, now=now)
        assert "reports.totals" in first.ran
        assert written_days() == set()
        second = run_due_jobs(app, now=now + dt.timedelta(minutes=5))
    assert "reports.totals" in second.ran
    assert written_days() == set(days(D(2026, 11, 1), D(2026, 11, 19)))
    found = same_as_sources(manager, D(2026, 11, 1), D(2026, 11, 19))
    assert found.stored_days == 19
    assert str(found.total.booked_hours) == "3.00"


@pytest.fixture
def recent(member_a, room, printer, machines, make_booking, make_session):  # type: ignore[no-untyped-def]
    """Use three and two days ago: the command line works on the wall clock."""
    today = dt.datetime.now(BRUSSELS).date()
    three, two = today - dt.timedelta(days=3), today - dt.timedelta(days=2)
    make_session(
        printer,
        member_a,
        local(three.year, three.month, three.day, 9),
        local(three.year, three.month, three.day, 11),
        device="printer-pi",
    )
    make_booking(
        room,
        member_a,
        local(two.year, two.month, two.day, 14),
        local(two.year, two.month, two.day, 16),
    )
    return three, today - dt.timedelta(days=1)


def invoke(app, *args: str):  # type: ignore[no-untyped-def]
    with app.app_context():
        return app.test_cli_runner().invoke(args=["reports", "totals", *args])


def test_the_command_writes_the_totals_up_to_yesterday(
    app, db_session, manager, recent, monkeypatch
):
    monkeypatch.setattr("app.reports_cli.time.sleep", lambda seconds: None)
    first, yesterday = recent
    result = invoke(app)
    assert result.exit_code == 0, result.output
    assert "usage totals up to date" in result.stdout
    assert "days written" in result.output
    assert {first, yesterday} <= written_days()
    found = same_as_sources(manager, first, yesterday)
    assert found.stored_days == (yesterday - first).days + 1
    assert str(found.total.used_hours) == "2.00"


def test_the_command_rebuilds_totals_that_went_wrong(app, db_session, manager, recent, monkeypatch):
    from app.models import UsageTotal

    monkeypatch.setattr("app.reports_cli.time.sleep", lambda seconds: None)
    first, yesterday = recent
    assert invoke(app).exit_code == 0
    db_session.execute(update(UsageTotal).values(used_s=UsageTotal.used_s + 36000))
    db_session.commit()
    wrong = usage(manager, first, yesterday, use_totals=True)
    assert str(wrong.total.used_hours) != "2.00"  # the report does read the totals

    result = invoke(app, "--rebuild")
    assert result.exit_code == 0, result.output
    assert "stored totals dropped" in result.output
    assert "usage totals up to date" in result.stdout
    assert {first, yesterday} <= written_days()
    assert str(same_as_sources(manager, first, yesterday).total.used_hours) == "2.00"


def test_the_command_stays_out_of_a_pass_under_way(app, db_session, recent, monkeypatch):
    from app.jobs import TOTALS_LEASE as LEASE
    from app.services import jobs as job_state

    monkeypatch.setattr("app.reports_cli.time.sleep", lambda seconds: None)
    wall_clock = dt.datetime.now(dt.UTC)
    assert job_state.acquire_lease(
        LEASE, holder="the jobs runner", now=wall_clock, ttl=dt.timedelta(minutes=30)
    )
    db_session.commit()
    result = invoke(app)
    assert result.exit_code == 1
    assert "try again" in result.output
    assert written_days() == set()
