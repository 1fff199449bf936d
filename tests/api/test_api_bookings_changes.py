"""/api/v1/bookings: series, conflicts, moving and cancelling with scopes and notice,
and local times across the daylight-saving changes.

The clock stands at Tuesday 1 December 2026, 09:00 in Brussels (UTC+1).
"""

import datetime as dt

import pytest

from app.models import AuditLog, Booking, BookingClaim, BookingSeries, BookingStatus, ResourceKind

pytestmark = pytest.mark.db

WED_10 = "2026-12-02T10:00"
WED_11 = "2026-12-02T11:00"
ALWAYS_OPEN = {
    day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}


def starts(bookings):
    return [b["start"] for b in bookings]


@pytest.fixture
def far_room(room, db_session):
    """The room, bookable a year ahead and at any hour (for the DST dates)."""
    room.horizon_days = 365
    room.opening_hours = ALWAYS_OPEN
    db_session.commit()
    return room


# -- series ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        (
            "2027-03-15",  # crosses the last Sunday of March (28 March 2027)
            [
                "2027-03-15T14:00:00+01:00",
                "2027-03-22T14:00:00+01:00",
                "2027-03-29T14:00:00+02:00",
                "2027-04-05T14:00:00+02:00",
            ],
        ),
        (
            "2027-10-18",  # crosses the last Sunday of October (31 October 2027)
            [
                "2027-10-18T14:00:00+02:00",
                "2027-10-25T14:00:00+02:00",
                "2027-11-01T14:00:00+01:00",
                "2027-11-08T14:00:00+01:00",
            ],
        ),
    ],
)
def test_a_weekly_series_keeps_its_local_time_across_dst(booking_of, far_room, first, expected):
    body = booking_of(
        "member_a", f"{first}T14:00", f"{first}T16:00", recurrence="FREQ=WEEKLY;COUNT=4"
    )
    assert starts(body["occurrences"]) == expected
    assert [b["end"][11:16] for b in body["occurrences"]] == ["16:00"] * 4
    assert body["id"] == body["occurrences"][0]["id"]
    assert body["series_id"] is not None
    assert {b["series_id"] for b in body["occurrences"]} == {body["series_id"]}
    assert body["skipped"] == []


def test_a_series_conflict_refuses_all_and_names_each_clash(booking_of, post_booking, count):
    booking_of("member_b", "2026-12-09T10:00", "2026-12-09T11:00")
    booking_of("member_b", "2026-12-16T10:30", "2026-12-16T12:00")
    before = (count(Booking), count(BookingSeries))
    response = post_booking("member_a", WED_10, WED_11, recurrence="FREQ=WEEKLY;COUNT=4")
    assert response.status_code == 409
    assert response.get_json()["conflicts"] == [
        {"start": "2026-12-09T10:00:00+01:00", "end": "2026-12-09T11:00:00+01:00"},
        {"start": "2026-12-16T10:30:00+01:00", "end": "2026-12-16T12:00:00+01:00"},
    ]
    assert (count(Booking), count(BookingSeries)) == before


def test_skip_conflicts_books_the_rest_and_lists_what_it_skipped(booking_of):
    booking_of("member_b", "2026-12-09T10:00", "2026-12-09T11:00")
    body = booking_of(
        "member_a", WED_10, WED_11, recurrence="FREQ=WEEKLY;COUNT=3", skip_conflicts=True
    )
    assert starts(body["occurrences"]) == [
        "2026-12-02T10:00:00+01:00",
        "2026-12-16T10:00:00+01:00",
    ]
    assert body["skipped"] == [
        {"start": "2026-12-09T10:00:00+01:00", "end": "2026-12-09T11:00:00+01:00"}
    ]


def test_a_series_whose_every_occurrence_clashes_is_refused(booking_of, post_booking):
    booking_of("member_b", WED_10, WED_11)
    response = post_booking(
        "member_a", WED_10, WED_11, recurrence="FREQ=DAILY;COUNT=1", skip_conflicts=True
    )
    assert response.status_code == 422
    assert response.get_json()["rule"] == "conflict"


