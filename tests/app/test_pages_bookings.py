"""The week grid and the booking form, as a member, a tenant admin and a manager use them.

The pages' clock is fixed (`clock`): Tuesday 1 December 2026, 09:00 in Brussels.
The building is open Monday to Friday 07:00-22:00 (the default building hours).
"""

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from app.models import (
    Booking,
    BookingStatus,
    Closure,
    Privacy,
    Qualification,
    ResourceKind,
    ResourceStatus,
)
from tests.app.booking_pages import ALWAYS_OPEN, book_link, cell, day_section, local
from tests.app.page_inputs import ESCAPED_SCRIPT, INVISIBLE, SCRIPT, TOO_LONG

pytestmark = pytest.mark.db

WED = "2026-12-02"


@pytest.fixture
def room(make_resource):
    return make_resource(slug="room", name="Room", privacy=Privacy.COMPANY)


def grid(client, facility="room", date=WED):
    response = client.get(f"/bookings/grid?facility={facility}&date={date}")
    assert response.status_code == 200, response.data[:500]
    return response.data.decode()


def form(resource="room", date=WED, start="10:00", end="11:00", **overrides):
    data = {
        "resource": resource,
        "date": date,
        "start_time": start,
        "end_time": end,
        "title": "",
        "repeat": "none",
        "interval": "1",
        "ends": "count",
        "count": "4",
        "until": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def bookings(db_session):
    db_session.expire_all()
    return list(db_session.scalars(select(Booking).order_by(Booking.start)))


# -- the grid ------------------------------------------------------------------


def test_the_grid_needs_a_login(client, room):
    response = client.get("/bookings/grid")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_grid_is_a_table_per_day_with_resource_rows_and_time_columns(
    sign_in, make_member, room, clock
):
    page = grid(sign_in(make_member()))
    section = day_section(page, WED)
    assert '<th scope="col" class="time">07:00</th>' in section
    assert '<th scope="col" class="time">21:30</th>' in section
    assert '<th scope="row" class="resource">' in section
    assert "Room" in section
    assert 'id="day-2026-12-06"' in page
    assert "Closed all day." in day_section(page, "2026-12-06")


def test_free_slots_link_to_a_prefilled_form(sign_in, make_member, room, clock):
    page = grid(sign_in(make_member()))
    assert cell(page, WED, "Room", "10:00") == ("free", "Book")
    link = book_link(page, "2026-12-02T10:00+01:00")
    query = parse_qs(urlsplit(link).query)
    assert query == {
        "resource": ["room"],
        "start": ["2026-12-02T10:00+01:00"],
        "end": ["2026-12-02T10:30+01:00"],
    }


def test_past_slots_and_closed_days_are_not_bookable(sign_in, make_member, room, clock):
    page = grid(sign_in(make_member()))
    assert cell(page, "2026-12-01", "Room", "07:00") == ("past", "Past")
    assert cell(page, "2026-12-01", "Room", "09:00") == ("free", "Book")  # now, to the minute
    assert "Closed all day." in day_section(page, "2026-12-06")  # Sunday: building closed


def test_outside_a_resources_own_hours_shows_closed(sign_in, make_member, make_resource, clock):
    fablab = make_resource(slug="fablab", name="Fablab")
    make_resource(
        slug="laser",
        name="Laser",
        kind=ResourceKind.MACHINE,
        parent=fablab,
        opening_hours={"wed": [["10:00", "12:00"]]},
    )
    page = grid(sign_in(make_member()), "fablab")
    assert cell(page, WED, "Laser", "07:00") == ("closed", "Closed")
    assert cell(page, WED, "Laser", "10:00") == ("free", "Book")
    assert cell(page, WED, "Fablab", "07:00") == ("free", "Book")


def test_closures_and_maintenance_show_why_a_slot_is_closed(
    sign_in, make_member, make_resource, db_session, room, clock
):
    db_session.add(Closure(resource=room, start=local(2026, 12, 2, 12), end=local(2026, 12, 2, 14)))
    broken = make_resource(slug="broken", name="Broken", status=ResourceStatus.MAINTENANCE)
    client = sign_in(make_member())
    page = grid(client)
    assert cell(page, WED, "Room", "12:00") == ("closed", "Closed")
    assert cell(page, WED, "Room", "14:00") == ("free", "Book")
    assert cell(grid(client, broken.slug), WED, "Broken", "07:00") == ("closed", "Unavailable")


@pytest.mark.parametrize(
    ("privacy", "expected"),
    [
        (Privacy.BUSY_ONLY, "Booked"),
        (Privacy.COMPANY, "Booked: {tenant}"),
        (Privacy.COMPANY_AND_MEMBER, "Booked: {tenant}: {member}"),
    ],
)
def test_others_bookings_show_only_what_the_privacy_setting_allows(
    sign_in, make_member, make_resource, book, clock, privacy, expected
):
    room = make_resource(slug="room", name="Room", privacy=privacy)
    other = make_member()
    book(other, room, local(2026, 12, 2, 10), title="Secret plans", now=clock)
    page = grid(sign_in(make_member()))
    text = expected.format(tenant=other.tenant.name, member=other.name)
    assert cell(page, WED, "Room", "10:00") == ("booked", text)
    assert "Secret plans" not in page
    if privacy == Privacy.BUSY_ONLY:
        assert other.tenant.name not in page


def test_the_incubators_own_events_say_so(sign_in, make_member, book, room, clock):
    book(make_member(role="manager"), room, local(2026, 12, 2, 10), title="Board", now=clock)
    page = grid(sign_in(make_member()))
    assert cell(page, WED, "Room", "10:00") == ("booked", "Booked: the incubator")
    assert "Board" not in page


def test_own_bookings_show_their_title_and_link_to_the_booking(
    sign_in, make_member, book, room, clock
):
    member = make_member()
    booking = book(member, room, local(2026, 12, 2, 10), hours=2, title="Pitch", now=clock)
    page = grid(sign_in(member))
    assert cell(page, WED, "Room", "10:00") == ("mine", "Pitch")
    assert 'colspan="4"' in day_section(page, WED)  # two hours, four half-hour columns
    assert f'href="/bookings/{booking.bookings[0].id}"' in page


def test_a_tenant_admin_sees_colleagues_bookings_as_the_companys(
    sign_in, make_member, book, room, clock
):
    member = make_member()
    admin = make_member(role="tenant_admin", tenant=member.tenant)
    book(member, room, local(2026, 12, 2, 10), title="Team day", now=clock)
    page = grid(sign_in(admin))
    assert cell(page, WED, "Room", "10:00") == ("mine", "Team day")


def test_a_pending_request_holds_its_slot_and_says_so(
    sign_in, make_member, make_resource, book, clock
):
    room = make_resource(slug="room", name="Room", approval_required=True)
    member = make_member()
    book(member, room, local(2026, 12, 2, 10), title="Workshop", now=clock)
    assert cell(grid(sign_in(member)), WED, "Room", "10:00") == (
        "mine pending",
        "Workshop (awaiting approval)",
    )


def test_buffers_keep_slots_free_around_bookings(sign_in, make_member, make_resource, book, clock):
    kitchen = make_resource(slug="kitchen", name="Kitchen", buffer_after_minutes=30)
    book(make_member(), kitchen, local(2026, 12, 2, 10), now=clock)
    page = grid(sign_in(make_member()), "kitchen")
    assert cell(page, WED, "Kitchen", "11:00") == ("buffer", "Kept free")
    assert cell(page, WED, "Kitchen", "11:30") == ("free", "Book")
    # a booking ending at 10:00 would need its own cleaning time then
    assert cell(page, WED, "Kitchen", "09:30") == ("buffer", "Kept free")
    assert cell(page, WED, "Kitchen", "09:00") == ("free", "Book")


def test_a_booked_machine_blocks_its_facility_and_a_facility_booking_its_machines(
    sign_in, make_member, make_resource, book, clock
):
    fablab = make_resource(slug="fablab", name="Fablab")
    laser = make_resource(slug="laser", name="Laser", kind=ResourceKind.MACHINE, parent=fablab)
    make_resource(slug="cnc", name="CNC", kind=ResourceKind.MACHINE, parent=fablab)
    book(make_member(), laser, local(2026, 12, 2, 10), now=clock)
    book(make_member(), fablab, local(2026, 12, 2, 14), now=clock)
    page = grid(sign_in(make_member()), "fablab")
    assert cell(page, WED, "Fablab", "10:00") == ("booked", "A machine is booked")
    assert cell(page, WED, "CNC", "10:00") == ("free", "Book")
    assert cell(page, WED, "Laser", "14:00")[0] == "booked"
    assert cell(page, WED, "CNC", "14:00")[0] == "booked"


def test_a_booking_past_its_check_in_deadline_is_free_already(
    sign_in, make_member, make_resource, book, clock
):
    room = make_resource(slug="room", name="Room", checkin_required=True, checkin_window_minutes=15)
    earlier = clock - dt.timedelta(days=1)
    book(make_member(), room, local(2026, 12, 1, 8, 30), hours=2, now=earlier)
    page = grid(sign_in(make_member()))
    assert cell(page, "2026-12-01", "Room", "09:30") == ("free", "Book")


def test_a_slot_too_short_for_the_shortest_booking_has_no_link(
    sign_in, make_member, make_resource, book, clock
):
    room = make_resource(slug="room", name="Room", min_minutes=60)
    book(make_member(), room, local(2026, 12, 2, 11), now=clock)
    page = grid(sign_in(make_member()))
    assert cell(page, WED, "Room", "10:00") == ("free", "Book")  # 10:00-11:00 fits
    assert cell(page, WED, "Room", "10:30") == ("free off", "free")  # 10:30-11:30 would not
    assert cell(page, "2026-12-02", "Room", "21:30") == ("free off", "free")  # closes at 22:00
    assert book_link(page, "2026-12-02T10:00+01:00").endswith("end=2026-12-02T11%3A00%2B01%3A00")


def test_lead_time_and_horizon_are_shown(sign_in, make_member, make_resource, clock):
    make_resource(slug="room", name="Room", lead_minutes=120, horizon_days=1)
    client = sign_in(make_member())
    page = grid(client, date="2026-12-01")
    assert cell(page, "2026-12-01", "Room", "10:00") == ("free off", "too soon")
    assert cell(page, "2026-12-01", "Room", "11:00") == ("free", "Book")
    assert cell(page, "2026-12-03", "Room", "10:00") == ("free off", "too far ahead")


def test_week_navigation_and_the_facility_picker(sign_in, make_member, make_resource, room, clock):
    make_resource(slug="kitchen", name="Kitchen", kind=ResourceKind.KITCHEN)
    client = sign_in(make_member())
    page = grid(client)
    assert "/bookings/grid?facility=room&amp;week=2026-W48" in page
    assert "/bookings/grid?facility=room&amp;week=2026-W49#day-2026-12-01" in page  # today
    assert "/bookings/grid?facility=room&amp;week=2026-W50" in page
    assert '<option value="kitchen">Kitchen</option>' in page
    page = client.get("/bookings/grid?facility=room&week=2026-W50").data.decode()
    assert 'id="day-2026-12-07"' in page
    assert 'id="day-2026-12-13"' in page
    page = client.get("/bookings/grid").data.decode()  # no choice: the first, this week
    assert 'id="day-2026-11-30"' in page


@pytest.mark.parametrize(
    ("date", "around"),
    [
        ("2027-03-28", ["01:00", "01:30", "03:00", "03:30"]),  # the clocks jump forward
        ("2027-10-31", ["01:30", "02:00", "02:30", "02:00", "02:30", "03:00"]),  # and back
    ],
)
def test_the_grid_shows_the_days_that_daylight_saving_changes_as_they_are(
    sign_in, make_member, make_resource, clock, date, around
):
    make_resource(slug="room", name="Room", opening_hours=ALWAYS_OPEN, horizon_days=400)
    page = grid(sign_in(make_member()), date=date)
    section = day_section(page, date)
    columns = re.findall(r'<th scope="col" class="time">(\d\d:\d\d)</th>', section)
    assert len(columns) == {"2027-03-28": 46, "2027-10-31": 50}[date]
    start = columns.index(around[0])
    assert columns[start : start + len(around)] == around
    assert "02:00" not in columns or date == "2027-10-31"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("week=2026-W99", "This week does not exist."),
        ("week=garbage", "Give a week such as 2026-W49."),
        ("date=9999-01-01", "This date is out of range."),
        ("week=9999-W01", "This date is out of range."),
        ("date=2026-02-30", "Give a date such as 2026-12-02."),
        ("date=%3Cscript%3E", "Give a date such as 2026-12-02."),
    ],
)
def test_a_bad_week_is_refused_with_a_message(sign_in, make_member, room, clock, query, message):
    response = sign_in(make_member()).get(f"/bookings/grid?facility=room&{query}")
    assert response.status_code == 422
    assert message.encode() in response.data
    assert b"<script>" not in response.data


