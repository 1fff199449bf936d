"""Benchmark: what a calendar feed costs, against icalendar on its own and the health check.

Not a test. It builds a database of its own (SQLite, and PostgreSQL when it
answers) with one resource holding 10,000 bookings inside the feed's window,
makes a resource feed link for it, and measures through the real app (Flask's
test client: the whole WSGI stack, no network):

- (a) the `icalendar` library serialising the same 10,000 events on its own
  (a Calendar with the same VTIMEZONE and VEVENT properties, from plain tuples
  already in memory): the floor of any feed built with icalendar;
- (b) our full feed response, built from scratch: `GET /ical/<token>.ics` with the
  in-process render cache emptied first (token lookup, data version, one column
  query, 10,000 EventRecords, build_feed, the ETag hash);
- (c) a repeat with a matching `If-None-Match`: 304;
- (d) a repeat without ETag on unchanged data: 200 with the cached bytes;
- (e) `GET /healthz`: the trivial request, the baseline of (c) and (d).

Targets (issue 4): (b) at most 1.5x (a); (c) and (d) at most 2x (e). The script
prints the figures and ratios and writes the "Feeds" section of docs/performance.md.

    .venv/bin/python bench/feeds.py                    # SQLite, and PostgreSQL if it answers
    .venv/bin/python bench/feeds.py --databases sqlite
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # as `python bench/feeds.py`

from bench.common import DEFAULT_PG, ROOT, load_average, pct_rounded, scratch_postgres, update_doc
from bench.common import DOC as DOCS

BOOKINGS = 10_000
SLOTS_PER_DAY = 24  # 30-minute bookings from 06:00 to 18:00 local
FIRST_DAY = -55  # days from today: the window keeps 60 days back and 365 ahead
BUILD_ROUNDS = 3  # (a) and (b) take turns
FAST_ROUNDS = 300  # (c), (d), (e) take turns
ZONE = ZoneInfo("Europe/Brussels")


# -- databases -------------------------------------------------------------------------


def sqlite_url(tmp: Path) -> str:
    return f"sqlite:///{tmp / 'feeds.sqlite'}"


def make_app(database_url: str, instance: Path) -> Any:
    os.environ["INCUBATOR_INSTANCE_PATH"] = str(instance)
    from app import create_app

    return create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "PUBLIC_URL": "https://incubator.example.org",
            "SIGNING_KEY_FILE": str(instance / "keys" / "signing.key"),
            "BADGE_KEY_FILE": str(instance / "keys" / "badge.key"),
        }
    )


def seed(app: Any) -> str:
    """One room with 10,000 bookings of 20 companies; returns the feed link's path."""
    from flask_migrate import upgrade

    from app.extensions import db
    from app.models import Booking, Member, Privacy, Resource, ResourceKind, Role, Sector, Tenant
    from app.services.calendar_feeds import create_calendar_token

    with app.app_context():
        upgrade()
        tenants = [
            Tenant(name=f"Company {n}", slug=f"company-{n}", sector=Sector.CREATIVE)
            for n in range(20)
        ]
        members = [
            Member(
                email=f"m{n}@example.org", name=f"Member {n}", role=Role.MEMBER, tenant=tenants[n]
            )
            for n in range(20)
        ]
        room = Resource(
            slug="room", name="Multipurpose room", kind=ResourceKind.ROOM, privacy=Privacy.COMPANY
        )
        db.session.add_all([*tenants, *members, room])
        db.session.flush()
        now = dt.datetime.now(dt.UTC)
        today = now.astimezone(ZONE).date()
        rows = []
        for n in range(BOOKINGS):
            day = today + dt.timedelta(days=FIRST_DAY + n // SLOTS_PER_DAY)
            start = dt.datetime.combine(day, dt.time(6), tzinfo=ZONE) + dt.timedelta(
                minutes=30 * (n % SLOTS_PER_DAY)
            )
            member = members[n % len(members)]
            rows.append(
                {
                    "resource_id": room.id,
                    "tenant_id": member.tenant_id,
                    "booked_by_id": member.id,
                    "booked_for_id": member.id,
                    "title": "",
                    "start": start.astimezone(dt.UTC),
                    "end": (start + dt.timedelta(minutes=30)).astimezone(dt.UTC),
                    "status": "confirmed",
                    "sequence": n % 3,
                    "late_change": False,
                    "note": "",
                    "created_at": now - dt.timedelta(days=1),
                    "updated_at": now - dt.timedelta(days=1, seconds=n),
                }
            )
        db.session.execute(sa.insert(Booking), rows)
        _token, secret = create_calendar_token(
            member=members[0], scope="resource", name="bench", resource=room, now=now
        )
        db.session.commit()
    return f"/ical/{secret}.ics"


# -- measurements -------------------------------------------------------------------------


def same_events_with_icalendar(app: Any, secret: str) -> Callable[[], bytes]:
    """(a): the feed's own events, as plain tuples, serialised by icalendar alone."""
    from icalendar import Calendar, Event, Timezone, vCalAddress, vText

    from app.services import calendar_content as content
    from app.services.calendar_feeds import FeedSettings

    with app.app_context():
        from app.extensions import db
        from app.services.calendar_feeds import resolve_feed_token

        now = dt.datetime.now(dt.UTC)
        link = resolve_feed_token(secret, now=now, today=now.astimezone(ZONE).date())
        assert link is not None
        settings = FeedSettings.from_config(app.config)
        view = link.view
        window = content.FeedWindow.around(now, settings)
        _ = content.gettext_for(None)
        records = [content._record(r, view, settings, _) for r in content.feed_rows(view, window)]
        db.session.rollback()
    events = [
        (
            r.uid,
            r.start.astimezone(ZONE),
            r.end.astimezone(ZONE),
            r.summary,
            r.sequence,
            r.status,
            r.location,
            r.url,
            r.last_modified,
        )
        for r in records
    ]
    assert len(events) == BOOKINGS, len(events)
    first = dt.date(window.first_day.year, 1, 1)
    last = dt.date(window.end_day.year, 12, 31)

    def build() -> bytes:
        calendar = Calendar()
        calendar.add("prodid", "-//bench//EN")
        calendar.add("version", "2.0")
        calendar.add("method", "PUBLISH")
        calendar.add_component(Timezone.from_tzinfo(ZONE, first_date=first, last_date=last))
        organizer = vCalAddress("mailto:noreply@example.org")
        organizer.params["cn"] = vText("Makers Incubator")
        for uid, start, end, summary, sequence, status, location, url, stamp in events:
            event = Event()
            event.add("uid", uid)
            event.add("dtstamp", stamp)
            event.add("last-modified", stamp)
            event.add("dtstart", start)
            event.add("dtend", end)
            event.add("summary", summary)
            event.add("sequence", sequence)
            event.add("status", status)
            event.add("location", location)
            event.add("url", url)
            event.add("organizer", organizer)
            calendar.add_component(event)
        return calendar.to_ical()

    return build


def timed(action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


@dataclass
class Figures:
    name: str
    samples: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return pct_rounded(self.samples, 95)


def measure(app: Any, path: str) -> dict[str, Figures]:
    from app.services.calendar_feeds import clear_feed_cache

    client = app.test_client()
    first = client.get(path)
    assert first.status_code == 200, first.status_code
    etag = first.headers["ETag"]
    size = len(first.data)
    assert first.data.count(b"BEGIN:VEVENT") == BOOKINGS
    baseline = same_events_with_icalendar(app, path.removeprefix("/ical/").removesuffix(".ics"))
    print(f"  feed: {size / 1e6:.1f} MB; icalendar alone: {len(baseline()) / 1e6:.1f} MB")

    def full() -> None:
        clear_feed_cache()
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["ETag"] == etag

    def not_modified() -> None:
        response = client.get(path, headers={"If-None-Match": etag})
        assert response.status_code == 304

    def cached() -> None:
        response = client.get(path)
        assert response.status_code == 200
        assert len(response.data) == size

    def health() -> None:
        assert client.get("/healthz").status_code == 200

    figures = {key: Figures(key, []) for key in "abcde"}
    gc.collect()
    for _ in range(BUILD_ROUNDS):
        figures["a"].samples.append(timed(baseline))
        figures["b"].samples.append(timed(full))
    full()  # leave the cache warm
    for _ in range(20):  # warm-up
        not_modified(), cached(), health()
    for _ in range(FAST_ROUNDS):
        figures["c"].samples.append(timed(not_modified))
        figures["d"].samples.append(timed(cached))
        figures["e"].samples.append(timed(health))
    return figures


# -- report ---------------------------------------------------------------------------------

LABELS = {
    "a": "(a) icalendar alone, same 10,000 events",
    "b": "(b) our feed, built from scratch",
    "c": "(c) repeat with matching ETag (304)",
    "d": "(d) repeat without ETag, unchanged data",
    "e": "(e) GET /healthz",
}
TARGETS = {"b": ("a", 1.5), "c": ("e", 2.0), "d": ("e", 2.0)}


def table(database: str, figures: dict[str, Figures]) -> list[str]:
    lines = [
        f"| {database} | n | p50 ms | p95 ms | ratio (p50) | target |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for key, fig in figures.items():
        ratio = target = ""
        if key in TARGETS:
            base, limit = TARGETS[key]
            value = fig.p50 / figures[base].p50
            ratio = f"{value:.2f}x {base}"
            target = f"<= {limit}x {base}: {'met' if value <= limit else 'MISSED'}"
        lines.append(
            f"| {LABELS[key]} | {len(fig.samples)} | {fig.p50:.3f} | {fig.p95:.3f} "
            f"| {ratio} | {target} |"
        )
    return lines


def machine() -> str:
    cpus = os.cpu_count()
    return (
        f"{platform.processor() or platform.machine()}, {cpus} CPUs, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()} (load average {load_average()})"
    )


# The closing notes of the Feeds section (what the figures mean, and how they were reached).
NOTES = [
    (
        "Almost all of (b) is icalendar: building the components and folding the lines costs "
        "about 0.8 ms per event, which is why a feed is rendered once per data version and "
        "then served from memory; our own part (the column query, the EventRecords, the ETag) "
        "is about a tenth. (c) and (d) run one statement where (e) runs `SELECT 1`: the link "
        "joined with its member, tenant and resource, and the data version (the newest "
        "`updated_at` of the scope's bookings and of resources, tenants and members, each "
        "read from an index), as plain Core columns."
    ),
    "",
    (
        "How it got there: the first cut took 2.6x (e) on SQLite: an ORM query with eager "
        "loads for the link and a second query for the version, both statements built anew "
        "per request (SQLAlchemy's cache-key generation alone cost about 0.5 ms). One "
        "prebuilt Core statement brought SQLite to 1.3x. PostgreSQL stays nearer the limit "
        "because it plans that statement again at almost every request: psycopg forgets its "
        "prepared statements at every ROLLBACK, and every request ends with one; planning the "
        "lookup costs about 0.7 ms, so the lookup has one variant per scope (the secret's "
        "`cal_m_`/`cal_t_`/`cal_r_`/`cal_s_` mark picks it) holding only that scope's maxima. "
        "Figures move with the load of the machine; compare the ratios of one run."
    ),
]


def write_docs(tables: list[list[str]]) -> None:
    section = [
        "## Feeds",
        "",
        f"`bench/feeds.py`, run with `.venv/bin/python bench/feeds.py` (a few minutes; "
        "`--databases sqlite` skips PostgreSQL). One resource holds 10,000 confirmed "
        "bookings of 20 companies inside the feed's window (60 days back, 365 ahead), "
        'shown as "Booked: Company"; the feed is that resource\'s (privacy-filtered). '
        "Everything goes through the real app with Flask's test client (the whole WSGI "
        "stack, no network, so the 3 MB body costs no transfer time). (a) and (b) take "
        f"turns {BUILD_ROUNDS} times; (c), (d) and (e) take turns {FAST_ROUNDS} times.",
        "",
        "* **(a)** the `icalendar` library on its own: a Calendar with the same "
        "VTIMEZONE and 10,000 VEVENTs with the same properties, from tuples in memory;",
        "* **(b)** `GET /ical/<token>.ics` with the render cache emptied first: token "
        "lookup, data version, one column query, the EventRecords, `calendars.build_feed`, "
        "the ETag hash. Target: at most 1.5x (a);",
        "* **(c)** the same with a matching `If-None-Match`: 304. Target: at most 2x (e);",
        "* **(d)** the same without `If-None-Match` on unchanged data: 200 with the bytes "
        "cached for this data version. Target: at most 2x (e);",
        "* **(e)** `GET /healthz` (one `SELECT 1`): the trivial request.",
        "",
        f"Measured {dt.date.today().isoformat()} on {machine()}.",
        "",
    ]
    for lines in tables:
        section += [*lines, ""]
    section += NOTES
    update_doc(DOCS, "## Feeds", "\n".join(section))


def run(database: str, url: str, instance: Path) -> list[str]:
    print(f"{database}: seeding {BOOKINGS} bookings")
    app = make_app(url, instance)
    path = seed(app)
    figures = measure(app, path)
    lines = table(database, figures)
    print("\n".join(lines))
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--pg-url", default=os.environ.get("INCUBATOR_TEST_DATABASE_URL", DEFAULT_PG)
    )
    parser.add_argument("--no-docs", action="store_true", help="Do not write docs/performance.md.")
    args = parser.parse_args()
    tables = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        if "sqlite" in args.databases:
            tables.append(run("SQLite", sqlite_url(base), base / "sqlite"))
        if "postgresql" in args.databases:
            with ExitStack() as stack:
                try:
                    url = stack.enter_context(scratch_postgres(args.pg_url, "bench_feeds_"))
                except Exception as exc:  # no server: skip it, say so
                    print(f"PostgreSQL not available ({type(exc).__name__}); skipped")
                else:
                    tables.append(run("PostgreSQL", url, base / "pg"))
    if not args.no_docs:
        write_docs(tables)
        print(f"wrote the Feeds section of {DOCS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
