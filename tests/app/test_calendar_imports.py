"""Closures imported from external calendars: files, links, refreshes, and bookings in the way."""

from __future__ import annotations

import datetime as dt
import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from app.calendar_refresh import refresh_calendars
from app.jobs import JOBS
from app.models import Booking, BookingStatus, CalendarSource, Closure
from app.services import calendar_imports as service
from app.services.bookings.lifecycle import create_booking
from app.services.calendar_collisions import imported_collisions
from app.services.calendar_imports import ImportSettings
from app.services.errors import PermissionDenied, RuleViolation, ValidationFailed
from tests.app.calendar_support import BRUSSELS, local

pytestmark = pytest.mark.db

NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
SETTINGS = ImportSettings(zone=BRUSSELS)
LOOPBACK = ImportSettings(zone=BRUSSELS, allowed_networks=("127.0.0.0/8",), timeout=5)

VTIMEZONE = (
    "BEGIN:VTIMEZONE\r\nTZID:Europe/Brussels\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
    "END:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
    "END:DAYLIGHT\r\nEND:VTIMEZONE"
)


def ics(*events: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        + "\r\n".join(events)
        + "\r\nEND:VCALENDAR\r\n"
    ).encode()


def all_day(uid: str, day: str, summary: str) -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:{summary}\r\nDTSTART;VALUE=DATE:{day}\r\nEND:VEVENT"
    )


HOLIDAYS = ics(all_day("xmas", "20261225", "Kerstmis"), all_day("newyear", "20270101", "Nieuwjaar"))
# Every Monday 08:00-10:00 Brussels time from 15 March 2027, four times, not on 22 March:
# the weeks on both sides of the change to summer time on 28 March.
MAINTENANCE = ics(
    VTIMEZONE,
    "BEGIN:VEVENT\r\nUID:laser-service\r\nSUMMARY:Laser service\r\n"
    "DTSTART;TZID=Europe/Brussels:20270315T080000\r\nDTEND;TZID=Europe/Brussels:20270315T100000\r\n"
    "RRULE:FREQ=WEEKLY;COUNT=4\r\nEXDATE;TZID=Europe/Brussels:20270322T080000\r\nEND:VEVENT",
)


@pytest.fixture
def manager(make_member):
    return make_member("manager")


@pytest.fixture
def laser(make_resource):
    return make_resource(slug="laser", name="Laser cutter", horizon_days=400)


def closures(source: CalendarSource | None = None) -> list[tuple[Any, ...]]:
    from app.extensions import db

    query = db.session.query(Closure).order_by(Closure.start, Closure.resource_id)
    if source is not None:
        query = query.filter(Closure.source == source.closure_source)
    return [(c.resource_id, c.start, c.end, c.reason, c.external_uid) for c in query]


def add(manager, data: bytes, resources=(), settings=SETTINGS, now=NOW):
    return service.add_source(
        actor=manager,
        name="Imported",
        upload=data,
        resources=list(resources),
        settings=settings,
        now=now,
    )


# -- files -------------------------------------------------------------------------------


def test_holidays_close_the_whole_building_for_whole_local_days(manager, db_session):
    result = add(manager, HOLIDAYS)
    assert result.outcome == "updated"
    assert result.added == 2
    assert closures() == [
        (None, local(2026, 12, 25), local(2026, 12, 26), "Kerstmis", "xmas"),
        (None, local(2027, 1, 1), local(2027, 1, 2), "Nieuwjaar", "newyear"),
    ]
    assert result.source.closure_source == f"calendar:{result.source.id}"


def test_a_closed_day_cannot_be_booked(manager, laser, make_member, db_session, facility):
    add(manager, HOLIDAYS)
    with pytest.raises(RuleViolation) as refused:
        create_booking(
            actor=make_member(),
            resource=laser,
            start=local(2026, 12, 25, 10),
            end=local(2026, 12, 25, 11),
            now=NOW,
            facility=facility,
        )
    assert refused.value.rule == "closed"


def test_weekly_maintenance_with_an_exdate_closes_the_chosen_resources_in_local_time(
    manager, laser, make_resource, db_session
):
    cnc = make_resource(slug="cnc", name="CNC")
    add(manager, MAINTENANCE, resources=[laser, cnc])
    starts = [local(2027, 3, 15, 8), local(2027, 3, 29, 8), local(2027, 4, 5, 8)]
    assert closures() == [
        (rid, start, start + dt.timedelta(hours=2), "Laser service", "laser-service")
        for start in starts
        for rid in sorted((laser.id, cnc.id))
    ]


