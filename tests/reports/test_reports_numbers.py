"""Report numbers against fixtures computed by hand (all times Europe/Brussels)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.reports.reports_support import ALWAYS_OPEN, local, row

pytestmark = pytest.mark.db

NOV = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
DEC = (dt.date(2026, 12, 1), dt.date(2026, 12, 31))


def test_a_session_over_the_month_end_is_split_between_the_months(
    report, manager, member_a, laser, machines, make_session, make_booking
):
    # 30 Nov 22:00 to 1 Dec 01:30: 2 h in November, 1.5 h in December.
    make_booking(laser, member_a, local(2026, 11, 30, 22), local(2026, 12, 1, 2))
    make_session(laser, member_a, local(2026, 11, 30, 22), local(2026, 12, 1, 1, 30))
    key = f"tenant:{member_a.tenant_id}"

    november = row(report(manager, *NOV), key)
    december = row(report(manager, *DEC), key)

    assert november.used_hours == Decimal("2.00")
    assert december.used_hours == Decimal("1.50")
    assert (november.booked_hours, december.booked_hours) == (Decimal("2.00"), Decimal("2.00"))
    # counted once, in the month it started
    assert (november.sessions, december.sessions) == (1, 0)


def day(year: int, month: int, number: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, number), dt.date(year, month, number)


def test_a_session_over_midnight_is_split_between_the_days(
    report, manager, member_a, printer, machines, make_session
):
    make_session(
        printer, member_a, local(2026, 11, 10, 23), local(2026, 11, 11, 1, 15), device="printer-pi"
    )
    key = f"tenant:{member_a.tenant_id}"
    assert row(report(manager, *day(2026, 11, 10)), key).used_hours == Decimal("1.00")
    assert row(report(manager, *day(2026, 11, 11)), key).used_hours == Decimal("1.25")
    both = report(manager, dt.date(2026, 11, 10), dt.date(2026, 11, 11))
    assert row(both, key).used_hours == Decimal("2.25")


def test_the_spring_dst_day_has_23_hours(
    report, manager, member_a, room, printer, machines, make_session, make_booking
):
    # Sunday 29 March 2026: 02:00 becomes 03:00. 01:00 to 04:00 on the clock is 2 hours.
    make_session(
        printer, member_a, local(2026, 3, 29, 1), local(2026, 3, 29, 4), device="printer-pi"
    )
    make_booking(room, member_a, local(2026, 3, 29), local(2026, 3, 30))
    by_tenant = report(manager, *day(2026, 3, 29))
    assert row(by_tenant, f"tenant:{member_a.tenant_id}").used_hours == Decimal("2.00")
    by_resource = report(manager, *day(2026, 3, 29), group_by="resource")
    whole_room = row(by_resource, f"resource:{room.id}")
    assert whole_room.booked_hours == Decimal("23.00")
    assert whole_room.opening_hours == Decimal("23.00")
    assert whole_room.utilisation == Decimal("1.0000")


def test_the_autumn_dst_day_has_25_hours(
    report, manager, member_a, room, printer, machines, make_session, make_booking
):
    # Sunday 25 October 2026: 03:00 becomes 02:00 again. 01:00 to 04:00 on the clock is 4 hours.
    make_session(
        printer, member_a, local(2026, 10, 25, 1), local(2026, 10, 25, 4), device="printer-pi"
    )
    # From 23:00 on Saturday to 01:00 on Sunday (summer time): one hour on each day.
    make_session(
        printer, member_a, local(2026, 10, 24, 23), local(2026, 10, 25, 1), device="printer-pi"
    )
    make_booking(room, member_a, local(2026, 10, 25), local(2026, 10, 26))
    key = f"tenant:{member_a.tenant_id}"
    assert row(report(manager, *day(2026, 10, 25)), key).used_hours == Decimal("5.00")
    assert row(report(manager, *day(2026, 10, 24)), key).used_hours == Decimal("1.00")
    whole_room = row(
        report(manager, *day(2026, 10, 25), group_by="resource"), f"resource:{room.id}"
    )
    assert whole_room.booked_hours == Decimal("25.00")
    assert whole_room.opening_hours == Decimal("25.00")


def test_a_month_with_a_dst_change_is_one_hour_short(report, manager, room):
    march = report(manager, dt.date(2026, 3, 1), dt.date(2026, 3, 31), group_by="resource")
    assert march.total.opening_hours >= Decimal("743.00")  # 31 x 24 - 1 per resource
    assert march.total.opening_hours % Decimal("743.00") == 0


def test_a_cancelled_booking_counts_only_when_cancelled_too_late(
    report, manager, member_a, room, make_booking
):
    make_booking(room, member_a, local(2026, 11, 3, 9), local(2026, 11, 3, 11), status="cancelled")
    make_booking(
        room,
        member_a,
        local(2026, 11, 4, 9),
        local(2026, 11, 4, 12),
        status="cancelled",
        late_change=True,
    )
    make_booking(room, member_a, local(2026, 11, 5, 9), local(2026, 11, 5, 10))
    found = row(report(manager, *NOV), f"tenant:{member_a.tenant_id}")
    assert found.booked_hours == Decimal("1.00")  # only the confirmed one
    assert found.billable_hours == Decimal("4.00")  # and the late cancellation


def test_a_no_show_counts_where_a_check_in_is_required(
    report, manager, member_a, laser, room, make_booking
):
    make_booking(laser, member_a, local(2026, 11, 3, 9), local(2026, 11, 3, 11), status="no_show")
    # the room needs no check-in and has no device: a released booking there is no no-show
    make_booking(room, member_a, local(2026, 11, 3, 9), local(2026, 11, 3, 11), status="no_show")
    found = row(report(manager, *NOV), f"tenant:{member_a.tenant_id}")
    assert found.no_shows == 1
    assert found.booked_hours == Decimal("0.00")
    assert found.billable_hours == Decimal("4.00")  # no-shows are billed
    by_resource = report(manager, *NOV, group_by="resource")
    assert row(by_resource, f"resource:{laser.id}").no_shows == 1
    assert row(by_resource, f"resource:{room.id}").no_shows == 0


def test_an_open_session_counts_up_to_now(
    report, manager, member_a, printer, machines, make_session
):
    make_session(
        printer, member_a, local(2026, 11, 20, 10), None, busy_s=5400, idle_s=0, device="printer-pi"
    )
    found = row(
        report(manager, *NOV, now=local(2026, 11, 20, 12, 30)), f"tenant:{member_a.tenant_id}"
    )
    assert found.used_hours == Decimal("2.50")
    assert found.sessions == 1
    later = row(report(manager, *NOV, now=local(2026, 11, 20, 13)), f"tenant:{member_a.tenant_id}")
    assert later.used_hours == Decimal("3.00")


def test_the_incubators_own_bookings_report_as_incubator(
    report, manager, member_a, room, make_booking
):
    make_booking(room, manager, local(2026, 11, 6, 14), local(2026, 11, 6, 17), tenant=None)
    make_booking(room, member_a, local(2026, 11, 6, 9), local(2026, 11, 6, 10))
    for group_by in ("tenant", "sector"):
        incubator = row(report(manager, *NOV, group_by=group_by), "incubator")
        assert incubator.booked_hours == Decimal("3.00")
        assert incubator.billable_hours == Decimal("0.00")  # not billed
        assert incubator.translate  # named by the web layer, in the reader's language
    sector = row(report(manager, *NOV, group_by="sector"), "sector:creative")
    assert sector.booked_hours == Decimal("1.00")


def test_billable_hours_are_the_quotas_definition(
    report, manager, member_a, room, laser, printer, machines, make_booking, make_session
):
    from app.models import ResourceKind
    from app.services.bookings.quota import billable_hours, billable_session_hours

    make_booking(room, member_a, local(2026, 10, 31, 22), local(2026, 11, 1, 2))  # 2 h in Nov
    make_booking(laser, member_a, local(2026, 11, 3, 9), local(2026, 11, 3, 11), status="no_show")
    make_booking(room, member_a, local(2026, 11, 4, 9), local(2026, 11, 4, 10), status="cancelled")
    make_session(
        laser, member_a, local(2026, 11, 3, 9), local(2026, 11, 3, 10)
    )  # billed by booking
    make_session(
        printer, member_a, local(2026, 11, 7, 9), local(2026, 11, 7, 12, 30), device="printer-pi"
    )
    now = local(2026, 12, 15)
    found = row(report(manager, *NOV, now=now), f"tenant:{member_a.tenant_id}")
    start, end = local(2026, 11, 1), local(2026, 12, 1)
    expected = sum(
        billable_hours(tenant_id=member_a.tenant_id, kind=kind, start=start, end=end)
        + billable_session_hours(
            tenant_id=member_a.tenant_id, kind=kind, start=start, end=end, now=now
        )
        for kind in ResourceKind
    )
    assert found.billable_hours == expected == Decimal("7.50")  # 2 + 2 + 3.5


def test_use_without_a_booking_on_a_resource_that_requires_one(
    report,
    manager,
    member_a,
    member_b,
    fablab,
    laser,
    printer,
    machines,
    make_booking,
    make_session,
):
    make_booking(laser, member_a, local(2026, 11, 3, 9), local(2026, 11, 3, 11))
    make_booking(fablab, member_a, local(2026, 11, 4, 9), local(2026, 11, 4, 17))
    make_session(laser, member_a, local(2026, 11, 3, 9, 5), local(2026, 11, 3, 10))  # booked
    make_session(laser, member_a, local(2026, 11, 4, 10), local(2026, 11, 4, 11))  # the Fablab's
    make_session(laser, member_a, local(2026, 11, 5, 10), local(2026, 11, 5, 11))  # none
    make_session(laser, member_b, local(2026, 11, 3, 10), local(2026, 11, 3, 10, 30))  # A's booking
    make_session(
        printer, member_a, local(2026, 11, 5, 10), local(2026, 11, 5, 11), device="printer-pi"
    )
    found = report(manager, *NOV)
    assert row(found, f"tenant:{member_a.tenant_id}").unbooked_sessions == 1
    assert row(found, f"tenant:{member_b.tenant_id}").unbooked_sessions == 1
    assert row(found, f"tenant:{member_a.tenant_id}").sessions == 4


def test_only_the_machines_own_parent_covers_it(
    report, manager, member_a, fablab, laser, make_resource, make_booking, make_session
):
    """Two facilities with a machine each: a booking of the wood shop covers its saw, not
    the Fablab's laser (the parent is looked up per session)."""
    from app.models import ResourceKind

    shop = make_resource(slug="wood-shop", name="Wood shop", opening_hours=ALWAYS_OPEN)
    saw = make_resource(
        slug="saw",
        name="Panel saw",
        kind=ResourceKind.MACHINE,
        parent=shop,
        booking_required_for_use=True,
    )
    make_booking(shop, member_a, local(2026, 11, 6, 9), local(2026, 11, 6, 17))
    make_session(saw, member_a, local(2026, 11, 6, 10), local(2026, 11, 6, 11), device="saw-pi")
    make_session(laser, member_a, local(2026, 11, 6, 12), local(2026, 11, 6, 13))
    found = report(manager, *NOV, group_by="resource")
    assert row(found, f"resource:{saw.id}").unbooked_sessions == 0
    assert row(found, f"resource:{laser.id}").unbooked_sessions == 1


