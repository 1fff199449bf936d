"""The booking jobs: releasing no-shows every minute, and the daily digest for managers."""

import datetime as dt

import pytest
from sqlalchemy import select

from app.models import BookingStatus, OutgoingMail
from app.services.bookings.digest import send_approval_digest
from tests.app.booking_pages import local

pytestmark = pytest.mark.db

NOW = local(2026, 12, 1, 9)


def mails(db_session, to=None):
    db_session.expire_all()
    query = select(OutgoingMail).order_by(OutgoingMail.id)
    if to is not None:
        query = query.where(OutgoingMail.recipient == to)
    return list(db_session.scalars(query))


def run(app, now):
    from app.jobs import run_due_jobs

    with app.app_context():
        return run_due_jobs(app, now=now)


def test_both_booking_jobs_are_scheduled():
    from app.jobs import JOBS

    every = {job.name: job.every for job in JOBS}
    assert every["bookings.release_no_shows"] == dt.timedelta(minutes=1)
    assert every["bookings.approval_digest"] == dt.timedelta(days=1)


def test_the_runner_releases_no_shows_with_the_sites_settings(
    app, make_member, make_resource, book, db_session
):
    member = make_member()
    room = make_resource(checkin_required=True, checkin_window_minutes=15)
    booking = book(member, room, local(2026, 12, 1, 10), now=NOW).bookings[0]
    result = run(app, local(2026, 12, 1, 10, 10))
    assert "bookings.release_no_shows" in result.ran
    assert not result.failed
    db_session.expire_all()
    assert booking.status == BookingStatus.CONFIRMED
    assert "bookings.release_no_shows" in run(app, local(2026, 12, 1, 10, 16)).ran
    db_session.expire_all()
    assert booking.status == BookingStatus.NO_SHOW
    [mail] = mails(db_session, member.email)
    assert "released" in mail.subject
    assert mail.sent_at is not None  # delivered in the same pass


@pytest.fixture
def pending(make_member, make_resource, book):
    room = make_resource(name="Hall", approval_required=True)
    member = make_member(name="Lotte")
    return book(member, room, local(2026, 12, 2, 10), title="Launch", now=NOW).bookings[0]


def test_the_digest_lists_pending_requests_for_managers_who_want_it(
    make_member, pending, facility, db_session
):
    reader = make_member(role="manager", locale="en")
    make_member(role="manager", notify_digest=False)
    make_member(role="manager", active=False)
    make_member(role="tenant_admin")
    assert send_approval_digest(now=NOW, facility=facility) == 1
    [mail] = mails(db_session)
    assert mail.recipient == reader.email
    assert mail.subject == "Booking requests waiting for approval: 1"
    assert "Hall" in mail.body
    assert pending.tenant.name in mail.body
    assert "Lotte" in mail.body
    assert "Launch" in mail.body
    assert "Dec 2, 2026" in mail.body
    assert "https://incubator.test.example/bookings/approvals" in mail.body


def test_the_digest_speaks_the_readers_language(make_member, pending, facility, db_session):
    make_member(role="manager", locale="nl")
    send_approval_digest(now=NOW, facility=facility)
    [mail] = mails(db_session)
    assert "2 dec 2026" in mail.body  # Dutch date format


def test_no_digest_without_pending_requests(make_member, facility, db_session):
    make_member(role="manager")
    assert send_approval_digest(now=NOW, facility=facility) == 0
    assert mails(db_session) == []


def test_requests_that_already_began_are_not_in_the_digest(
    make_member, pending, facility, db_session
):
    make_member(role="manager")
    assert send_approval_digest(now=local(2026, 12, 2, 10, 30), facility=facility) == 0


def test_the_runner_sends_the_digest_once_a_day(app, make_member, pending, db_session):
    manager = make_member(role="manager")
    assert "bookings.approval_digest" in run(app, NOW).ran
    assert "bookings.approval_digest" not in run(app, NOW + dt.timedelta(hours=23)).ran
    assert "bookings.approval_digest" in run(app, NOW + dt.timedelta(days=1)).ran
    assert len(mails(db_session, manager.email)) == 2