def test_weekly_on_chosen_weekdays(booking_of):
    body = booking_of(
        "member_a",
        "2026-12-07T09:00",
        "2026-12-07T10:00",
        recurrence="FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4",
    )
    assert [s[:10] for s in starts(body["occurrences"])] == [
        "2026-12-07",
        "2026-12-09",
        "2026-12-14",
        "2026-12-16",
    ]


# -- conflicts ----------------------------------------------------------------------


def test_an_overlap_is_a_409_naming_the_interval_and_writes_nothing(
    booking_of, post_booking, count
):
    booking_of("member_b", WED_10, WED_11, title="Secret")
    before = (count(Booking), count(BookingClaim))
    response = post_booking("member_a", "2026-12-02T10:30", "2026-12-02T12:00")
    assert response.status_code == 409
    assert response.get_json() == {
        "error": "conflict",
        "message": "This time is already booked.",
        "rule": "conflict",
        "conflicts": [{"start": "2026-12-02T10:00:00+01:00", "end": "2026-12-02T11:00:00+01:00"}],
    }
    assert (count(Booking), count(BookingClaim)) == before


def test_touching_bookings_do_not_clash(booking_of):
    booking_of("member_b", WED_10, WED_11)
    assert booking_of("member_a", WED_11, "2026-12-02T12:00")["status"] == "confirmed"


def test_buffers_widen_the_claim_but_the_conflict_names_the_booking(
    booking_of, post_booking, room, db_session
):
    room.buffer_after_minutes = 30
    db_session.commit()
    booking_of("member_b", WED_10, WED_11)
    response = post_booking("member_a", WED_11, "2026-12-02T12:00")
    assert response.status_code == 409
    assert response.get_json()["conflicts"] == [
        {"start": "2026-12-02T10:00:00+01:00", "end": "2026-12-02T11:00:00+01:00"}
    ]
    assert booking_of("member_a", "2026-12-02T11:30", "2026-12-02T12:00")


def test_the_whole_fablab_and_its_machines_block_each_other(
    make_resource, booking_of, post_booking
):
    fablab = make_resource(slug="fablab", name="Fablab")
    make_resource(slug="laser", name="Laser", kind=ResourceKind.MACHINE, parent=fablab)
    make_resource(slug="printer", name="Printer", kind=ResourceKind.MACHINE, parent=fablab)
    booking_of("member_a", WED_10, WED_11, resource="laser")
    assert booking_of("member_b", WED_10, WED_11, resource="printer")  # two machines: fine
    workshop = post_booking("manager", "2026-12-02T09:00", "2026-12-02T12:00", resource="fablab")
    assert workshop.status_code == 409
    assert len(workshop.get_json()["conflicts"]) == 2
    booking_of("manager", "2026-12-03T09:00", "2026-12-03T12:00", resource="fablab")
    machine = post_booking("member_a", "2026-12-03T10:00", "2026-12-03T11:00", resource="laser")
    assert machine.status_code == 409
    assert machine.get_json()["conflicts"] == [
        {"start": "2026-12-03T09:00:00+01:00", "end": "2026-12-03T12:00:00+01:00"}
    ]


# -- moving ------------------------------------------------------------------------------


def patch(client, auth, who, booking, **body):
    return client.patch(f"/api/v1/bookings/{booking['id']}", json=body, headers=auth(who))


def test_a_member_moves_their_booking(client, auth, booking_of, post_booking):
    booking = booking_of("member_a")
    response = patch(
        client, auth, "member_a", booking, start="2026-12-02T14:00", end="2026-12-02T16:00"
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["start"], body["end"]) == (
        "2026-12-02T14:00:00+01:00",
        "2026-12-02T16:00:00+01:00",
    )
    assert body["sequence"] == booking["sequence"] + 1
    assert [b["id"] for b in body["changed"]] == [booking["id"]]
    assert post_booking("member_b", WED_10, WED_11).status_code == 201  # the old slot is free


