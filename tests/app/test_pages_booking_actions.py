"""One booking's page and what may be done with it; the lists; isolation between tenants.

The pages' clock is fixed (`clock`): Tuesday 1 December 2026, 09:00 in Brussels.
"""

import datetime as dt

import pytest
from sqlalchemy import select

from app.models import AuditLog, Booking, BookingStatus, ResourceStatus
from tests.app.booking_pages import local
from tests.app.page_inputs import INVISIBLE, TOO_LONG

pytestmark = pytest.mark.db

WED_10 = local(2026, 12, 2, 10)


@pytest.fixture
def room(make_resource):
    return make_resource(slug="room", name="Room")


def fresh(db_session, booking):
    db_session.expire_all()
    return db_session.get(Booking, booking.id)


def move_form(date="2026-12-02", start="14:00", end="15:00", **extra):
    return {"date": date, "start_time": start, "end_time": end, "title": "", **extra}


# -- the booking page --------------------------------------------------------------


def test_the_booking_page_shows_local_times_status_and_actions(
    sign_in, make_member, book, room, clock
):
    member = make_member()
    booking = book(member, room, WED_10, title="Pitch", now=clock).bookings[0]
    page = sign_in(member).get(f"/bookings/{booking.id}").data.decode()
    assert "<h1>Pitch</h1>" in page
    assert "Wed 2 Dec 2026, 10:00\u201311:00" in page
    assert "confirmed" in page
    assert f'action="/bookings/{booking.id}/move"' in page
    assert f'action="/bookings/{booking.id}/cancel"' in page
    assert f'href="/bookings/{booking.id}.ics"' in page
    assert 'name="scope"' not in page  # not a series
    assert 'name="override_notice"' not in page  # members cannot override
    assert "/approve" not in page
    assert "/check-in" not in page