@pytest.mark.parametrize(
    "data",
    [b"this is not a calendar", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n", b"\x00\xff" * 10],
    ids=["text", "truncated", "binary"],
)
def test_a_malformed_file_is_refused_with_a_reason_and_changes_nothing(
    manager, data, db_session, count
):
    add(manager, HOLIDAYS)
    db_session.commit()
    before = (count(CalendarSource), closures())
    with pytest.raises(ValidationFailed) as refused:
        add(manager, data)
    assert refused.value.fields["file"]
    assert (count(CalendarSource), closures()) == before


def test_an_oversize_file_is_refused_and_changes_nothing(manager, db_session, count):
    small = ImportSettings(zone=BRUSSELS, max_bytes=1024)
    padding = "X-PADDING:" + "x" * 60
    big = ics(*[all_day(f"d{n}", "20261225", "Day") + "\r\n" + padding for n in range(30)])
    with pytest.raises(ValidationFailed) as refused:
        add(manager, big, settings=small)
    assert "larger than 1 KiB" in refused.value.fields["file"]
    assert count(CalendarSource) == 0
    assert closures() == []


def test_a_new_version_of_an_uploaded_file_replaces_its_closures(manager, db_session):
    source = add(manager, HOLIDAYS).source
    later = ics(all_day("xmas", "20261225", "Kerstdag"), all_day("boxing", "20261226", "Tweede"))
    result = service.replace_upload(source, actor=manager, upload=later, settings=SETTINGS, now=NOW)
    assert (result.added, result.removed) == (1, 1)
    assert [c[3] for c in closures(source)] == ["Kerstdag", "Tweede"]


def test_only_managers_import(make_member):
    with pytest.raises(PermissionDenied):
        add(make_member("tenant_admin"), HOLIDAYS)


# -- bookings in the way -------------------------------------------------------------------


def test_bookings_inside_new_closures_are_listed_not_cancelled(
    manager, laser, make_member, book, db_session
):
    member = make_member()
    inside = book(member, laser, local(2027, 3, 29, 9), now=NOW).bookings[0]
    book(member, laser, local(2027, 3, 29, 10), now=NOW)  # right after the window: free
    result = add(manager, MAINTENANCE, resources=[laser])
    assert [c.booking.id for c in result.collisions] == [inside.id]
    assert db_session.get(Booking, inside.id).status == BookingStatus.CONFIRMED
    listed = imported_collisions(manager, now=NOW)
    assert [(c.booking.id, c.closure.reason) for c in listed] == [(inside.id, "Laser service")]


def test_a_machine_closure_lists_a_booking_of_the_whole_fablab(
    manager, make_resource, make_member, book, db_session
):
    fablab = make_resource(slug="fablab", name="Fablab", horizon_days=400)
    laser = make_resource(slug="laser", parent_id=fablab.id, horizon_days=400)
    whole = book(make_member(), fablab, local(2027, 3, 15, 8), now=NOW).bookings[0]
    result = add(manager, MAINTENANCE, resources=[laser])
    assert [c.booking.id for c in result.collisions] == [whole.id]


def test_switching_a_calendar_off_removes_its_coming_closures(manager, db_session):
    source = add(manager, HOLIDAYS).source
    removed = service.deactivate_source(source, actor=manager, now=local(2026, 12, 30))
    assert removed == 1
    assert [c[4] for c in closures(source)] == ["xmas"]  # the past stays
    assert not source.active


# -- links ----------------------------------------------------------------------------------


class CalendarServer:
    """A calendar server on 127.0.0.1 with ETags; it records what it was asked."""

    def __init__(self) -> None:
        self.body = HOLIDAYS
        self.status = 200
        self.requests: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(dict(self.headers))
                etag = f'"v{hash(server.body) & 0xFFFF}"'
                if server.status == 200 and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(server.status)
                self.send_header("Content-Type", "text/calendar")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/holidays.ics"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def calendar_server() -> Iterator[CalendarServer]:
    server = CalendarServer()
    yield server
    server.close()


def add_link(manager, url: str, settings=LOOPBACK, resources=()):
    fetched = service.download(url, settings=settings)
    return service.add_source(
        actor=manager,
        name="Holidays",
        url=url,
        fetched=fetched,
        resources=list(resources),
        settings=settings,
        now=NOW,
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/holidays.ics",
        "http://localhost:{port}/holidays.ics",
        "http://10.0.0.1/holidays.ics",
        "http://192.168.1.10/holidays.ics",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:{port}/holidays.ics",
        "http://[::ffff:127.0.0.1]:{port}/holidays.ics",
        "file:///etc/passwd",
    ],
)
def test_a_private_address_is_refused_without_a_connection(manager, calendar_server, url, count):
    port = calendar_server.httpd.server_address[1]
    with pytest.raises(ValidationFailed) as refused:
        add_link(manager, url.format(port=port), settings=SETTINGS)
    assert refused.value.fields["url"]
    assert calendar_server.requests == []
    assert count(CalendarSource) == 0


def test_an_allowed_network_is_fetched_then_refreshed_with_a_conditional_get(
    manager, calendar_server, db_session
):
    source = add_link(manager, calendar_server.url).source
    assert len(closures(source)) == 2
    assert source.etag
    plan = service.plan_refresh(source)
    fetched = service.download(plan.url, settings=LOOPBACK, etag=plan.etag)
    result = service.refresh_source(source, fetched=fetched, settings=LOOPBACK, now=NOW)
    assert result.outcome == "unchanged"
    assert calendar_server.requests[-1]["If-None-Match"] == source.etag