def test_a_start_sent_alone_keeps_the_length(client, auth, booking_of):
    booking = booking_of("member_a", WED_10, "2026-12-02T11:30")
    body = patch(client, auth, "member_a", booking, start="2026-12-02T15:00").get_json()
    assert (body["start"], body["end"]) == (
        "2026-12-02T15:00:00+01:00",
        "2026-12-02T16:30:00+01:00",
    )


def test_a_title_sent_alone_renames(client, auth, booking_of):
    booking = booking_of("member_a", title="Draft")
    body = patch(client, auth, "member_a", booking, title="Final").get_json()
    assert body["title"] == "Final"
    assert body["start"] == booking["start"]


def test_an_empty_change_changes_nothing(client, auth, booking_of):
    booking = booking_of("member_a")
    body = patch(client, auth, "member_a", booking).get_json()
    assert body["changed"] == []
    assert body["sequence"] == booking["sequence"]


@pytest.mark.parametrize("who", ["admin_a", "manager"])
def test_the_company_admin_and_managers_move_a_members_booking(client, auth, booking_of, who):
    booking = booking_of("member_a")
    response = patch(client, auth, who, booking, start="2026-12-02T12:00")
    assert response.status_code == 200


def test_a_move_into_another_booking_is_a_409_and_changes_nothing(
    client, auth, booking_of, db_session
):
    mine = booking_of("member_a")
    booking_of("member_b", "2026-12-02T13:00", "2026-12-02T14:00")
    response = patch(client, auth, "member_a", mine, start="2026-12-02T12:30")
    assert response.status_code == 409
    assert response.get_json()["conflicts"] == [
        {"start": "2026-12-02T13:00:00+01:00", "end": "2026-12-02T14:00:00+01:00"}
    ]
    stored = db_session.get(Booking, mine["id"])
    db_session.refresh(stored)
    assert stored.start == dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
    assert len(stored.claims) == 1


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"start": "2026-12-02T21:30"}, "opening_hours"),
        ({"start": "2026-12-01T08:00"}, "in_past"),
        ({"end": "2026-12-02T10:10"}, "min_length"),
        ({"start": "2026-12-02T10:10"}, "granularity"),
        ({"end": "2026-12-02T09:00"}, "interval"),
    ],
)
def test_a_move_is_checked_against_every_rule(client, auth, booking_of, change, rule):
    booking = booking_of("member_a")
    response = patch(client, auth, "member_a", booking, **change)
    assert response.status_code == 422
    assert response.get_json()["rule"] == rule


@pytest.fixture
def late(booking_of, room, db_session, clock):
    """A booking tomorrow 10:00 on a room that needs a day's notice; it is now 22 hours before."""
    room.change_notice_minutes = 24 * 60
    db_session.commit()
    booking = booking_of("member_a")
    clock.set(dt.datetime(2026, 12, 1, 11, 0, tzinfo=dt.UTC))
    return booking


@pytest.mark.parametrize("who", ["member_a", "admin_a", "manager"])
def test_a_late_change_is_refused_without_an_override(client, auth, late, who):
    response = patch(client, auth, who, late, start="2026-12-02T14:00")
    assert response.status_code == 422
    assert response.get_json()["rule"] == "change_notice"
    cancel = client.delete(f"/api/v1/bookings/{late['id']}", headers=auth(who))
    assert cancel.status_code == 422
    assert cancel.get_json()["rule"] == "change_notice"