@pytest.mark.parametrize("slug", ["nope", "%3Cscript%3E", "x" * 300])
def test_an_unknown_facility_is_404(sign_in, make_member, room, clock, slug):
    assert sign_in(make_member()).get(f"/bookings/grid?facility={slug}").status_code == 404


def test_non_bookable_and_deactivated_resources_are_not_in_the_grid(
    sign_in, make_member, make_resource, room, clock
):
    make_resource(slug="walk-in", name="Walk-in printer", bookable=False)
    make_resource(slug="old", name="Old room", active=False)
    client = sign_in(make_member())
    assert b"Walk-in printer" not in client.get("/bookings/grid").data
    assert client.get("/bookings/grid?facility=old").status_code == 404


# -- the booking form -------------------------------------------------------------


def test_booking_from_the_grid_opens_a_prefilled_form_and_books(
    sign_in, make_member, room, clock, db_session
):
    member = make_member()
    client = sign_in(member)
    link = book_link(grid(client), "2026-12-02T10:00+01:00")
    page = client.get(link).data.decode()
    assert '<option selected value="room">Room</option>' in page
    assert 'value="2026-12-02"' in page
    assert 'id="start_time" name="start_time" required step="300" type="time" value="10:00"' in page
    assert 'value="10:30"' in page
    response = client.post("/bookings/new", data=form(start="10:00", end="10:30", title="Call"))
    assert response.status_code == 302
    [booking] = bookings(db_session)
    assert response.headers["Location"] == f"/bookings/{booking.id}"
    assert (booking.start, booking.end) == (local(2026, 12, 2, 10), local(2026, 12, 2, 10, 30))
    assert booking.booked_for_id == member.id
    assert booking.tenant_id == member.tenant_id
    page = client.get(response.headers["Location"]).data.decode()
    assert "Booked: Room, Wed 2 Dec 2026, 10:00\u201310:30." in page