def test_busy_and_idle_time_are_shared_out_with_the_session(
    report, manager, member_a, printer, machines, make_session
):
    # 2 hours over the month end, half of it busy: half of each falls in each month.
    make_session(
        printer,
        member_a,
        local(2026, 11, 30, 23),
        local(2026, 12, 1, 1),
        busy_s=3600,
        idle_s=3600,
        device="printer-pi",
    )
    found = row(report(manager, *NOV), f"tenant:{member_a.tenant_id}")
    assert (found.busy_hours, found.idle_hours) == (Decimal("0.50"), Decimal("0.50"))


def test_busy_time_is_absent_where_the_interlock_reports_none(
    report, manager, member_a, printer, machines, make_session
):
    make_session(
        printer, member_a, local(2026, 11, 3, 9), local(2026, 11, 3, 10), device="printer-pi"
    )
    found = row(report(manager, *NOV), f"tenant:{member_a.tenant_id}")
    assert found.busy_hours is None
    assert found.idle_hours is None


def test_door_entries_are_company_counts(
    report, manager, admin_a, member_a, make_device, make_entry
):
    door = make_device("door-main", "door")
    make_entry(door, member_a, local(2026, 11, 3, 8))
    make_entry(door, admin_a, local(2026, 11, 3, 9))
    make_entry(door, member_a, local(2026, 11, 4, 8), granted=False)
    key = f"tenant:{member_a.tenant_id}"
    assert row(report(manager, *NOV), key).door_entries == 2
    assert row(report(admin_a, *NOV), key).door_entries == 2
    assert report(member_a, *NOV).total.door_entries is None  # members see no entries
    per_person = report(admin_a, *NOV, group_by="member")
    assert per_person.total.door_entries is None  # never who came in, for a company admin
    assert row(report(manager, *NOV, group_by="member"), f"member:{member_a.id}").door_entries == 1