def test_add_to_calendar_downloads_an_ics(sign_in, make_member, book, room, clock):
    member = make_member()
    booking = book(member, room, WED_10, title="Pitch", now=clock).bookings[0]
    response = sign_in(member).get(f"/bookings/{booking.id}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.data.decode()
    assert body.startswith("BEGIN:VCALENDAR")
    assert "SUMMARY:Pitch" in body
    assert f"booking-{booking.id}@" in body


def test_a_series_page_lists_its_occurrences_and_offers_scopes(
    sign_in, make_member, book, room, clock
):
    member = make_member()
    result = book(member, room, WED_10, recurrence="FREQ=WEEKLY;COUNT=3", now=clock)
    page = sign_in(member).get(f"/bookings/{result.bookings[1].id}").data.decode()
    assert "Repetition: FREQ=WEEKLY;COUNT=3." in page
    assert page.count('<li><a href="/bookings/') == 2  # the other two, as links
    assert 'value="following"' in page
    assert 'value="series"' in page


# -- moving ------------------------------------------------------------------------


def test_moving_a_booking(sign_in, make_member, book, room, clock, db_session):
    member = make_member()
    booking = book(member, room, WED_10, now=clock).bookings[0]
    client = sign_in(member)
    response = client.post(f"/bookings/{booking.id}/move", data=move_form(title="Moved"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/bookings/{booking.id}"
    moved = fresh(db_session, booking)
    assert (moved.start, moved.end, moved.title) == (
        local(2026, 12, 2, 14),
        local(2026, 12, 2, 15),
        "Moved",
    )
    assert (
        "Moved: now Wed 2 Dec 2026, 14:00\u201315:00."
        in client.get(f"/bookings/{booking.id}").data.decode()
    )


def test_a_new_title_with_the_same_times_renames_even_inside_the_notice_period(
    sign_in, make_member, make_resource, book, clock, db_session
):
    room = make_resource(slug="room", name="Room", change_notice_minutes=48 * 60)
    member = make_member()
    booking = book(member, room, WED_10, now=clock - dt.timedelta(days=7)).bookings[0]
    client = sign_in(member)
    same_times = move_form(start="10:00", end="11:00")
    response = client.post(f"/bookings/{booking.id}/move", data={**same_times, "title": "Demo"})
    assert response.status_code == 302
    renamed = fresh(db_session, booking)
    assert (renamed.title, renamed.start, renamed.sequence) == ("Demo", WED_10, 1)
    assert "Renamed." in client.get(f"/bookings/{booking.id}").data.decode()
    moved = client.post(f"/bookings/{booking.id}/move", data=move_form(title="Demo"))
    assert moved.status_code == 422  # moving is what the notice period is about
    assert "Notice for changes" in moved.data.decode()


def test_moving_this_and_the_following_occurrences(
    sign_in, make_member, book, room, clock, db_session
):
    member = make_member()
    first, second, third = book(
        member, room, WED_10, recurrence="FREQ=WEEKLY;COUNT=3", now=clock
    ).bookings
    response = sign_in(member).post(
        f"/bookings/{second.id}/move",
        data=move_form(date="2026-12-09", start="11:00", end="12:00", scope="following"),
    )
    assert response.status_code == 302
    assert fresh(db_session, first).start == WED_10
    assert fresh(db_session, second).start == local(2026, 12, 9, 11)
    assert fresh(db_session, third).start == local(2026, 12, 16, 11)


def test_moving_only_this_occurrence(sign_in, make_member, book, room, clock, db_session):
    member = make_member()
    first, second = book(member, room, WED_10, recurrence="FREQ=DAILY;COUNT=2", now=clock).bookings
    sign_in(member).post(f"/bookings/{first.id}/move", data=move_form(scope="this"))
    assert fresh(db_session, first).start == local(2026, 12, 2, 14)
    assert fresh(db_session, second).start == local(2026, 12, 3, 10)


def test_a_move_into_a_taken_slot_is_refused_and_nothing_moves(
    sign_in, make_member, book, room, clock, db_session
):
    member = make_member()
    booking = book(member, room, WED_10, now=clock).bookings[0]
    book(make_member(), room, local(2026, 12, 2, 14), now=clock)
    response = sign_in(member).post(f"/bookings/{booking.id}/move", data=move_form())
    assert response.status_code == 409
    page = response.data.decode()
    assert "Refused by the rule \u201cAlready booked\u201d:" in page
    assert "Wed 2 Dec 2026, 14:00\u201315:00" in page
    assert fresh(db_session, booking).start == WED_10


def test_a_move_is_checked_against_every_rule(
    sign_in, make_member, make_resource, book, clock, db_session
):
    room = make_resource(slug="room", name="Room", max_minutes=60)
    member = make_member()
    booking = book(member, room, WED_10, now=clock).bookings[0]
    response = sign_in(member).post(
        f"/bookings/{booking.id}/move", data=move_form(start="14:00", end="16:00")
    )
    assert response.status_code == 422
    assert "Refused by the rule \u201cLongest booking\u201d:" in response.data.decode()
    assert fresh(db_session, booking).end == local(2026, 12, 2, 11)


MOVE_BAD_INPUT = [
    ({"start_time": "15:00", "end_time": "14:00"}, "The end must be after the start."),
    ({"start_time": "14:00", "end_time": "14:00"}, "The end must be after the start."),
    ({"date": "9999-12-31"}, "This date is out of range."),
    ({"date": "garbage"}, "Not a valid date value."),
    ({"start_time": "<script>"}, "Not a valid time value."),
    ({"title": TOO_LONG}, "Field cannot be longer than 200 characters."),
    ({"title": INVISIBLE[1]}, "invisible or control characters"),
    ({"scope": "everything"}, "Not a valid choice."),
]


@pytest.mark.parametrize(("data", "message"), MOVE_BAD_INPUT)
def test_bad_input_on_the_move_form_is_refused_and_nothing_changes(
    sign_in, make_member, book, room, clock, db_session, data, message
):
    member = make_member()
    booking = book(member, room, WED_10, recurrence="FREQ=DAILY;COUNT=2", now=clock).bookings[0]
    response = sign_in(member).post(f"/bookings/{booking.id}/move", data=move_form(**data))
    assert response.status_code == 422
    assert message in response.data.decode()
    same = fresh(db_session, booking)
    assert (same.start, same.end, same.title, same.sequence) == (
        WED_10,
        local(2026, 12, 2, 11),
        "",
        0,
    )


# -- cancelling --------------------------------------------------------------------


def test_cancelling_frees_the_slot(sign_in, make_member, book, room, clock, db_session):
    member = make_member()
    booking = book(member, room, WED_10, now=clock).bookings[0]
    client = sign_in(member)
    response = client.post(f"/bookings/{booking.id}/cancel", data={})
    assert response.status_code == 302
    assert fresh(db_session, booking).status == BookingStatus.CANCELLED
    page = client.get(f"/bookings/{booking.id}").data.decode()
    assert "The booking is cancelled." in page
    assert f'action="/bookings/{booking.id}/cancel"' not in page  # nothing left to cancel
    assert "Book" in client.get("/bookings/grid?facility=room&date=2026-12-02").data.decode()


@pytest.mark.parametrize(
    ("scope", "left"),
    [("this", [True, False, True]), ("following", [True, False, False]), ("series", [False] * 3)],
)
def test_cancelling_with_a_scope(sign_in, make_member, book, room, clock, db_session, scope, left):
    member = make_member()
    series = book(member, room, WED_10, recurrence="FREQ=WEEKLY;COUNT=3", now=clock).bookings
    response = sign_in(member).post(f"/bookings/{series[1].id}/cancel", data={"scope": scope})
    assert response.status_code == 302
    assert [fresh(db_session, b).status == BookingStatus.CONFIRMED for b in series] == left


@pytest.mark.parametrize("scope", ["everything", "", "<script>"])
def test_a_bad_scope_is_refused_and_nothing_is_cancelled(
    sign_in, make_member, book, room, clock, db_session, scope
):
    member = make_member()
    series = book(member, room, WED_10, recurrence="FREQ=WEEKLY;COUNT=2", now=clock).bookings
    response = sign_in(member).post(f"/bookings/{series[0].id}/cancel", data={"scope": scope})
    assert response.status_code == 422
    assert "Not a valid choice." in response.data.decode()
    assert all(fresh(db_session, b).status == BookingStatus.CONFIRMED for b in series)


def test_the_notice_rule_refuses_late_cancellations_but_managers_may_override(
    sign_in, make_member, make_resource, book, clock, db_session
):
    room = make_resource(slug="room", name="Room", change_notice_minutes=48 * 60)
    member = make_member()
    booking = book(member, room, WED_10, now=clock - dt.timedelta(days=7)).bookings[0]
    response = sign_in(member).post(f"/bookings/{booking.id}/cancel", data={})
    assert response.status_code == 422
    assert "Refused by the rule \u201cNotice for changes\u201d:" in response.data.decode()
    assert "need 2880 minutes" in response.data.decode()
    manager = make_member(role="manager")
    client = sign_in(manager)
    assert 'name="override_notice"' in client.get(f"/bookings/{booking.id}").data.decode()
    assert client.post(f"/bookings/{booking.id}/cancel", data={}).status_code == 422
    assert fresh(db_session, booking).status == BookingStatus.CONFIRMED
    response = client.post(f"/bookings/{booking.id}/cancel", data={"override_notice": "y"})
    assert response.status_code == 302
    cancelled = fresh(db_session, booking)
    assert cancelled.status == BookingStatus.CANCELLED
    assert cancelled.late_change
    assert db_session.scalar(select(AuditLog).where(AuditLog.action == "booking.cancel"))


def test_a_cancelled_booking_cannot_be_cancelled_or_moved_again(
    sign_in, make_member, book, room, clock, db_session
):
    member = make_member()
    booking = book(member, room, WED_10, now=clock).bookings[0]
    client = sign_in(member)
    client.post(f"/bookings/{booking.id}/cancel", data={})
    response = client.post(f"/bookings/{booking.id}/cancel", data={})
    assert response.status_code == 422
    assert "no longer active" in response.data.decode()
    assert client.post(f"/bookings/{booking.id}/move", data=move_form()).status_code == 422
    assert fresh(db_session, booking).start == WED_10


# -- checking in -------------------------------------------------------------------


@pytest.fixture
def checkin_room(make_resource):
    return make_resource(slug="room", name="Room", checkin_required=True, checkin_window_minutes=15)


def test_the_check_in_button_shows_in_the_window_and_checks_in(
    sign_in, make_member, book, checkin_room, clock, db_session
):
    member = make_member()
    now_booking = book(
        member, checkin_room, local(2026, 12, 1, 9), now=clock - dt.timedelta(hours=1)
    ).bookings[0]
    later = book(member, checkin_room, WED_10, now=clock).bookings[0]
    client = sign_in(member)
    assert (
        f"/bookings/{now_booking.id}/check-in"
        in client.get(f"/bookings/{now_booking.id}").data.decode()
    )
    assert "/check-in" not in client.get(f"/bookings/{later.id}").data.decode()
    response = client.post(f"/bookings/{now_booking.id}/check-in")
    assert response.status_code == 302
    assert fresh(db_session, now_booking).checked_in_at == clock
    assert "Checked in." in client.get(f"/bookings/{now_booking.id}").data.decode()


def test_checking_in_outside_the_window_is_refused(
    sign_in, make_member, book, checkin_room, clock, db_session
):
    member = make_member()
    later = book(member, checkin_room, WED_10, now=clock).bookings[0]
    response = sign_in(member).post(f"/bookings/{later.id}/check-in")
    assert response.status_code == 422
    assert "Refused by the rule \u201cCheck-in time\u201d:" in response.data.decode()
    assert fresh(db_session, later).checked_in_at is None


# -- approvals ---------------------------------------------------------------------


@pytest.fixture
def request_(make_resource, make_member, book, clock):
    """A member's pending request for a room that needs approval."""
    room = make_resource(slug="hall", name="Hall", approval_required=True)
    member = make_member()
    return book(member, room, WED_10, title="Launch", now=clock).bookings[0]


def test_the_approval_queue_lists_requests_and_the_nav_counts_them(
    sign_in, make_member, request_, clock
):
    client = sign_in(make_member(role="manager"))
    page = client.get("/bookings/approvals").data.decode()
    assert "Launch" in page
    assert request_.tenant.name in page
    assert f'action="/bookings/{request_.id}/approve?next=/bookings/approvals"' in page
    assert '<span class="count">1<span class="sr-only"> waiting</span></span>' in page


def test_approving_from_the_queue(sign_in, make_member, request_, clock, db_session):
    client = sign_in(make_member(role="manager"))
    response = client.post(f"/bookings/{request_.id}/approve?next=/bookings/approvals")
    assert response.status_code == 302
    assert response.headers["Location"] == "/bookings/approvals"
    assert fresh(db_session, request_).status == BookingStatus.CONFIRMED
    page = client.get("/bookings/approvals").data.decode()
    assert "Approved: Hall, Wed 2 Dec 2026, 10:00\u201311:00." in page
    assert "No requests are waiting." in page


def test_rejecting_with_a_reason(sign_in, make_member, request_, clock, db_session):
    client = sign_in(make_member(role="manager"))
    response = client.post(
        f"/bookings/{request_.id}/reject?next=/bookings/approvals", data={"reason": "Fully booked"}
    )
    assert response.status_code == 302
    rejected = fresh(db_session, request_)
    assert (rejected.status, rejected.note) == (BookingStatus.REJECTED, "Fully booked")


@pytest.mark.parametrize(
    ("reason", "message"), [(TOO_LONG, "longer than 200"), (INVISIBLE[0], "invisible")]
)
def test_a_bad_reason_is_refused_and_the_request_stays(
    sign_in, make_member, request_, clock, db_session, reason, message
):
    response = sign_in(make_member(role="manager")).post(
        f"/bookings/{request_.id}/reject", data={"reason": reason}
    )
    assert response.status_code == 422
    assert message in response.data.decode()
    assert fresh(db_session, request_).status == BookingStatus.PENDING


def test_approval_checks_the_rules_again(sign_in, make_member, request_, clock, db_session):
    request_.resource.status = ResourceStatus.MAINTENANCE
    db_session.commit()
    response = sign_in(make_member(role="manager")).post(f"/bookings/{request_.id}/approve")
    assert response.status_code == 422
    assert "Refused by the rule \u201cAvailability\u201d:" in response.data.decode()
    assert fresh(db_session, request_).status == BookingStatus.PENDING


def test_an_approved_booking_cannot_be_approved_again(sign_in, make_member, request_, clock):
    client = sign_in(make_member(role="manager"))
    client.post(f"/bookings/{request_.id}/approve")
    response = client.post(f"/bookings/{request_.id}/approve")
    assert response.status_code == 422
    assert "Only pending bookings can be approved." in response.data.decode()


@pytest.mark.parametrize("role", ["member", "tenant_admin"])
def test_only_managers_decide(sign_in, make_member, request_, clock, db_session, role):
    client = sign_in(make_member(role=role, tenant=request_.tenant))
    assert client.get("/bookings/approvals").status_code == 403
    if role == "tenant_admin":  # sees the request, but may not decide it
        assert "/approve" not in client.get(f"/bookings/{request_.id}").data.decode()
        assert client.post(f"/bookings/{request_.id}/approve").status_code == 403
        assert client.post(f"/bookings/{request_.id}/reject").status_code == 403
    assert fresh(db_session, request_).status == BookingStatus.PENDING
    assert b'class="count"' not in client.get("/bookings/mine").data


# -- lists -------------------------------------------------------------------------


def test_my_bookings_lists_upcoming_and_past_and_nobody_elses(
    sign_in, make_member, book, room, clock, db_session
):
    member = make_member()
    colleague = make_member(tenant=member.tenant)
    mine = book(member, room, WED_10, title="Mine", now=clock).bookings[0]
    old = book(member, room, local(2026, 12, 3, 10), title="Old", now=clock).bookings[0]
    book(colleague, room, local(2026, 12, 2, 14), title="Theirs", now=clock)
    client = sign_in(member)
    client.post(f"/bookings/{old.id}/cancel", data={})
    page = client.get("/bookings/mine").data.decode()
    assert "Mine" in page
    assert f"/bookings/{mine.id}" in page
    assert "Old" not in page
    assert "Theirs" not in page
    past = client.get("/bookings/mine?show=past").data.decode()
    assert "Old" in past
    assert "cancelled" in past
    assert "Mine" not in past


def test_a_booking_made_for_me_is_in_my_bookings(sign_in, make_member, book, room, clock):
    admin = make_member(role="tenant_admin")
    member = make_member(tenant=admin.tenant)
    book(admin, room, WED_10, title="For you", booked_for=member, now=clock)
    assert "For you" in sign_in(member).get("/bookings/mine").data.decode()


def test_tenant_admins_see_their_companys_bookings_only(sign_in, make_member, book, room, clock):
    admin = make_member(role="tenant_admin")
    colleague = make_member(tenant=admin.tenant)
    stranger = make_member()
    book(colleague, room, WED_10, title="Colleague", now=clock)
    book(stranger, room, local(2026, 12, 2, 14), title="Stranger", now=clock)
    page = sign_in(admin).get("/bookings/company").data.decode()
    assert "Colleague" in page
    assert colleague.name in page
    assert "Stranger" not in page
    assert stranger.name not in page


def test_members_have_no_company_list(sign_in, make_member, clock):
    assert sign_in(make_member()).get("/bookings/company").status_code == 403


def test_managers_see_every_tenants_bookings_and_can_filter(
    sign_in, make_member, book, room, clock
):
    one, two = make_member(), make_member()
    book(one, room, WED_10, title="One", now=clock)
    book(two, room, local(2026, 12, 2, 14), title="Two", now=clock)
    client = sign_in(make_member(role="manager"))
    page = client.get("/bookings/company").data.decode()
    assert "One" in page
    assert "Two" in page
    page = client.get(f"/bookings/company?tenant={one.tenant_id}").data.decode()
    assert "One" in page
    assert ">Two<" not in page


@pytest.mark.parametrize("path", ["/bookings/mine?page=-1", "/bookings/company?tenant=abc&page=x"])
def test_list_parameters_that_make_no_sense_are_ignored(sign_in, make_member, clock, path):
    assert sign_in(make_member(role="manager")).get(path).status_code == 200


# -- isolation ---------------------------------------------------------------------

ROUTES = [
    ("get", "/bookings/{id}"),
    ("get", "/bookings/{id}.ics"),
    ("post", "/bookings/{id}/move"),
    ("post", "/bookings/{id}/cancel"),
    ("post", "/bookings/{id}/check-in"),
    ("post", "/bookings/{id}/approve"),
    ("post", "/bookings/{id}/reject"),
]


@pytest.mark.parametrize("who", ["other_member", "other_admin", "colleague"])
@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_another_tenants_booking_is_404_on_every_route(
    sign_in, make_member, book, checkin_room, clock, db_session, who, method, path
):
    owner = make_member()
    booking = book(
        owner, checkin_room, local(2026, 12, 1, 9), now=clock - dt.timedelta(hours=1)
    ).bookings[0]
    intruder = {
        "other_member": lambda: make_member(),
        "other_admin": lambda: make_member(role="tenant_admin"),
        # a plain member sees only their own bookings, not their colleagues'
        "colleague": lambda: make_member(tenant=owner.tenant),
    }[who]()
    client = sign_in(intruder)
    response = getattr(client, method)(path.format(id=booking.id), data=move_form())
    assert response.status_code == 404
    assert b"Wed 2 Dec" not in response.data
    assert owner.name.encode() not in response.data
    same = fresh(db_session, booking)
    assert (same.status, same.start, same.checked_in_at, same.sequence) == (
        BookingStatus.CONFIRMED,
        local(2026, 12, 1, 9),
        None,
        0,
    )


@pytest.mark.parametrize("booking_id", ["999999", "0", "-1", "abc", "1.5"])
def test_an_unknown_booking_is_404(sign_in, make_member, clock, booking_id):
    client = sign_in(make_member())
    assert client.get(f"/bookings/{booking_id}").status_code == 404
    assert client.post(f"/bookings/{booking_id}/cancel").status_code == 404


def test_the_same_tenants_admin_sees_and_changes_a_members_booking(
    sign_in, make_member, book, room, clock, db_session
):
    member = make_member()
    booking = book(member, room, WED_10, now=clock).bookings[0]
    client = sign_in(make_member(role="tenant_admin", tenant=member.tenant))
    assert client.get(f"/bookings/{booking.id}").status_code == 200
    assert client.post(f"/bookings/{booking.id}/cancel", data={}).status_code == 302
    assert fresh(db_session, booking).status == BookingStatus.CANCELLED