def test_a_prefill_with_nonsense_is_ignored(sign_in, make_member, room, clock):
    response = sign_in(make_member()).get(
        "/bookings/new?resource=%3Cscript%3E&start=9999-99-99&end=x"
    )
    assert response.status_code == 200
    assert b"<script>" not in response.data


@pytest.mark.parametrize(
    ("settings", "data", "rule", "message"),
    [
        ({"min_minutes": 60}, {"end": "10:30"}, "Shortest booking", "at least 60 minutes"),
        ({"max_minutes": 60}, {"end": "12:00"}, "Longest booking", "at most 60 minutes"),
        ({"slot_minutes": 60}, {"start": "10:30", "end": "11:30"}, "Time steps", "steps of 60"),
        ({"lead_minutes": 48 * 60}, {}, "Book ahead", "at least 2880 minutes ahead"),
        ({"horizon_days": 0}, {}, "How far ahead", "at most 0 days ahead"),
        ({}, {"date": "2026-12-06"}, "Opening hours", "Room is closed at that time."),
        ({}, {"date": "2026-12-01", "start": "08:00", "end": "08:30"}, "Not in the past", ""),
        ({"bookable": True, "status": ResourceStatus.MAINTENANCE}, {}, "Availability", ""),
        ({"training_required": True}, {}, "Training", "has no valid training for Room"),
    ],
)
def test_every_refusal_names_its_rule_and_reason(
    sign_in, make_member, make_resource, clock, db_session, settings, data, rule, message
):
    make_resource(slug="room", name="Room", **settings)
    response = sign_in(make_member()).post("/bookings/new", data=form(**data))
    assert response.status_code == 422
    page = response.data.decode()
    assert f"Refused by the rule \u201c{rule}\u201d:" in page
    assert message in page
    assert bookings(db_session) == []