def test_a_late_rename_is_no_change_of_the_slot_and_needs_no_notice(client, auth, late, db_session):
    """The notice period guards the slot (moving, cancelling); a new title leaves it be."""
    response = patch(client, auth, "member_a", late, title="Renamed late")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["title"], body["start"], body["end"]) == (
        "Renamed late",
        late["start"],
        late["end"],
    )
    assert body["sequence"] == late["sequence"] + 1
    assert [b["id"] for b in body["changed"]] == [late["id"]]
    same_times = patch(
        client, auth, "member_a", late, start=late["start"], end=late["end"], title="Again"
    )
    assert same_times.status_code == 200
    assert same_times.get_json()["title"] == "Again"
    stored = db_session.get(Booking, late["id"])
    db_session.refresh(stored)
    assert (stored.title, stored.late_change) == ("Again", False)
    moved = patch(client, auth, "member_a", late, start="2026-12-02T14:00", title="Moved")
    assert moved.get_json()["rule"] == "change_notice"


@pytest.mark.parametrize("who", ["member_a", "admin_a"])
def test_only_managers_may_override_the_notice(client, auth, late, who):
    response = patch(client, auth, who, late, start="2026-12-02T14:00", override_notice=True)
    assert response.get_json()["rule"] == "change_notice"
    cancel = client.delete(f"/api/v1/bookings/{late['id']}?override_notice=true", headers=auth(who))
    assert cancel.get_json()["rule"] == "change_notice"


def test_a_manager_overrides_the_notice_and_it_is_audited(client, auth, late, db_session):
    moved = patch(client, auth, "manager", late, start="2026-12-02T11:00", override_notice=True)
    assert moved.status_code == 200
    cancel = client.delete(
        f"/api/v1/bookings/{late['id']}?override_notice=true", headers=auth("manager")
    )
    assert cancel.status_code == 204
    stored = db_session.get(Booking, late["id"])
    db_session.refresh(stored)
    assert stored.status == BookingStatus.CANCELLED
    assert stored.late_change is True
    actions = {
        e.action: e.details
        for e in db_session.query(AuditLog).filter(AuditLog.object_type == "booking")
    }
    assert actions["booking.move"]["scope"] == "this"
    assert actions["booking.cancel"]["override"] is True


# -- scopes ---------------------------------------------------------------------------


@pytest.fixture
def weekly(booking_of):
    """Four Wednesdays at 10:00: 2, 9, 16 and 23 December 2026."""
    return booking_of("member_a", WED_10, WED_11, recurrence="FREQ=WEEKLY;COUNT=4")["occurrences"]


@pytest.mark.parametrize(
    ("scope", "hours"),
    [
        ("this", ["10", "12", "10", "10"]),
        ("following", ["10", "12", "12", "12"]),
        ("series", ["12", "12", "12", "12"]),
    ],
)
def test_moving_an_occurrence_with_a_scope(client, auth, weekly, scope, hours):
    response = patch(
        client,
        auth,
        "member_a",
        weekly[1],
        start="2026-12-09T12:00",
        end="2026-12-09T13:00",
        scope=scope,
    )
    assert response.status_code == 200, response.get_json()
    assert len(response.get_json()["changed"]) == hours.count("12")
    listed = client.get("/api/v1/bookings", headers=auth("member_a")).get_json()["items"]
    assert [b["start"][11:13] for b in listed] == hours


@pytest.mark.parametrize(
    ("scope", "statuses"),
    [
        ("this", ["confirmed", "confirmed", "cancelled", "confirmed"]),
        ("following", ["confirmed", "confirmed", "cancelled", "cancelled"]),
        ("series", ["cancelled"] * 4),
    ],
)
def test_cancelling_an_occurrence_with_a_scope(client, auth, weekly, scope, statuses):
    response = client.delete(
        f"/api/v1/bookings/{weekly[2]['id']}?scope={scope}", headers=auth("member_a")
    )
    assert response.status_code == 204
    assert response.get_data() == b""
    listed = client.get("/api/v1/bookings", headers=auth("member_a")).get_json()["items"]
    assert [b["status"] for b in listed] == statuses


