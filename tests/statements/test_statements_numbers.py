"""Statement numbers against hand-computed fixtures (October 2026: the clocks go back
on Sunday the 25th, so the month has 745 hours)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from tests.statements.conftest import BRUSSELS, local

pytestmark = pytest.mark.db

OCTOBER = "2026-10"
AFTER_OCTOBER = local(2026, 11, 20, 12, 0)


@pytest.fixture
def october(
    tenant_a, tenant_b, member_a, member_b, manager, resources, store_booking, store_session
):  # type: ignore[no-untyped-def]
    """Tenant A's October, worked out by hand below; B's and the incubator's rows around it."""
    room, kitchen, laser, printer = (
        resources["room"],
        resources["kitchen"],
        resources["laser"],
        resources["printer"],
    )
    rows: dict[str, Any] = {}
    # room: 3 h on the 5th
    rows["room_5th"] = store_booking(member_a, room, local(2026, 10, 5, 9), local(2026, 10, 5, 12))
    # room on the night the clocks go back: 01:00 CEST to 05:00 CET is 5 h, not 4
    rows["room_dst"] = store_booking(member_a, room, local(2026, 10, 25, 1), local(2026, 10, 25, 5))
    # cancelled in time: not billed; cancelled late: billed (1 h)
    rows["room_cancelled"] = store_booking(
        member_a, room, local(2026, 10, 10, 10), local(2026, 10, 10, 14), status="cancelled"
    )
    rows["room_late"] = store_booking(
        member_a,
        room,
        local(2026, 10, 12, 10),
        local(2026, 10, 12, 11),
        status="cancelled",
        late_change=True,
    )
    # across the month's end: 22:00 on the 31st to 02:00 on 1 November: 2 h in October
    rows["room_month_end"] = store_booking(
        member_a, room, local(2026, 10, 31, 22), local(2026, 11, 1, 2)
    )
    # pending and rejected: not billed, not listed
    store_booking(member_a, room, local(2026, 10, 21, 9), local(2026, 10, 21, 17), status="pending")
    store_booking(
        member_a, room, local(2026, 10, 22, 9), local(2026, 10, 22, 17), status="rejected"
    )
    # kitchen: a no-show is billed (2 h)
    rows["kitchen_no_show"] = store_booking(
        member_a, kitchen, local(2026, 10, 15, 12), local(2026, 10, 15, 14), status="no_show"
    )
    # laser: billed by booking (3 h); its session is listed but not billed again
    rows["laser"] = store_booking(member_a, laser, local(2026, 10, 20, 14), local(2026, 10, 20, 17))
    rows["laser_session"] = store_session(
        member_a, laser, local(2026, 10, 20, 14, 5), local(2026, 10, 20, 16, 50)
    )
    # printer: billed by sessions; 1.5 h, and 1 h of one that began in September
    rows["printer_8th"] = store_session(
        member_a, printer, local(2026, 10, 8, 10), local(2026, 10, 8, 11, 30)
    )
    rows["printer_september"] = store_session(
        member_a, printer, local(2026, 9, 30, 23), local(2026, 10, 1, 1)
    )
    # other companies and the incubator itself: never on A's statement
    store_booking(member_b, room, local(2026, 10, 6, 9), local(2026, 10, 6, 17))
    store_booking(manager, room, local(2026, 10, 7, 9), local(2026, 10, 7, 17), tenant=None)
    store_session(member_b, printer, local(2026, 10, 9, 9), local(2026, 10, 9, 17))
    return rows


def statement_of(actor: Any, tenant: Any, month: str = OCTOBER, now: dt.datetime = AFTER_OCTOBER):  # type: ignore[no-untyped-def]
    from app.services.statements import Month, build_statement

    return build_statement(
        actor, tenant_id=tenant.id, month=Month.parse(month), zone=BRUSSELS, now=now
    )


def kind(statement: Any, name: str) -> Any:
    return next(k for k in statement.kinds if k.kind.value == name)


def test_the_month_runs_from_local_midnight_to_local_midnight(manager, tenant_a):  # type: ignore[no-untyped-def]
    statement = statement_of(manager, tenant_a)
    assert statement.start == dt.datetime(2026, 9, 30, 22, tzinfo=dt.UTC)
    assert statement.end == dt.datetime(2026, 10, 31, 23, tzinfo=dt.UTC)
    assert (statement.end - statement.start) == dt.timedelta(hours=745)