def test_a_closure_refuses_with_its_reason(sign_in, make_member, room, clock, db_session):
    db_session.add(
        Closure(
            resource=room,
            start=local(2026, 12, 2, 8),
            end=local(2026, 12, 2, 18),
            reason="Floor works",
        )
    )
    response = sign_in(make_member()).post("/bookings/new", data=form())
    assert response.status_code == 422
    assert "Room is closed then: Floor works." in response.data.decode()


def test_a_conflict_lists_what_is_in_the_way_in_local_time(
    sign_in, make_member, book, room, clock, db_session
):
    book(make_member(), room, local(2026, 12, 2, 10), now=clock)
    response = sign_in(make_member()).post("/bookings/new", data=form(start="10:30", end="11:30"))
    assert response.status_code == 409
    page = response.data.decode()
    assert "Refused by the rule \u201cAlready booked\u201d:" in page
    assert "Wed 2 Dec 2026, 10:00\u201311:00" in page
    assert len(bookings(db_session)) == 1


def test_a_quota_refusal_says_how_much_is_left(
    sign_in, make_member, make_tenant, room, clock, db_session
):
    tenant = make_tenant(quota_hours={"room": 2})
    response = sign_in(make_member(tenant=tenant)).post("/bookings/new", data=form(end="13:00"))
    assert response.status_code == 422
    page = response.data.decode()
    assert "Refused by the rule \u201cQuota\u201d:" in page
    assert "needs 3.00 h but your company has 2 h of 2 h left" in page


