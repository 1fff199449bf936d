"""Stored per-day usage totals (app.services.reports.totals): a report that reads them says
exactly what the source rows say, before and after the past changes under it."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.reports.reports_support import ALWAYS_OPEN, local, row
from tests.reports.totals_support import (
    DECEMBER,
    DST_DAY,
    MID_MONTH,
    NOVEMBER,
    NOW,
    D,
    changes,
    days,
    figures,
    roll_up,
    same_as_sources,
    source_days,
    usage,
    written_days,
)

pytestmark = pytest.mark.db


def test_the_busy_site_is_written_up_to_the_open_session(rolled):
    assert rolled.held_back == D(2026, 12, 18)
    assert rolled.months == ["2026-10", "2026-11", "2026-12"]
    assert rolled.written_days == 31 + 30 + 17
    assert written_days() == set(days(D(2026, 10, 1), D(2026, 12, 17)))


@pytest.mark.parametrize("group_by", ["tenant", "resource", "sector"])
@pytest.mark.parametrize(
    ("first", "last", "stored"),
    [
        (*NOVEMBER, 30),
        (*MID_MONTH, 30),
        (*DST_DAY, 1),
        (*DECEMBER, 17),  # the open session's days, today and the future from the sources
        (D(2026, 9, 20), D(2026, 10, 10), 10),  # from before the first day written
    ],
    ids=["month", "mid-month", "dst-day", "open-month", "before-history"],
)
def test_a_report_from_the_totals_equals_the_sources(
    rolled, manager, first, last, stored, group_by
):
    assert same_as_sources(manager, first, last, group_by).stored_days == stored


def test_the_busy_site_holds_what_was_put_in(rolled, manager, member_a, member_b, site):
    november = same_as_sources(manager, *NOVEMBER)
    company_a = row(november, f"tenant:{member_a.tenant_id}")
    company_b = row(november, f"tenant:{member_b.tenant_id}")
    assert company_a.unbooked_sessions == 1  # 9 Nov; the Fablab's booking covers 28 Nov
    assert company_a.sessions == 4
    assert company_a.door_entries == 2  # not the denied one, not the laser's
    assert company_b.no_shows == 1
    assert company_b.door_entries == 2  # the entrance and the Fablab's door
    assert row(november, f"tenant:{site.tenant_c.id}").door_entries == 1
    assert row(november, "incubator").billable_hours == 0
    october = same_as_sources(manager, D(2026, 10, 1), D(2026, 10, 31), "resource")
    assert october.total.unbooked_sessions == 0
    # the totals know companies, not people
    assert usage(manager, *NOVEMBER, "member", use_totals=True).stored_days == 0


def test_a_company_seen_only_before_the_period_has_no_row(rolled, manager, site):
    # Company C booked and used on 2 and 3 November only: nothing of it from the 15th on,
    # from the sources; the totals of the 15th to the 30th are the row of the 30th less
    # the row of the 14th, which both hold company C
    for use_totals in (False, True):
        found = usage(manager, D(2026, 11, 15), D(2026, 11, 30), use_totals=use_totals)
        assert f"tenant:{site.tenant_c.id}" not in [r.key for r in found.rows], use_totals


@pytest.mark.parametrize("group_by", ["tenant", "resource"])
@pytest.mark.parametrize(("first", "last"), [NOVEMBER, MID_MONTH, DST_DAY])
def test_a_company_admin_sees_the_same_from_the_totals(
    rolled, admin_a, member_b, first, last, group_by
):
    own = same_as_sources(admin_a, first, last, group_by, tenant_id=member_b.tenant_id)
    assert own.tenant_id == admin_a.tenant_id
    assert own.stored_days > 0


# -- the past changes ----------------------------------------------------------------------


def test_a_late_session_is_read_from_the_sources_until_written_again(
    rolled, manager, site, printer, make_session
):
    make_session(
        printer,
        site.member_c,
        local(2026, 11, 30, 23, 30),
        local(2026, 12, 1, 0, 45),
        device="printer-pi",
    )
    assert changes() == 1
    assert source_days(*MID_MONTH) == {D(2026, 11, 30), D(2026, 12, 1)}
    before = same_as_sources(manager, *MID_MONTH)
    assert before.stored_days == 28
    assert row(before, f"tenant:{site.tenant_c.id}").sessions == 1

    again = roll_up()
    assert (again.changes, again.months) == (1, ["2026-11", "2026-12"])
    assert changes() == 0
    assert source_days(*MID_MONTH) == set()
    for group_by in ("tenant", "resource", "sector"):
        after = same_as_sources(manager, *MID_MONTH, group_by)
        assert after.stored_days == 30
    late = row(same_as_sources(manager, *MID_MONTH), f"tenant:{site.tenant_c.id}")
    assert (late.sessions, str(late.used_hours)) == (1, "1.25")


def _cancel_late(site, db_session, **_):  # type: ignore[no-untyped-def]
    from app.models import BookingStatus

    site.laser_booking.status = BookingStatus.CANCELLED
    site.laser_booking.late_change = True
    db_session.commit()


def _delete_session(site, db_session, **_):  # type: ignore[no-untyped-def]
    db_session.delete(site.unbooked)
    db_session.commit()


def _correct_busy_time(site, db_session, **_):  # type: ignore[no-untyped-def]
    site.over_midnight.busy_s = 6000
    db_session.commit()


def _late_entry(site, make_entry, member_b, **_):  # type: ignore[no-untyped-def]
    make_entry(site.door, member_b, local(2026, 11, 22, 8))


@pytest.mark.parametrize(
    ("change", "touched"),
    [
        (_cancel_late, {D(2026, 11, 10)}),
        (_delete_session, {D(2026, 11, 9)}),
        (_correct_busy_time, {D(2026, 11, 12), D(2026, 11, 13)}),
        (_late_entry, {D(2026, 11, 22)}),
    ],
    ids=["booking-cancelled-late", "session-deleted", "busy-time-corrected", "late-entry"],
)
def test_a_changed_day_is_read_from_the_sources_until_written_again(
    rolled, manager, site, db_session, make_entry, member_b, change, touched
):
    live_before = usage(manager, *NOVEMBER, use_totals=False)
    change(site, db_session=db_session, make_entry=make_entry, member_b=member_b)
    assert changes() == 1
    assert source_days(*NOVEMBER) == touched
    for group_by in ("tenant", "resource"):
        assert same_as_sources(manager, *NOVEMBER, group_by).stored_days == 30 - len(touched)
    assert figures(usage(manager, *NOVEMBER, use_totals=False)) != figures(live_before)

    assert roll_up().changes == 1
    assert changes() == 0
    assert source_days(*NOVEMBER) == set()
    for group_by in ("tenant", "resource", "sector"):
        assert same_as_sources(manager, *NOVEMBER, group_by).stored_days == 30


def _touch_session(site, db_session, **_):  # type: ignore[no-untyped-def]
    site.unbooked.last_event_at = NOW
    db_session.commit()


def _other_member(site, db_session, admin_a, **_):  # type: ignore[no-untyped-def]
    site.unbooked.member_id = admin_a.id  # the same company: the totals do not know people
    db_session.commit()


def _rename_booking(site, db_session, **_):  # type: ignore[no-untyped-def]
    site.laser_booking.title = "Engraving"
    site.laser_booking.note = "bring your own plywood"
    db_session.commit()


def _door_opened(site, db_session, **_):  # type: ignore[no-untyped-def]
    import uuid

    from app.models import AccessEvent

    at = local(2026, 11, 22, 8)
    db_session.add(
        AccessEvent(
            event_id=str(uuid.uuid4()),
            device_id=site.door.id,
            type="door.opened",
            boot="0badc0de",
            seq=2,
            device_time=at,
            received_at=at,
        )
    )
    db_session.commit()


def _session_today(site, member_a, printer, make_session, **_):  # type: ignore[no-untyped-def]
    make_session(
        printer, member_a, local(2026, 12, 20, 9), local(2026, 12, 20, 10), device="printer-pi"
    )


@pytest.mark.parametrize(
    "change", [_touch_session, _other_member, _rename_booking, _door_opened, _session_today]
)
def test_a_change_that_does_not_matter_logs_nothing(
    rolled, site, db_session, admin_a, member_a, printer, make_session, change
):
    change(
        site,
        db_session=db_session,
        admin_a=admin_a,
        member_a=member_a,
        printer=printer,
        make_session=make_session,
    )
    assert changes() == 0
    assert source_days(*NOVEMBER) == set()


def test_a_machine_moved_to_another_parent_rewrites_everything(
    rolled, manager, member_a, member_b, laser, make_resource, db_session
):
    workshop = make_resource(slug="workshop", name="Workshop", opening_hours=ALWAYS_OPEN)
    laser.parent_id = workshop.id  # the Fablab's bookings no longer cover the laser
    db_session.commit()
    assert changes() == 1
    assert source_days(*NOVEMBER) == set(days(*NOVEMBER))
    november = same_as_sources(manager, *NOVEMBER)
    assert november.stored_days == 0
    assert row(november, f"tenant:{member_a.tenant_id}").unbooked_sessions == 2  # 9 and 28 Nov

    again = roll_up()
    assert again.months == ["2026-10", "2026-11", "2026-12"]
    assert again.written_days == 31 + 30 + 17
    assert changes() == 0
    november = same_as_sources(manager, *NOVEMBER)
    assert november.stored_days == 30
    assert row(november, f"tenant:{member_a.tenant_id}").unbooked_sessions == 2
    october = same_as_sources(manager, D(2026, 10, 1), D(2026, 10, 31))
    assert row(october, f"tenant:{member_b.tenant_id}").unbooked_sessions == 1  # 31 Oct


# -- open sessions -------------------------------------------------------------------------


def test_an_open_session_holds_its_days_back_until_it_ends(rolled, manager, site, db_session):
    assert rolled.held_back == D(2026, 12, 18)
    assert D(2026, 12, 18) not in written_days()
    again = roll_up(now=NOW + dt.timedelta(minutes=5))
    assert (again.written_days, again.held_back) == (0, D(2026, 12, 18))
    assert source_days(*DECEMBER) == set(days(D(2026, 12, 18), D(2026, 12, 31)))
    assert same_as_sources(manager, *DECEMBER, "resource").stored_days == 17

    site.still_open.ended_at = local(2026, 12, 18, 15)
    db_session.commit()
    closed = roll_up(now=NOW + dt.timedelta(minutes=10))
    assert closed.held_back is None
    assert closed.months == ["2026-12"]
    assert max(written_days()) == D(2026, 12, 19)
    for group_by in ("tenant", "resource"):
        assert same_as_sources(manager, *DECEMBER, group_by).stored_days == 19


def test_a_late_open_session_unwrites_the_days_it_reaches(
    rolled, manager, member_a, printer, make_session
):
    # a device that was offline reports a session it opened on the 14th (within the week
    # a session may last) and has not closed
    make_session(printer, member_a, local(2026, 12, 14, 9), None, device="printer-pi", busy_s=900)
    assert source_days(*DECEMBER) == set(days(D(2026, 12, 14), D(2026, 12, 31)))
    again = roll_up(now=NOW + dt.timedelta(minutes=5))
    assert again.held_back == D(2026, 12, 14)
    assert changes() == 0
    assert max(written_days()) == D(2026, 12, 13)
    for group_by in ("tenant", "resource"):
        assert same_as_sources(manager, *DECEMBER, group_by).stored_days == 13