def test_room_hours_and_overage(october, manager, tenant_a):  # type: ignore[no-untyped-def]
    room = kind(statement_of(manager, tenant_a), "room")
    # 3 + 5 (DST night) + 1 (late cancellation) + 2 (October part) = 11; 4 included
    assert room.billable_hours == Decimal("11.00")
    assert room.included_hours == Decimal("4.00")
    assert room.overage_hours == Decimal("7.00")
    assert room.rate == Decimal("20.00")
    assert room.amount == Decimal("140.00")


def test_kitchen_no_show_is_billed_without_included_hours(october, manager, tenant_a):  # type: ignore[no-untyped-def]
    kitchen = kind(statement_of(manager, tenant_a), "kitchen")
    assert (kitchen.billable_hours, kitchen.included_hours) == (Decimal("2.00"), Decimal("0.00"))
    assert kitchen.amount == Decimal("30.00")


def test_machines_bill_bookings_and_walk_in_sessions(october, manager, tenant_a):  # type: ignore[no-untyped-def]
    machine = kind(statement_of(manager, tenant_a), "machine")
    # laser booking 3 h + printer 1.5 h + the October hour of September's session; 2 included
    assert machine.billable_hours == Decimal("5.50")
    assert machine.overage_hours == Decimal("3.50")
    # included hours go to the earliest lines: the printer's first 2 h; then
    # 0.5 h printer x 5 + 3 h laser x 30
    assert machine.amount == Decimal("92.50")
    assert machine.rate is None  # two rates: see the lines


def test_total(october, manager, tenant_a):  # type: ignore[no-untyped-def]
    assert statement_of(manager, tenant_a).total_amount == Decimal("262.50")


def test_lines_are_the_billable_bookings_and_every_session(october, manager, tenant_a):  # type: ignore[no-untyped-def]
    statement = statement_of(manager, tenant_a)
    listed = {(line.source, line.source_id) for line in statement.lines}
    expected_bookings = {
        "room_5th",
        "room_dst",
        "room_late",
        "room_month_end",
        "kitchen_no_show",
        "laser",
    }
    expected_sessions = {"laser_session", "printer_8th", "printer_september"}
    assert listed == {("booking", october[k].id) for k in expected_bookings} | {
        ("session", october[k].id) for k in expected_sessions
    }


def test_each_line_prices_its_overage(october, manager, tenant_a):  # type: ignore[no-untyped-def]
    lines = {(line.source, line.source_id): line for line in statement_of(manager, tenant_a).lines}
    dst = lines[("booking", october["room_dst"].id)]
    assert (dst.hours, dst.included_hours, dst.overage_hours, dst.amount) == (
        Decimal("5.00"),
        Decimal("0.00"),
        Decimal("5.00"),
        Decimal("100.00"),
    )
    first = lines[("booking", october["room_5th"].id)]
    assert (first.included_hours, first.overage_hours) == (Decimal("3.00"), Decimal("0.00"))
    month_end = lines[("booking", october["room_month_end"].id)]
    assert month_end.end == dt.datetime(2026, 10, 31, 23, tzinfo=dt.UTC)
    assert month_end.hours == Decimal("2.00")
    laser_session = lines[("session", october["laser_session"].id)]
    assert laser_session.hours == Decimal("2.75")
    assert laser_session.billable_hours == Decimal("0.00")
    for line in lines.values():
        assert line.amount == (line.overage_hours * line.rate).quantize(Decimal("0.01"))
        assert line.included_hours + line.overage_hours == line.billable_hours


def test_lines_add_up_to_the_quota_definition(october, manager, tenant_a):  # type: ignore[no-untyped-def]
    statement = statement_of(manager, tenant_a)
    for total in statement.kinds:
        lines = [line for line in statement.lines if line.kind == total.kind]
        assert sum((line.billable_hours for line in lines), Decimal(0)) == total.billable_hours
        assert sum((line.overage_hours for line in lines), Decimal(0)) == total.overage_hours


def test_the_month_after_gets_the_rest_of_the_booking_across_the_end(october, manager, tenant_a):  # type: ignore[no-untyped-def]
    november = statement_of(manager, tenant_a, "2026-11", now=local(2026, 12, 2, 9))
    room = kind(november, "room")
    assert room.billable_hours == Decimal("2.00")
    assert room.overage_hours == Decimal("0.00")
    assert november.total_amount == Decimal("0.00")


