"""Feeds: RFC 5545 bytes that independent parsers read back as exactly our events."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import vobject
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar

from calendars import EventRecord, FeedInfo, build_feed

BRUSSELS = ZoneInfo("Europe/Brussels")
INFO = FeedInfo(
    name="Laser cutter · Makers Incubator",
    organizer_name="Makers Incubator",
    organizer_email="noreply@incubator.example.org",
    zone=BRUSSELS,
    window_start=dt.date(2027, 1, 1),
    window_end=dt.date(2027, 12, 31),
)


def local(*args):
    return dt.datetime(*args, tzinfo=BRUSSELS).astimezone(dt.UTC)


def record(n, start, hours=2, **kwargs):
    values = {
        "uid": f"booking-{n}@incubator.example.org",
        "start": start,
        "end": start + dt.timedelta(hours=hours),
        "summary": f"Booking {n}",
        "last_modified": dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
    }
    values.update(kwargs)
    return EventRecord(**values)


# Both daylight-saving changes, a long Unicode title, text that needs escaping
EVENTS = [
    record(1, local(2027, 3, 27, 14)),
    record(2, local(2027, 3, 29, 14)),
    record(3, local(2027, 10, 30, 14)),
    record(4, local(2027, 11, 1, 14), summary="Workshop 🚀 " + "é" * 80),
    record(5, local(2027, 6, 1, 9), summary="Comma, semicolon; back\\slash", status="TENTATIVE"),
    record(6, local(2027, 6, 2, 9), description="Line one\nLine two", location="Fablab"),
]
EXPECTED = {(e.uid, e.start, e.end) for e in EVENTS}


@pytest.fixture(scope="module")
def feed() -> bytes:
    return build_feed(INFO, EVENTS)


def test_icalendar_reads_our_events(feed):
    calendar = Calendar.from_ical(feed)
    seen = {
        (str(e["UID"]), e["DTSTART"].dt.astimezone(dt.UTC), e["DTEND"].dt.astimezone(dt.UTC))
        for e in calendar.walk("VEVENT")
    }
    assert seen == EXPECTED


def test_the_ical_package_reads_our_events(feed):
    calendar = IcsCalendarStream.calendar_from_ics(feed.decode())
    seen = {
        (e.uid, e.dtstart.astimezone(dt.UTC), e.dtend.astimezone(dt.UTC)) for e in calendar.events
    }
    assert seen == EXPECTED
    titles = {e.uid: e.summary for e in calendar.events}
    assert titles["booking-4@incubator.example.org"] == "Workshop 🚀 " + "é" * 80
    assert titles["booking-5@incubator.example.org"] == "Comma, semicolon; back\\slash"


def test_vobject_reads_our_events(feed):
    calendar = vobject.readOne(feed.decode())
    seen = {
        (e.uid.value, e.dtstart.value.astimezone(dt.UTC), e.dtend.value.astimezone(dt.UTC))
        for e in calendar.vevent_list
    }
    assert seen == EXPECTED
    descriptions = {e.uid.value: getattr(e, "description", None) for e in calendar.vevent_list}
    assert descriptions["booking-6@incubator.example.org"].value == "Line one\nLine two"


def test_lines_end_in_crlf_and_fold_within_75_octets_without_splitting_characters(feed):
    assert feed.endswith(b"\r\n")
    lines = feed.split(b"\r\n")
    assert all(b"\n" not in line for line in lines)
    assert all(len(line) <= 75 for line in lines)
    for line in lines:
        line.decode("utf-8")  # a folded line never ends inside a character


def test_calendar_properties_for_subscribers(feed):
    calendar = Calendar.from_ical(feed)
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["VERSION"] == "2.0"
    assert "PRODID" in calendar
    assert calendar["X-WR-CALNAME"] == INFO.name
    assert calendar["NAME"] == INFO.name
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in feed
    assert b"X-PUBLISHED-TTL:PT1H" in feed
    for event in calendar.walk("VEVENT"):
        assert "mailto:noreply@incubator.example.org" in str(event["ORGANIZER"])


def test_times_carry_the_facility_tzid_and_a_bounded_vtimezone(feed):
    assert b"DTSTART;TZID=Europe/Brussels:20270327T140000" in feed
    assert b"DTSTART;TZID=Europe/Brussels:20270329T140000" in feed
    calendar = Calendar.from_ical(feed)
    [zone] = calendar.walk("VTIMEZONE")
    transitions = zone.walk("STANDARD") + zone.walk("DAYLIGHT")
    assert len(transitions) <= 6  # the window's changes, not decades of them


def test_same_records_give_the_same_bytes():
    assert build_feed(INFO, EVENTS) == build_feed(INFO, list(reversed(EVENTS)))


def test_stamps_come_from_the_records_not_from_now(feed):
    assert b"DTSTAMP:20270101T000000Z" in feed
    assert b"LAST-MODIFIED:20270101T000000Z" in feed


def test_refresh_interval_must_be_positive():
    from dataclasses import replace

    with pytest.raises(ValueError, match="positive"):
        build_feed(replace(INFO, refresh=dt.timedelta(0)), EVENTS)