def test_a_failed_refresh_keeps_the_last_good_copy_and_says_why(
    manager, calendar_server, db_session
):
    source = add_link(manager, calendar_server.url).source
    good = closures(source)
    for status, body in ((500, b"oops"), (200, b"BEGIN:VCALENDAR\r\nnonsense")):
        calendar_server.status, calendar_server.body = status, body
        fetched = service.download(source.url, settings=LOOPBACK)
        result = service.refresh_source(source, fetched=fetched, settings=LOOPBACK, now=NOW)
        assert result.outcome == "failed"
        assert source.last_error
        assert closures(source) == good
    calendar_server.status, calendar_server.body = 200, MAINTENANCE
    result = service.refresh_source(
        source, fetched=service.download(source.url, settings=LOOPBACK), settings=LOOPBACK, now=NOW
    )
    assert result.outcome == "updated"
    assert source.last_error is None
    assert [c[4] for c in closures(source)] == ["laser-service"] * 3


def test_the_refresh_command_prints_a_line_per_calendar(
    app, manager, calendar_server, db_session, monkeypatch
):
    monkeypatch.setitem(app.config, "CALENDAR_ALLOWED_NETWORKS", ("127.0.0.0/8",))
    source = add_link(manager, calendar_server.url).source
    db_session.commit()
    with app.app_context():  # as FlaskGroup runs every command
        result = app.test_cli_runner().invoke(args=["calendars", "refresh", "--all"])
        assert result.exit_code == 0, result.output
        assert result.output.strip() == f"{source.id} Holidays: unchanged"
        calendar_server.status = 503
        result = app.test_cli_runner().invoke(args=["calendars", "refresh", "--all"])
    assert result.exit_code == 1
    assert "failed, last good copy kept" in result.output


def test_the_hourly_job_refreshes_only_due_calendars(app, manager, calendar_server, db_session):
    [job] = [j for j in JOBS if j.name == "calendars.refresh"]
    assert job.every == dt.timedelta(hours=1)
    add_link(manager, calendar_server.url)
    db_session.commit()
    with app.app_context():
        config = {**app.config, "CALENDAR_ALLOWED_NETWORKS": ("127.0.0.0/8",)}
        assert refresh_calendars(config, now=NOW + dt.timedelta(minutes=10)) == []
        results = refresh_calendars(config, now=NOW + dt.timedelta(minutes=55))
    assert [r.outcome for r in results] == ["unchanged"]


# -- the managers' page ---------------------------------------------------------------------


def test_the_import_page_is_for_managers(make_member, sign_in):
    client = sign_in(make_member("tenant_admin"))
    assert client.get("/calendar/imports").status_code == 403


def test_managers_upload_a_calendar_and_see_bookings_in_the_way(
    manager, laser, make_member, book, sign_in, db_session
):
    member = make_member(name="Arne Member")
    book(member, laser, local(2027, 3, 29, 9), now=NOW)
    client = sign_in(manager)
    response = client.post(
        "/calendar/imports",
        data={
            "name": "Maintenance",
            "resources": ["laser"],
            "file": (io.BytesIO(MAINTENANCE), "maintenance.ics"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Closures added: 3; removed: 0." in page
    assert "1 booking is inside a new closure" in page
    assert "Bookings inside imported closures" in page
    assert "Arne Member" in page
    assert "Laser service" in page


def test_a_broken_upload_shows_the_reason_on_the_page(manager, sign_in, count):
    client = sign_in(manager)
    response = client.post(
        "/calendar/imports",
        data={"name": "Broken", "file": (io.BytesIO(b"garbage"), "x.ics")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "This calendar cannot be used." in response.get_data(as_text=True)
    assert count(CalendarSource) == 0


def test_a_failed_refresh_is_shown_to_managers(
    app, manager, calendar_server, sign_in, db_session, monkeypatch
):
    monkeypatch.setitem(app.config, "CALENDAR_ALLOWED_NETWORKS", ("127.0.0.0/8",))
    source = add_link(manager, calendar_server.url).source
    calendar_server.status = 500
    client = sign_in(manager)
    page = client.post(f"/calendar/imports/{source.id}/refresh", follow_redirects=True).get_data(
        as_text=True
    )
    assert "The calendar could not be refreshed: the server answered 500" in page
    assert "Last attempt failed" in page
    assert len(closures(source)) == 2


def test_a_private_link_is_refused_on_the_page(manager, sign_in, count):
    client = sign_in(manager)
    response = client.post(
        "/calendar/imports", data={"name": "Internal", "url": "http://127.0.0.1:9/x.ics"}
    )
    assert response.status_code == 422
    assert "an address we do not fetch from" in response.get_data(as_text=True)
    assert count(CalendarSource) == 0