def test_no_overage_within_the_plan(tenant_b, member_b, manager, resources, store_booking):  # type: ignore[no-untyped-def]
    store_booking(member_b, resources["room"], local(2026, 10, 6, 9), local(2026, 10, 6, 17))
    statement = statement_of(manager, tenant_b)
    room = kind(statement, "room")
    assert (room.billable_hours, room.included_hours, room.overage_hours) == (
        Decimal("8.00"),
        Decimal("10.00"),
        Decimal("0.00"),
    )
    assert statement.total_amount == Decimal("0.00")


def test_an_open_session_counts_up_to_now(tenant_a, member_a, manager, resources, store_session):  # type: ignore[no-untyped-def]
    store_session(member_a, resources["printer"], local(2026, 10, 8, 10), None)
    statement = statement_of(manager, tenant_a, now=local(2026, 10, 8, 15))
    line = statement.lines[0]
    assert line.ongoing
    assert line.hours == Decimal("5.00")
    assert kind(statement, "machine").overage_hours == Decimal("3.00")
    assert statement.provisional


def test_without_a_plan_every_billable_hour_is_charged(
    make_tenant, make_member, manager, resources, store_booking
):  # type: ignore[no-untyped-def]
    tenant = make_tenant(quota_hours=None)
    person = make_member(tenant=tenant)
    store_booking(person, resources["room"], local(2026, 10, 6, 9), local(2026, 10, 6, 11))
    statement = statement_of(manager, tenant)
    assert not statement.has_plan
    assert kind(statement, "room").amount == Decimal("40.00")


def test_a_tenant_allowed_overage_books_beyond_its_plan_and_pays_for_it(
    make_tenant, make_member, manager, resources, db_session, now
):  # type: ignore[no-untyped-def]
    from app.services.bookings.lifecycle import Facility, create_booking
    from app.services.errors import RuleViolation
    from app.services.statements import Month

    always = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    facility = Facility(
        zone=BRUSSELS, building_hours=always, public_url="https://x.example", site_name="X"
    )
    month = Month.of(now, BRUSSELS).next()
    start = dt.datetime(month.year, month.month, 10, 9, tzinfo=BRUSSELS).astimezone(dt.UTC)
    flexible = make_tenant(quota_hours={"room": 1}, allow_overage=True)
    strict = make_tenant(quota_hours={"room": 1}, allow_overage=False)
    flexible_admin = make_member(role="tenant_admin", tenant=flexible)
    strict_admin = make_member(role="tenant_admin", tenant=strict)

    def book(person: Any, begin: dt.datetime) -> Any:
        return create_booking(
            actor=person,
            resource=resources["room"],
            start=begin,
            end=begin + dt.timedelta(hours=3),
            now=now,
            facility=facility,
        )

    book(flexible_admin, start)
    db_session.commit()
    with pytest.raises(RuleViolation):
        book(strict_admin, start + dt.timedelta(hours=4))
    db_session.rollback()
    statement = statement_of(manager, flexible, str(month), now=now)
    room = kind(statement, "room")
    assert (room.billable_hours, room.overage_hours, room.amount) == (
        Decimal("3.00"),
        Decimal("2.00"),
        Decimal("40.00"),
    )
    assert statement.allow_overage
    assert statement.provisional
    assert kind(statement_of(manager, strict, str(month), now=now), "room").billable_hours == 0


def test_the_document_gives_decimals_as_text_and_instants_in_utc(october, manager, tenant_a):  # type: ignore[no-untyped-def]
    from app.services.statements import statement_document

    document = statement_document(statement_of(manager, tenant_a))
    assert document["total_amount"] == "262.50"
    assert document["start"] == "2026-09-30T22:00:00Z"
    assert document["tenant"]["slug"] == "atelier"
    assert {k["kind"]: k["amount"] for k in document["kinds"]} == {
        "room": "140.00",
        "kitchen": "30.00",
        "machine": "92.50",
    }


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "26-10", "", "2026-10-01", "abcd-ef"])
def test_a_month_must_be_yyyy_mm(text):  # type: ignore[no-untyped-def]
    from app.services.errors import ValidationFailed
    from app.services.statements import Month

    with pytest.raises(ValidationFailed):
        Month.parse(text)
