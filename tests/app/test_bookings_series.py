"""Recurring bookings: local times across DST, conflicts, scopes, limits."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from app.models import Booking, BookingStatus, OutgoingMail
from app.services.bookings.lifecycle import (
    Scope,
    cancel_booking,
    create_booking,
    move_booking,
    release_no_shows,
)
from app.services.errors import Conflict, RuleViolation

pytestmark = pytest.mark.db
BRUSSELS = ZoneInfo("Europe/Brussels")
NOW = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)


def local(*args):
    return dt.datetime(*args, tzinfo=BRUSSELS).astimezone(dt.UTC)


def series(actor, resource, facility, start, hours, rule, **kwargs):
    return create_booking(
        actor=actor,
        resource=resource,
        start=start,
        end=start + dt.timedelta(hours=hours),
        recurrence=rule,
        now=kwargs.pop("now", NOW),
        facility=facility,
        **kwargs,
    )


def local_hours(bookings):
    return {b.start.astimezone(BRUSSELS).strftime("%H:%M") for b in bookings}


@pytest.mark.parametrize(
    "first_day",
    [
        (2027, 3, 15),  # crosses the last Sunday of March (28 March 2027)
        (2027, 10, 18),  # crosses the last Sunday of October (31 October 2027)
    ],
)
def test_weekly_series_keeps_its_local_time_across_dst(
    make_member, make_resource, facility, first_day
):
    member = make_member()
    room = make_resource(horizon_days=365)
    result = series(member, room, facility, local(*first_day, 14, 0), 2, "FREQ=WEEKLY;COUNT=4")
    assert len(result.bookings) == 4
    assert local_hours(result.bookings) == {"14:00"}
    offsets = {b.start.astimezone(BRUSSELS).utcoffset() for b in result.bookings}
    assert len(offsets) == 2  # the UTC times do change
    assert all(b.end - b.start == dt.timedelta(hours=2) for b in result.bookings)


def test_weekly_on_chosen_weekdays_until_a_date(make_member, make_resource, facility):
    result = series(
        make_member(),
        make_resource(),
        facility,
        local(2027, 3, 1, 9, 0),
        1,
        "FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270314",
    )
    days = [b.start.astimezone(BRUSSELS).strftime("%a %d") for b in result.bookings]
    assert days == ["Mon 01", "Wed 03", "Mon 08", "Wed 10"]


def test_monthly_and_daily_with_interval(make_member, make_resource, facility):
    monthly = series(
        make_member(),
        make_resource(horizon_days=365),
        facility,
        local(2027, 3, 10, 9, 0),
        1,
        "FREQ=MONTHLY;COUNT=3",
    )
    assert [b.start.astimezone(BRUSSELS).month for b in monthly.bookings] == [3, 4, 5]
    daily = series(
        make_member(),
        make_resource(),
        facility,
        local(2027, 3, 2, 9, 0),
        1,
        "FREQ=DAILY;INTERVAL=2;COUNT=3",
    )
    assert [b.start.astimezone(BRUSSELS).day for b in daily.bookings] == [2, 4, 6]


@pytest.mark.parametrize(
    "rule",
    [
        "garbage",
        "FREQ=HOURLY;COUNT=3",
        "FREQ=WEEKLY",
        "FREQ=WEEKLY;COUNT=3;UNTIL=20270401",
        "FREQ=WEEKLY;COUNT=10000",
        "FREQ=DAILY;UNTIL=20991231",
        "FREQ=DAILY;COUNT=-1",
        "FREQ=WEEKLY;BYDAY=XX;COUNT=2",
        "FREQ=DAILY;BYDAY=MO;COUNT=2",
        "FREQ=WEEKLY;BYSETPOS=1;COUNT=2",
        "FREQ=WEEKLY;COUNT=2;COUNT=3",
        "x" * 400,
    ],
)
def test_bad_recurrence_rules_are_refused(make_member, make_resource, facility, db_session, rule):
    with pytest.raises(RuleViolation) as caught:
        series(
            make_member(),
            make_resource(horizon_days=3650),
            facility,
            local(2027, 3, 2, 9, 0),
            1,
            rule,
        )
    assert caught.value.rule == "recurrence"
    assert db_session.query(Booking).count() == 0


def test_series_conflict_refuses_all_and_names_each_clash(
    make_member, make_resource, facility, db_session
):
    room = make_resource()
    other = make_member()
    create_booking(
        actor=other,
        resource=room,
        start=local(2027, 3, 8, 9, 0),
        end=local(2027, 3, 8, 10, 0),
        now=NOW,
        facility=facility,
    )
    with pytest.raises(Conflict) as caught:
        series(make_member(), room, facility, local(2027, 3, 1, 9, 0), 1, "FREQ=WEEKLY;COUNT=3")
    assert caught.value.conflicts == [(local(2027, 3, 8, 9, 0), local(2027, 3, 8, 10, 0))]


def test_skip_conflicts_lists_what_it_skipped(make_member, make_resource, facility):
    room = make_resource()
    create_booking(
        actor=make_member(),
        resource=room,
        start=local(2027, 3, 8, 9, 0),
        end=local(2027, 3, 8, 10, 0),
        now=NOW,
        facility=facility,
    )
    result = series(
        make_member(),
        room,
        facility,
        local(2027, 3, 1, 9, 0),
        1,
        "FREQ=WEEKLY;COUNT=3",
        skip_conflicts=True,
    )
    assert len(result.bookings) == 2
    assert [o.start for o in result.skipped] == [local(2027, 3, 8, 9, 0)]


def test_a_series_at_a_time_that_dst_skips_is_refused(make_member, make_resource, facility):
    with pytest.raises(RuleViolation) as caught:
        series(
            make_member(),
            make_resource(),
            facility,
            local(2027, 3, 21, 2, 30),
            1,
            "FREQ=WEEKLY;COUNT=2",
        )
    assert caught.value.rule == "local_time"


def test_move_this_occurrence_only(make_member, make_resource, facility):
    member = make_member()
    result = series(
        member, make_resource(), facility, local(2027, 3, 1, 9, 0), 1, "FREQ=WEEKLY;COUNT=3"
    )
    second = result.bookings[1]
    move_booking(
        second,
        actor=member,
        start=local(2027, 3, 8, 15, 0),
        end=local(2027, 3, 8, 16, 0),
        now=NOW,
        facility=facility,
    )
    assert local_hours(result.bookings) == {"09:00", "15:00"}
    assert [b.start.astimezone(BRUSSELS).hour for b in result.bookings] == [9, 15, 9]


def test_move_this_and_following_keeps_local_time_across_dst(make_member, make_resource, facility):
    member = make_member()
    result = series(
        member,
        make_resource(horizon_days=365),
        facility,
        local(2027, 3, 15, 14, 0),
        1,
        "FREQ=WEEKLY;COUNT=4",
    )
    second = result.bookings[1]
    moved = move_booking(
        second,
        actor=member,
        start=local(2027, 3, 22, 16, 0),
        end=local(2027, 3, 22, 17, 0),
        scope=Scope.FOLLOWING,
        now=NOW,
        facility=facility,
    )
    assert len(moved) == 3
    assert [b.start.astimezone(BRUSSELS).hour for b in result.bookings] == [14, 16, 16, 16]


def test_cancel_whole_series_leaves_past_occurrences(make_member, make_resource, facility):
    member = make_member()
    result = series(
        member, make_resource(), facility, local(2027, 3, 1, 9, 0), 1, "FREQ=WEEKLY;COUNT=3"
    )
    later = local(2027, 3, 2, 9, 0)
    cancelled = cancel_booking(
        result.bookings[2], actor=member, scope=Scope.SERIES, now=later, facility=facility
    )
    assert len(cancelled) == 2
    assert result.bookings[0].status == BookingStatus.CONFIRMED


def test_no_show_is_released_and_the_slot_is_free_again(
    make_member, make_resource, facility, db_session
):
    member = make_member()
    room = make_resource(checkin_required=True, checkin_window_minutes=15)
    booking = create_booking(
        actor=member,
        resource=room,
        start=local(2027, 3, 2, 9, 0),
        end=local(2027, 3, 2, 11, 0),
        now=NOW,
        facility=facility,
    ).bookings[0]
    # before the job runs, a new booking may already take the slot
    later = local(2027, 3, 2, 9, 20)
    other = make_member()
    taken = create_booking(
        actor=other,
        resource=room,
        start=local(2027, 3, 2, 10, 0),
        end=local(2027, 3, 2, 11, 0),
        now=later,
        facility=facility,
    ).bookings[0]
    assert booking.status == BookingStatus.NO_SHOW
    assert taken.status == BookingStatus.CONFIRMED
    assert release_no_shows(now=later, facility=facility) == 0


def test_release_job_marks_no_shows_and_mails_the_member(
    make_member, make_resource, facility, db_session
):
    member = make_member()
    room = make_resource(checkin_required=True, checkin_window_minutes=15)
    booking = create_booking(
        actor=member,
        resource=room,
        start=local(2027, 3, 2, 9, 0),
        end=local(2027, 3, 2, 11, 0),
        now=NOW,
        facility=facility,
    ).bookings[0]
    assert release_no_shows(now=local(2027, 3, 2, 9, 10), facility=facility) == 0
    assert release_no_shows(now=local(2027, 3, 2, 9, 16), facility=facility) == 1
    assert booking.status == BookingStatus.NO_SHOW
    mail = db_session.query(OutgoingMail).filter_by(recipient=member.email).one()
    assert "released" in mail.subject
    assert mail.attachment_type == "text/calendar"
    assert "BEGIN:VCALENDAR" in mail.attachment


def test_cancel_by_a_manager_mails_the_member_with_an_ics(
    make_member, make_resource, facility, db_session
):
    member = make_member()
    manager = make_member(role="manager")
    booking = create_booking(
        actor=member,
        resource=make_resource(),
        start=local(2027, 3, 2, 9, 0),
        end=local(2027, 3, 2, 11, 0),
        now=NOW,
        facility=facility,
    ).bookings[0]
    cancel_booking(booking, actor=manager, now=NOW, facility=facility)
    mail = db_session.query(OutgoingMail).filter_by(recipient=member.email).one()
    assert "cancelled" in mail.subject
    assert "STATUS:CANCELLED" in mail.attachment


def test_own_changes_send_no_mail_and_optional_ones_can_be_turned_off(
    make_member, make_resource, facility, db_session
):
    member = make_member(notify_bookings=False)
    manager = make_member(role="manager")
    booking = create_booking(
        actor=member,
        resource=make_resource(),
        start=local(2027, 3, 2, 9, 0),
        end=local(2027, 3, 2, 11, 0),
        now=NOW,
        facility=facility,
    ).bookings[0]
    cancel_booking(booking, actor=member, now=NOW, facility=facility)
    assert db_session.query(OutgoingMail).count() == 0
    booking2 = create_booking(
        actor=member,
        resource=make_resource(),
        start=local(2027, 3, 2, 9, 0),
        end=local(2027, 3, 2, 11, 0),
        now=NOW,
        facility=facility,
    ).bookings[0]
    move_booking(
        booking2,
        actor=manager,
        start=local(2027, 3, 2, 12, 0),
        end=local(2027, 3, 2, 13, 0),
        now=NOW,
        facility=facility,
    )
    assert db_session.query(OutgoingMail).count() == 0  # moved: optional, turned off
    cancel_booking(booking2, actor=manager, now=NOW, facility=facility)
    assert db_session.query(OutgoingMail).count() == 1  # cancelled by someone else: always
