"""Whole feeds (`GET /ical/<token>.ics`): deterministic bytes from plain event records.

The same records give the same bytes: DTSTAMP and LAST-MODIFIED come from each
record's modification time, never from "now", so an unchanged feed keeps its
ETag and calendar clients are not told about changes that did not happen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from icalendar import Calendar, Timezone, vCalAddress, vText

from .events import PRODID, EventRecord, vevent


@dataclass(frozen=True)
class FeedInfo:
    name: str
    organizer_name: str
    organizer_email: str
    zone: ZoneInfo
    window_start: dt.date
    window_end: dt.date
    refresh: dt.timedelta = dt.timedelta(hours=1)


def _duration_text(delta: dt.timedelta) -> str:
    """An RFC 5545 duration such as PT1H or P1D (what REFRESH-INTERVAL and Outlook want)."""
    seconds = int(delta.total_seconds())
    if seconds <= 0:
        raise ValueError("a refresh interval must be positive")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"P{days}D" if days else "P"
    if hours or minutes or seconds:
        text += "T" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
        text += f"{seconds}S" if seconds else ""
    return text


def build_feed(info: FeedInfo, events: Iterable[EventRecord]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", info.name)
    calendar.add("x-wr-calname", info.name)
    calendar.add("x-wr-timezone", info.zone.key)
    calendar.add("refresh-interval", info.refresh, parameters={"VALUE": "DURATION"})
    calendar["X-PUBLISHED-TTL"] = vText(_duration_text(info.refresh))
    # A VTIMEZONE bounded to the feed's window: the transitions Outlook needs,
    # not decades of them.
    calendar.add_component(
        Timezone.from_tzinfo(
            info.zone,
            first_date=info.window_start - dt.timedelta(days=1),
            last_date=info.window_end + dt.timedelta(days=1),
        )
    )
    organizer = vCalAddress(f"mailto:{info.organizer_email}")
    organizer.params["cn"] = vText(info.organizer_name)
    for record in sorted(events, key=lambda r: (r.start, r.uid)):
        event = vevent(record, info.zone)
        event.add("organizer", organizer)
        calendar.add_component(event)
    return calendar.to_ical()