def test_a_local_time_that_dst_skips_is_refused(sign_in, make_member, make_resource, clock):
    make_resource(slug="room", name="Room", opening_hours=ALWAYS_OPEN, horizon_days=365)
    response = sign_in(make_member()).post(
        "/bookings/new", data=form(date="2027-03-28", start="02:30", end="03:30")
    )
    assert response.status_code == 422
    assert "2027-03-28 02:30 does not exist on that day" in response.data.decode()


def test_a_local_time_that_dst_repeats_is_refused_with_what_to_do(
    sign_in, make_member, make_resource, clock, db_session
):
    make_resource(slug="room", name="Room", opening_hours=ALWAYS_OPEN, horizon_days=365)
    response = sign_in(make_member()).post(
        "/bookings/new", data=form(date="2027-10-31", start="02:30", end="03:30")
    )
    assert response.status_code == 422
    page = response.data.decode()
    assert "2027-10-31 02:30 happens twice on that day" in page
    assert "Choose a time outside that hour" in page
    assert "This local time happens twice that day." in page  # on the start field
    assert bookings(db_session) == []


BAD_INPUT = [
    ({"start": "11:00", "end": "10:00"}, "The end must be after the start."),
    ({"start": "10:00", "end": "10:00"}, "The end must be after the start."),
    ({"date": "9999-12-31"}, "This date is out of range."),
    ({"date": "1999-01-01"}, "This date is out of range."),
    ({"date": "2026-13-45"}, "Not a valid date value."),
    ({"date": ""}, "This field is required."),
    ({"start": "25:99"}, "Not a valid time value."),
    ({"end": "garbage"}, "Not a valid time value."),
    ({"resource": "nope"}, "Not a valid choice."),
    ({"resource": ""}, "This field is required."),
    ({"title": TOO_LONG}, "Field cannot be longer than 200 characters."),
    ({"repeat": "yearly"}, "Not a valid choice."),
    ({"repeat": "weekly", "interval": "abc"}, "Not a valid integer value."),
    ({"repeat": "weekly", "interval": "99"}, "The interval must be a number from 1 to 52."),
    ({"repeat": "weekly", "count": "10000"}, "A series can have at most 200 occurrences."),
    ({"repeat": "daily", "count": ""}, "Give the number of times."),
    ({"repeat": "daily", "ends": "until", "until": ""}, "Give the last date."),
    ({"repeat": "daily", "ends": "until", "until": "2026-11-01"}, "has no occurrences"),
    ({"repeat": "daily", "ends": "until", "until": "9999-01-01"}, "This date is out of range."),
    ({"repeat": "weekly", "weekdays": "XX"}, "is not a valid choice"),
    ({"ends": "forever", "repeat": "daily"}, "Not a valid choice."),
]


