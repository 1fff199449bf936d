"""Helpers shared by the booking page tests: local times and reading the week grid."""

from __future__ import annotations

import datetime as dt
import html
import re
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")
ALWAYS_OPEN = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}

CELL_RE = re.compile(r'<td class="slot ([^"]*)"[^>]*>(.*?)</td>', re.S)
SR_RE = re.compile(r'<span class="sr-only">(.*?)</span>', re.S)
TAG_RE = re.compile(r"<[^>]+>")


def local(*args: int) -> dt.datetime:
    """A Brussels wall time as a UTC instant: local(2026, 12, 2, 10, 0)."""
    return dt.datetime(*args, tzinfo=BRUSSELS).astimezone(dt.UTC)  # type: ignore[misc]


def day_section(page: str, date: str) -> str:
    start = page.index(f'<section class="day" id="day-{date}"')
    return page[start : page.index("</section>", start)]


def cells(section: str) -> list[tuple[str, str, str]]:
    """(classes, what the cell is about, its visible text) for each cell of a day table."""
    found = []
    for classes, inner in CELL_RE.findall(section):
        about = html.unescape(SR_RE.search(inner).group(1)) if SR_RE.search(inner) else ""
        visible = html.unescape(TAG_RE.sub("", SR_RE.sub("", inner))).strip()
        found.append((classes, about, " ".join(visible.split())))
    return found


def cell(page: str, date: str, resource: str, time: str) -> tuple[str, str]:
    """(classes, visible text) of the cell of `resource` that starts at local `time` on `date`."""
    for classes, about, visible in cells(day_section(page, date)):
        if about.startswith(f"{resource}, ") and f", {time}\u2013" in about:
            return classes, visible
    raise AssertionError(f"no cell for {resource} at {time} on {date}")


def book_links(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="(/bookings/new\?[^"]+)"', page)]


def book_link(page: str, start: str) -> str:
    """The grid's "Book" link whose prefilled start is `start` (local, with offset)."""
    for link in book_links(page):
        if parse_qs(urlsplit(link).query).get("start") == [start]:
            return link
    raise AssertionError(f"no link to book at {start}")
