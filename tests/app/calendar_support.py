"""Helpers for the calendar tests: three independent parsers, a moving clock, expected events."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import vobject
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar

BRUSSELS = ZoneInfo("Europe/Brussels")
HOST = "incubator.test.example"  # PUBLIC_URL's host in the test app


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BRUSSELS).astimezone(dt.UTC)  # type: ignore[misc]


@dataclass(frozen=True)
class Seen:
    """One event as a parser read it: the instants in UTC."""

    uid: str
    start: dt.datetime
    end: dt.datetime
    status: str
    summary: str


def _icalendar(body: bytes) -> set[Seen]:
    calendar = Calendar.from_ical(body)
    return {
        Seen(
            str(e["UID"]),
            e["DTSTART"].dt.astimezone(dt.UTC),
            e["DTEND"].dt.astimezone(dt.UTC),
            str(e["STATUS"]),
            str(e["SUMMARY"]),
        )
        for e in calendar.walk("VEVENT")
    }


def _ical(body: bytes) -> set[Seen]:
    calendar = IcsCalendarStream.calendar_from_ics(body.decode())
    return {
        Seen(
            e.uid or "",
            e.dtstart.astimezone(dt.UTC),  # type: ignore[union-attr]
            e.dtend.astimezone(dt.UTC),  # type: ignore[union-attr]
            str(e.status.value if e.status else ""),
            e.summary or "",
        )
        for e in calendar.events
    }


def _vobject(body: bytes) -> set[Seen]:
    calendar = vobject.readOne(body.decode())
    return {
        Seen(
            e.uid.value,
            e.dtstart.value.astimezone(dt.UTC),
            e.dtend.value.astimezone(dt.UTC),
            e.status.value,
            e.summary.value,
        )
        for e in getattr(calendar, "vevent_list", [])
    }


def parse_feed(body: bytes) -> set[Seen]:
    """The events of a feed as icalendar, ical and vobject read them (asserted equal)."""
    by_icalendar, by_ical, by_vobject = _icalendar(body), _ical(body), _vobject(body)
    assert by_icalendar == by_ical, "the ical package reads the feed differently"
    assert by_icalendar == by_vobject, "vobject reads the feed differently"
    return by_icalendar


def occurrences(body: bytes) -> set[tuple[str, dt.datetime, dt.datetime, str]]:
    return {(s.uid, s.start, s.end, s.status) for s in parse_feed(body)}


def expected(*bookings: Any) -> set[tuple[str, dt.datetime, dt.datetime, str]]:
    """What a feed must hold for these bookings, read fresh from the database."""
    statuses = {"pending": "TENTATIVE", "confirmed": "CONFIRMED"}
    return {
        (f"booking-{b.id}@{HOST}", b.start, b.end, statuses.get(b.status.value, "CANCELLED"))
        for b in bookings
    }


class Clock:
    """The feed's and the services' `now`: starts at the real time, only moves forward."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now

    def tick(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta) if delta else dt.timedelta(seconds=1)
        return self.now


def cross_check_every_feed(monkeypatch: Any) -> None:
    """Make every feed the app renders go through `parse_feed` (three parsers, asserted equal)."""
    from app.services import calendar_feeds

    real = calendar_feeds.render_feed

    def checked(*args: Any, **kwargs: Any) -> bytes:
        body = real(*args, **kwargs)
        parse_feed(body)
        return body

    monkeypatch.setattr(calendar_feeds, "render_feed", checked)