@pytest.mark.parametrize(("data", "message"), BAD_INPUT)
def test_bad_input_is_refused_with_a_message_and_nothing_is_booked(
    sign_in, make_member, room, clock, db_session, data, message
):
    values = {{"start": "start_time", "end": "end_time"}.get(k, k): v for k, v in data.items()}
    response = sign_in(make_member()).post("/bookings/new", data=form(**values))
    assert response.status_code == 422
    assert message in response.data.decode()
    assert bookings(db_session) == []


@pytest.mark.parametrize("title", INVISIBLE)
def test_invisible_characters_in_a_title_are_refused(
    sign_in, make_member, room, clock, db_session, title
):
    response = sign_in(make_member()).post("/bookings/new", data=form(title=title))
    assert response.status_code == 422
    assert b"invisible or control characters" in response.data
    assert bookings(db_session) == []


def test_an_odd_title_is_stored_as_typed_and_shown_escaped(
    sign_in, make_member, room, clock, db_session
):
    client = sign_in(make_member())
    response = client.post("/bookings/new", data=form(title=SCRIPT))
    assert response.status_code == 302
    assert bookings(db_session)[0].title == SCRIPT
    page = client.get(response.headers["Location"]).data
    assert ESCAPED_SCRIPT in page
    assert SCRIPT.encode() not in page
    assert ESCAPED_SCRIPT in client.get("/bookings/grid?facility=room&date=2026-12-02").data


def test_a_weekly_series_skips_conflicts_and_says_which(
    sign_in, make_member, book, room, clock, db_session
):
    book(make_member(), room, local(2026, 12, 9, 10), now=clock)
    member = make_member()
    client = sign_in(member)
    response = client.post(
        "/bookings/new",
        data=form(repeat="weekly", weekdays=["WE", "FR"], count="4", skip_conflicts="y"),
    )
    assert response.status_code == 302
    mine = [b for b in bookings(db_session) if b.booked_for_id == member.id]
    days = [b.start.astimezone(local(2026, 1, 1).tzinfo).date().isoformat() for b in mine]
    assert days == ["2026-12-02", "2026-12-04", "2026-12-11"]
    assert len({b.series_id for b in mine}) == 1
    page = client.get(response.headers["Location"]).data.decode()
    assert "Booked: Room, 3 times." in page
    assert (
        "Skipped because that time was taken or closed: Wed 9 Dec 2026, 10:00\u201311:00." in page
    )


def test_a_series_without_skipping_is_refused_whole(
    sign_in, make_member, book, room, clock, db_session
):
    book(make_member(), room, local(2026, 12, 9, 10), now=clock)
    response = sign_in(make_member()).post("/bookings/new", data=form(repeat="weekly", count="3"))
    assert response.status_code == 409
    assert "Wed 9 Dec 2026, 10:00\u201311:00" in response.data.decode()
    assert len(bookings(db_session)) == 1


def test_a_monthly_series_until_a_date(sign_in, make_member, room, clock, db_session):
    response = sign_in(make_member()).post(
        "/bookings/new",
        data=form(repeat="monthly", ends="until", until="2027-02-15", title="Monthly"),
    )
    assert response.status_code == 302
    assert [b.start for b in bookings(db_session)] == [
        local(2026, 12, 2, 10),
        local(2027, 1, 2, 10),
        local(2027, 2, 2, 10),
    ]
    assert bookings(db_session)[0].series.rrule == "FREQ=MONTHLY;INTERVAL=1;UNTIL=20270215"


