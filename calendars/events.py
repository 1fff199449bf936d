"""Plain event records and single-event .ics files (no Flask, no database here)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

PRODID = "-//Makers Incubator//Bookings//EN"


@dataclass(frozen=True)
class EventRecord:
    uid: str
    start: dt.datetime  # aware
    end: dt.datetime  # aware
    summary: str
    sequence: int = 0
    status: str = "CONFIRMED"  # TENTATIVE, CONFIRMED or CANCELLED
    location: str = ""
    description: str = ""
    url: str = ""
    last_modified: dt.datetime | None = None


def vevent(record: EventRecord, zone: ZoneInfo) -> Event:
    event = Event()
    event.add("uid", record.uid)
    stamp = (record.last_modified or record.start).astimezone(dt.UTC)
    event.add("dtstamp", stamp)
    event.add("last-modified", stamp)
    event.add("dtstart", record.start.astimezone(zone))
    event.add("dtend", record.end.astimezone(zone))
    event.add("summary", record.summary)
    event.add("sequence", record.sequence)
    event.add("status", record.status)
    if record.location:
        event.add("location", record.location)
    if record.description:
        event.add("description", record.description)
    if record.url:
        event.add("url", record.url)
    return event


def single_event_ics(record: EventRecord, *, zone: ZoneInfo) -> bytes:
    """One event as an .ics file, with the time zone it is written in."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    first = record.start.astimezone(zone) - dt.timedelta(days=1)
    last = record.end.astimezone(zone) + dt.timedelta(days=1)
    calendar.add_component(
        Timezone.from_tzinfo(zone, first_date=first.date(), last_date=last.date())
    )
    calendar.add_component(vevent(record, zone))
    return calendar.to_ical()
