"""What the feeds hold: the database's bookings, read alike by icalendar, ical and vobject.

Every feed these tests fetch goes through `parse_feed`, which asserts that the
three parsers see the same events; the tests then compare those events with
the bookings in the database.
"""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar

from app.models import Booking, Privacy
from app.services import calendar_feeds
from app.services.bookings.lifecycle import cancel_booking, move_booking
from app.services.bookings.notify import booking_uid
from tests.app.calendar_support import (
    BRUSSELS,
    Clock,
    cross_check_every_feed,
    expected,
    local,
    occurrences,
    parse_feed,
)

pytestmark = pytest.mark.db


@pytest.fixture(autouse=True)
def _every_feed_read_by_three_parsers(monkeypatch):
    cross_check_every_feed(monkeypatch)


@pytest.fixture
def clock(monkeypatch):
    moving = Clock()
    monkeypatch.setattr("app.web.now", moving)
    return moving


@pytest.fixture(autouse=True)
def _fresh_cache():
    calendar_feeds.clear_feed_cache()
    yield
    calendar_feeds.clear_feed_cache()


@pytest.fixture
def link(db_session, clock):
    """`link(member, "member")`: a feed link's secret."""

    def make(member, scope, resource=None):
        _token, secret = calendar_feeds.create_calendar_token(
            member=member, scope=scope, name="phone", resource=resource, now=clock.tick()
        )
        db_session.commit()
        return secret

    return make


@pytest.fixture
def fetch(client):
    def get(secret: str) -> bytes:
        response = client.get(f"/ical/{secret}.ics")
        assert response.status_code == 200, response.status_code
        return response.data

    return get


@pytest.fixture
def room(make_resource):
    return make_resource(name="Multipurpose room", horizon_days=400, privacy=Privacy.COMPANY)


@pytest.fixture
def people(make_tenant, make_member):
    alfa, bravo = make_tenant(name="Atelier Alfa"), make_tenant(name="Brouwerij Bravo")
    return {
        "admin_a": make_member("tenant_admin", tenant=alfa, name="Anna Admin"),
        "member_a": make_member(tenant=alfa, name="Arne Member"),
        "member_a2": make_member(tenant=alfa, name="Astrid Member"),
        "member_b": make_member(tenant=bravo, name="Bea Member"),
        "manager": make_member("manager", name="Mona Manager"),
    }


@pytest.fixture
def booked(book, clock):
    """`booked(actor, resource, start, hours)`: the one booking made through the service."""

    def make(actor, resource, start, hours=1, **kwargs):
        return book(actor, resource, start, hours, now=clock.tick(), **kwargs).bookings[0]

    return make


def days_ahead(days: int, hour: int = 10) -> dt.datetime:
    day = dt.datetime.now(BRUSSELS).date() + dt.timedelta(days=days)
    return local(day.year, day.month, day.day, hour)


def unfolded(body: bytes) -> str:
    return body.replace(b"\r\n ", b"").decode()


# -- the member feed ---------------------------------------------------------------


def test_member_feed_holds_the_bookings_made_by_and_for_me_and_nothing_else(
    people, room, booked, link, fetch
):
    mine = booked(people["member_a"], room, days_ahead(2))
    for_me = booked(people["admin_a"], room, days_ahead(3), booked_for=people["member_a"])
    booked(people["member_a2"], room, days_ahead(4))  # a colleague's
    booked(people["member_b"], room, days_ahead(5))  # another company's
    body = fetch(link(people["member_a"], "member"))
    assert occurrences(body) == expected(mine, for_me)


def test_times_across_both_daylight_saving_changes_carry_the_facility_zone(
    people, make_resource, booked, link, fetch
):
    room = make_resource(horizon_days=400)
    member = people["member_a"]
    bookings = [
        booked(member, room, local(2027, 3, 27, 14)),  # winter time
        booked(member, room, local(2027, 3, 29, 14)),  # summer time
        booked(member, room, local(2027, 10, 30, 14)),  # summer time
        booked(member, room, local(2027, 11, 1, 14)),  # winter time
    ]
    body = fetch(link(member, "member"))
    assert occurrences(body) == expected(*bookings)
    for day in ("20270327", "20270329", "20271030", "20271101"):
        assert f"DTSTART;TZID=Europe/Brussels:{day}T140000".encode() in body
    [zone] = Calendar.from_ical(body).walk("VTIMEZONE")
    assert len(zone.walk("STANDARD") + zone.walk("DAYLIGHT")) <= 8  # years, not decades


def test_a_move_keeps_the_uid_and_raises_the_sequence(
    people, room, booked, link, fetch, facility, db_session, clock
):
    member = people["member_a"]
    booking = booked(member, room, days_ahead(2))
    secret = link(member, "member")
    before = Calendar.from_ical(fetch(secret)).walk("VEVENT")[0]
    move_booking(
        booking,
        actor=member,
        start=days_ahead(3, 15),
        end=days_ahead(3, 17),
        now=clock.tick(),
        facility=facility,
    )
    db_session.commit()
    body = fetch(secret)
    assert occurrences(body) == expected(db_session.get(Booking, booking.id))
    after = Calendar.from_ical(body).walk("VEVENT")[0]
    assert after["UID"] == before["UID"]
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert after["LAST-MODIFIED"].dt > before["LAST-MODIFIED"].dt