def test_an_end_at_midnight_means_the_end_of_the_day(
    sign_in, make_member, make_resource, clock, db_session
):
    make_resource(slug="room", name="Room", opening_hours=ALWAYS_OPEN)
    response = sign_in(make_member()).post("/bookings/new", data=form(start="23:00", end="00:00"))
    assert response.status_code == 302
    assert bookings(db_session)[0].end == local(2026, 12, 3, 0, 0)


def test_a_request_for_an_approved_resource_is_pending(
    sign_in, make_member, make_resource, clock, db_session
):
    make_resource(slug="room", name="Room", approval_required=True)
    client = sign_in(make_member())
    response = client.post("/bookings/new", data=form())
    assert bookings(db_session)[0].status == BookingStatus.PENDING
    page = client.get(response.headers["Location"]).data.decode()
    assert "A manager approves or rejects the request" in page
    assert "awaiting approval" in page


def test_a_trained_member_books_a_machine(sign_in, make_member, make_resource, clock, db_session):
    fablab = make_resource(slug="fablab", name="Fablab")
    laser = make_resource(
        slug="laser", name="Laser", kind=ResourceKind.MACHINE, parent=fablab, training_required=True
    )
    member = make_member()
    db_session.add(Qualification(member=member, resource=laser))
    response = sign_in(member).post("/bookings/new", data=form(resource="laser"))
    assert response.status_code == 302


# -- booking for someone else ---------------------------------------------------


def test_members_book_only_for_themselves(sign_in, make_member, room, clock, db_session):
    member = make_member()
    colleague = make_member(tenant=member.tenant)
    client = sign_in(member)
    assert b'name="booked_for"' not in client.get("/bookings/new").data
    client.post("/bookings/new", data=form(booked_for=str(colleague.id)))
    assert bookings(db_session)[0].booked_for_id == member.id


def test_tenant_admins_book_for_their_own_members_only(
    sign_in, make_member, room, clock, db_session
):
    admin = make_member(role="tenant_admin")
    colleague = make_member(tenant=admin.tenant)
    stranger = make_member()
    client = sign_in(admin)
    page = client.get("/bookings/new").data.decode()
    assert colleague.name in page
    assert stranger.name not in page
    response = client.post("/bookings/new", data=form(booked_for=str(stranger.id)))
    assert response.status_code == 422
    assert bookings(db_session) == []
    response = client.post("/bookings/new", data=form(booked_for=str(colleague.id)))
    assert response.status_code == 302
    [booking] = bookings(db_session)
    assert (booking.booked_for_id, booking.booked_by_id) == (colleague.id, admin.id)


def test_managers_book_for_any_member_or_for_the_incubator(
    sign_in, make_member, room, clock, db_session
):
    manager = make_member(role="manager")
    member = make_member()
    client = sign_in(manager)
    page = client.get("/bookings/new").data.decode()
    assert "The incubator itself" in page
    assert f'<optgroup label="{member.tenant.name}">' in page
    client.post("/bookings/new", data=form(booked_for=""))
    client.post("/bookings/new", data=form(booked_for=str(member.id), start="12:00", end="13:00"))
    own, theirs = bookings(db_session)
    assert own.tenant_id is None
    assert own.booked_for_id == manager.id
    assert theirs.tenant_id == member.tenant_id
    assert theirs.booked_for_id == member.id


def test_the_booking_form_checks_its_csrf_token(
    app, monkeypatch, sign_in, make_member, room, clock, db_session
):
    import re

    client = sign_in(make_member())
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post("/bookings/new", data=form())
    assert response.status_code == 400
    assert b"Your form expired" in response.data
    assert bookings(db_session) == []
    page = client.get("/bookings/new").data.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/bookings/new", data=form(csrf_token=token)).status_code == 302
    assert len(bookings(db_session)) == 1