def test_utilisation_leaves_closures_out(report, manager, member_a, room, make_booking, db_session):
    from app.models import Closure

    db_session.add(
        Closure(resource=room, start=local(2026, 11, 11), end=local(2026, 11, 12), reason="Holiday")
    )
    db_session.commit()
    make_booking(room, member_a, local(2026, 11, 10, 6), local(2026, 11, 10, 18))
    found = row(
        report(manager, dt.date(2026, 11, 10), dt.date(2026, 11, 11), group_by="resource"),
        f"resource:{room.id}",
    )
    assert found.opening_hours == Decimal("24.00")
    assert found.utilisation == Decimal("0.5000")


def test_a_company_admin_gets_the_same_numbers_as_the_manager_for_that_company(
    report, manager, admin_a, member_a, member_b, room, make_booking
):
    make_booking(room, member_a, local(2026, 11, 3, 9), local(2026, 11, 3, 11))
    make_booking(room, member_b, local(2026, 11, 4, 9), local(2026, 11, 4, 12))
    own = report(admin_a, *NOV, tenant_id=member_b.tenant_id)
    assert own.tenant_id == member_a.tenant_id
    assert [r.key for r in own.rows] == [f"tenant:{member_a.tenant_id}"]
    assert (
        own.total.booked_hours
        == row(report(manager, *NOV), f"tenant:{member_a.tenant_id}").booked_hours
    )


def test_every_open_resource_has_a_row_per_resource_used_or_not(report, manager, room, printer):
    found = report(manager, *NOV, group_by="resource")
    idle = row(found, f"resource:{printer.id}")
    assert idle.used_hours == Decimal("0.00")
    assert idle.utilisation == Decimal("0.0000")
    assert idle.opening_hours > 0