def test_a_cancelled_booking_stays_as_cancelled_for_the_grace_period_then_leaves(
    people, room, booked, link, fetch, facility, db_session, clock
):
    member = people["member_a"]
    kept = booked(member, room, days_ahead(2))
    dropped = booked(member, room, days_ahead(3))
    secret = link(member, "member")
    cancel_booking(dropped, actor=member, now=clock.tick(), facility=facility)
    db_session.commit()
    body = fetch(secret)
    assert occurrences(body) == expected(kept, db_session.get(Booking, dropped.id))
    [cancelled] = [s for s in parse_feed(body) if s.status == "CANCELLED"]
    assert cancelled.summary.startswith("Cancelled: ")
    clock.tick(days=8)
    assert occurrences(fetch(secret)) == expected(kept)


def test_pending_bookings_are_tentative(people, make_resource, booked, link, fetch):
    room = make_resource(approval_required=True)
    pending = booked(people["member_a"], room, days_ahead(2))
    body = fetch(link(people["member_a"], "member"))
    assert occurrences(body) == expected(pending)
    assert {s.status for s in parse_feed(body)} == {"TENTATIVE"}


def test_the_window_drops_bookings_past_sixty_days(people, room, booked, link, fetch, clock):
    member = people["member_a"]
    soon = booked(member, room, days_ahead(1))
    later = booked(member, room, days_ahead(70))
    secret = link(member, "member")
    assert occurrences(fetch(secret)) == expected(soon, later)
    clock.tick(days=63)
    assert occurrences(fetch(secret)) == expected(later)


def test_uids_are_the_single_booking_downloads_uids(people, room, booked, link, fetch, facility):
    booking = booked(people["member_a"], room, days_ahead(2))
    [seen] = parse_feed(fetch(link(people["member_a"], "member")))
    assert seen.uid == booking_uid(booking, facility)


def test_feed_properties_for_subscribers(people, room, booked, link, fetch):
    booked(people["member_a"], room, days_ahead(2), title="Team day")
    body = fetch(link(people["member_a"], "member"))
    calendar = Calendar.from_ical(body)
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["X-WR-CALNAME"] == "My bookings · Makers Incubator"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in body
    assert b"X-PUBLISHED-TTL:PT1H" in body
    [event] = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Team day"
    assert str(event["LOCATION"]) == "Makers Incubator: Multipurpose room"
    assert str(event["URL"]).startswith("https://incubator.test.example/bookings/")
    assert str(event["ORGANIZER"]) == "mailto:noreply@localhost"


# -- tenant, resource and site feeds ---------------------------------------------------


def test_tenant_feed_holds_the_company_and_never_another_company(people, room, booked, link, fetch):
    ours = [
        booked(people["member_a"], room, days_ahead(2)),
        booked(people["member_a2"], room, days_ahead(3)),
        booked(people["admin_a"], room, days_ahead(4)),
    ]
    theirs = booked(people["member_b"], room, days_ahead(5))
    for who in ("admin_a", "member_a"):
        body = fetch(link(people[who], "tenant"))
        assert occurrences(body) == expected(*ours)
        assert f"booking-{theirs.id}@".encode() not in body
        assert "Bea" not in unfolded(body)


def test_tenant_admins_see_who_a_booking_is_for_members_do_not(people, room, booked, link, fetch):
    booked(people["member_a2"], room, days_ahead(2))
    assert "For: Astrid Member" in unfolded(fetch(link(people["admin_a"], "tenant")))
    member_view = unfolded(fetch(link(people["member_a"], "tenant")))
    assert "Astrid" not in member_view
    assert people["member_a2"].email not in member_view


@pytest.mark.parametrize(
    ("privacy", "summary"),
    [
        (Privacy.BUSY_ONLY, "Booked"),
        (Privacy.COMPANY, "Booked: Atelier Alfa"),
        (Privacy.COMPANY_AND_MEMBER, "Booked: Atelier Alfa (Arne Member)"),
    ],
)
def test_resource_feeds_show_only_what_the_resource_privacy_allows(
    privacy, summary, people, make_resource, booked, link, fetch
):
    resource = make_resource(privacy=privacy)
    booking = booked(people["member_a"], resource, days_ahead(2), title="Secret pitch")
    body = fetch(link(people["member_b"], "resource", resource))
    assert occurrences(body) == expected(booking)
    assert {s.summary for s in parse_feed(body)} == {summary}
    text = unfolded(body)
    assert "Secret pitch" not in text
    assert people["member_a"].email not in text
    if privacy != Privacy.COMPANY_AND_MEMBER:
        assert "Arne" not in text


def test_a_machine_feed_shows_bookings_of_its_parent_which_block_it(
    people, make_resource, booked, link, fetch
):
    fablab = make_resource(name="Fablab")
    laser = make_resource(name="Laser cutter", parent_id=fablab.id)
    whole = booked(people["member_a"], fablab, days_ahead(2))
    own = booked(people["member_a"], laser, days_ahead(3))
    assert occurrences(fetch(link(people["member_b"], "resource", laser))) == expected(whole, own)


def test_the_site_feed_holds_everything_with_names(people, room, booked, link, fetch):
    everything = [
        booked(people["member_a"], room, days_ahead(2)),
        booked(people["member_b"], room, days_ahead(3)),
    ]
    body = fetch(link(people["manager"], "site"))
    assert occurrences(body) == expected(*everything)
    text = unfolded(body)
    assert "For: Bea Member" in text
    assert "Company: Brouwerij Bravo" in text