def test_a_whole_series_cancel_leaves_the_occurrences_already_over(client, auth, clock, weekly):
    clock.set(dt.datetime(2026, 12, 10, 8, 0, tzinfo=dt.UTC))
    client.delete(f"/api/v1/bookings/{weekly[3]['id']}?scope=series", headers=auth("member_a"))
    listed = client.get("/api/v1/bookings", headers=auth("member_a")).get_json()["items"]
    assert [b["status"] for b in listed] == ["confirmed", "confirmed", "cancelled", "cancelled"]


def test_a_cancelled_booking_cannot_be_cancelled_or_moved_again(client, auth, booking_of):
    booking = booking_of("member_a")
    url = f"/api/v1/bookings/{booking['id']}"
    assert client.delete(url, headers=auth("member_a")).status_code == 204
    again = client.delete(url, headers=auth("member_a"))
    assert again.status_code == 422
    assert again.get_json()["rule"] == "not_active"
    moved = patch(client, auth, "member_a", booking, start="2026-12-02T14:00")
    assert moved.get_json()["rule"] == "not_active"


# -- daylight saving ---------------------------------------------------------------------

GAP = "2027-03-28T02:30"  # the clocks jump from 02:00 to 03:00
TWICE = "2027-10-31T02:30"  # the clocks go back from 03:00 to 02:00


@pytest.mark.parametrize(
    ("start", "end", "field", "message"),
    [
        (
            GAP,
            "2027-03-28T04:00",
            "start",
            "2027-03-28 02:30 does not exist on that day: the clocks jump forward.",
        ),
        (
            "2027-03-28T01:00",
            GAP,
            "end",
            "2027-03-28 02:30 does not exist on that day: the clocks jump forward.",
        ),
        (
            TWICE,
            "2027-10-31T04:00",
            "start",
            "2027-10-31 02:30 happens twice on that day: the clocks go back. Give the UTC offset.",
        ),
        (
            "2027-10-31T01:00",
            TWICE,
            "end",
            "2027-10-31 02:30 happens twice on that day: the clocks go back. Give the UTC offset.",
        ),
    ],
)
def test_a_local_time_dst_makes_unclear_is_refused(
    post_booking, far_room, count, start, end, field, message
):
    response = post_booking("member_a", start, end)
    assert response.status_code == 422
    body = response.get_json()
    assert body["rule"] == "local_time"
    assert body["message"] == message
    assert set(body["fields"]) == {field}
    assert count(Booking) == 0


@pytest.mark.parametrize(("offset", "utc_hour"), [("+02:00", 0), ("+01:00", 1)])
def test_the_repeated_hour_is_accepted_with_its_offset(
    booking_of, far_room, db_session, offset, utc_hour
):
    body = booking_of("member_a", f"{TWICE}:00{offset}", "2027-10-31T03:30:00+01:00")
    assert body["start"] == f"{TWICE}:00{offset}"
    assert db_session.get(Booking, body["id"]).start.hour == utc_hour


def test_a_series_that_lands_in_the_gap_is_refused(post_booking, far_room):
    response = post_booking(
        "member_a", "2027-03-21T02:30", "2027-03-21T03:30", recurrence="FREQ=WEEKLY;COUNT=2"
    )
    assert response.status_code == 422
    assert response.get_json()["rule"] == "local_time"


def test_a_move_to_a_time_dst_makes_unclear_is_refused(client, auth, booking_of, far_room):
    booking = booking_of("member_a")
    response = patch(client, auth, "member_a", booking, start=TWICE)
    assert response.status_code == 422
    assert response.get_json()["rule"] == "local_time"


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/resources/room/availability?start={GAP}&end=2027-03-29T00:00",
        f"/api/v1/resources/room/availability?start=2027-10-30T00:00&end={TWICE}",
        f"/api/v1/bookings?start={TWICE}",
        f"/api/v1/bookings?end={GAP}",
    ],
)
def test_queries_refuse_unclear_local_times_too(client, auth, room, url):
    response = client.get(url, headers=auth("member_a"))
    assert response.status_code == 422
    assert response.get_json()["rule"] == "local_time"
