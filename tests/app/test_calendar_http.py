"""`GET|HEAD /ical/<token>.ics`: conditional GET, headers, dead links, the render cache."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from werkzeug.http import http_date, parse_date

from app.models import CalendarToken, Role, TenantStatus
from app.services import calendar_content, calendar_feeds
from app.services.bookings.lifecycle import cancel_booking
from tests.app.calendar_support import BRUSSELS, Clock, cross_check_every_feed, local, occurrences

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
def member(make_member):
    return make_member(name="Arne Member")


@pytest.fixture
def room(make_resource):
    return make_resource(name="Room", horizon_days=400)


@pytest.fixture
def booking(member, room, book, clock):
    return book(member, room, days_ahead(2), now=clock.tick()).bookings[0]


@pytest.fixture
def secret(member, booking, db_session, clock):
    _token, secret = calendar_feeds.create_calendar_token(
        member=member, scope="member", name="phone", now=clock.tick()
    )
    db_session.commit()
    return secret


@pytest.fixture
def url(secret):
    return f"/ical/{secret}.ics"


def days_ahead(days: int, hour: int = 10) -> dt.datetime:
    day = dt.datetime.now(BRUSSELS).date() + dt.timedelta(days=days)
    return local(day.year, day.month, day.day, hour)


def last_modified(response) -> dt.datetime:
    return parse_date(response.headers["Last-Modified"])


# -- headers and conditional GET -------------------------------------------------------


def test_a_feed_is_private_text_calendar_with_a_strong_etag(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "private"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    etag = response.headers["ETag"]
    assert etag.startswith('"')
    assert not etag.startswith("W/")
    assert response.headers["Last-Modified"]
    assert "Set-Cookie" not in response.headers


def test_an_unchanged_feed_gives_the_same_bytes_etag_and_last_modified(client, url, clock):
    first = client.get(url)
    clock.tick(minutes=5)
    second = client.get(url)
    assert second.data == first.data
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Last-Modified"] == first.headers["Last-Modified"]


def test_a_matching_if_none_match_answers_304_without_a_body(client, url):
    etag = client.get(url).headers["ETag"]
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag
    assert client.get(url, headers={"If-None-Match": "*"}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_if_modified_since_answers_304_unless_the_feed_changed_since(client, url):
    stamp = last_modified(client.get(url))
    assert client.get(url, headers={"If-Modified-Since": http_date(stamp)}).status_code == 304
    older = http_date(stamp - dt.timedelta(seconds=1))
    assert client.get(url, headers={"If-Modified-Since": older}).status_code == 200


def test_if_none_match_wins_over_if_modified_since(client, url):
    stamp = client.get(url).headers["Last-Modified"]
    response = client.get(url, headers={"If-None-Match": '"other"', "If-Modified-Since": stamp})
    assert response.status_code == 200


def test_head_answers_the_headers_of_get_without_the_body(client, url):
    got = client.get(url)
    head = client.head(url)
    assert head.status_code == 200
    assert head.data == b""
    for name in ("ETag", "Last-Modified", "Content-Type", "Cache-Control"):
        assert head.headers[name] == got.headers[name]
    assert int(head.headers["Content-Length"]) == len(got.data)
    assert client.head(url, headers={"If-None-Match": got.headers["ETag"]}).status_code == 304


# -- Last-Modified never goes backwards ------------------------------------------------


def test_a_change_gives_a_new_etag_and_a_later_last_modified(
    client, url, member, room, book, clock
):
    first = client.get(url)
    clock.tick(minutes=1)
    book(member, room, days_ahead(3), now=clock.tick())
    second = client.get(url)
    assert second.headers["ETag"] != first.headers["ETag"]
    assert last_modified(second) > last_modified(first)
    old_etag = {"If-None-Match": first.headers["ETag"]}
    assert client.get(url, headers=old_etag).status_code == 200


def test_last_modified_moves_forward_after_a_cancel_and_when_it_leaves_the_feed(
    client, url, member, booking, facility, db_session, clock
):
    stamps = [last_modified(client.get(url))]
    clock.tick(minutes=1)
    cancel_booking(booking, actor=member, now=clock.tick(), facility=facility)
    db_session.commit()
    stamps.append(last_modified(client.get(url)))  # shown as cancelled
    clock.tick(days=8)
    response = client.get(url)  # the grace period is over: the event is gone
    stamps.append(last_modified(response))
    assert occurrences(response.data) == set()
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == 3


def test_last_modified_moves_forward_when_a_booking_leaves_the_window(client, url, clock):
    first = client.get(url)
    clock.tick(days=63)
    second = client.get(url)
    assert occurrences(second.data) == set()
    assert last_modified(second) > last_modified(first)
    assert client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]}).data


def test_two_changes_within_one_second_still_move_last_modified(
    client, url, member, room, book, clock, db_session
):
    first = last_modified(client.get(url))
    book(member, room, days_ahead(4), now=clock.now)  # the same second as the first fetch
    second = last_modified(client.get(url))
    assert second > first


# -- dead links --------------------------------------------------------------------------


def test_unknown_and_malformed_links_are_404(client, url):
    for path in ("/ical/cal_m_unknownsecretunknownsecret12.ics", "/ical/x.ics"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.data == b"Not found\n"
    assert client.get("/ical/.ics").status_code == 404


def test_a_link_with_another_scopes_mark_is_404(client, url, secret):
    for mark in "trs":
        assert client.get(url.replace("/cal_m_", f"/cal_{mark}_")).status_code == 404


def test_a_revoked_link_is_404(client, url, member, db_session, clock):
    token = db_session.query(CalendarToken).one()
    calendar_feeds.revoke_calendar_token(member=member, token_id=token.id, now=clock.tick())
    db_session.commit()
    assert client.get(url).status_code == 404
    assert client.head(url).status_code == 404


def test_rotating_kills_the_old_link_and_makes_a_working_one(client, url, member, db_session):
    token = db_session.query(CalendarToken).one()
    new, secret = calendar_feeds.rotate_calendar_token(
        member=member, token_id=token.id, now=dt.datetime.now(dt.UTC)
    )
    db_session.commit()
    assert client.get(url).status_code == 404
    assert client.get(f"/ical/{secret}.ics").status_code == 200
    assert (new.name, new.scope) == (token.name, token.scope)


@pytest.mark.parametrize(
    "lose_access",
    [
        lambda m: setattr(m, "active", False),
        lambda m: setattr(m.tenant, "status", TenantStatus.INACTIVE),
        lambda m: setattr(m.tenant, "contract_end", dt.date.today() - dt.timedelta(days=2)),
    ],
    ids=["member deactivated", "tenant deactivated", "contract ended"],
)
def test_a_member_who_loses_access_loses_the_feeds(client, url, member, db_session, lose_access):
    assert client.get(url).status_code == 200
    lose_access(member)
    db_session.commit()
    assert client.get(url).status_code == 404


def test_a_site_link_dies_when_its_manager_is_no_longer_one(client, make_member, db_session):
    manager = make_member("manager")
    _token, secret = calendar_feeds.create_calendar_token(
        member=manager, scope="site", now=dt.datetime.now(dt.UTC)
    )
    db_session.commit()
    assert client.get(f"/ical/{secret}.ics").status_code == 200
    manager.role = Role.MEMBER
    db_session.commit()
    assert client.get(f"/ical/{secret}.ics").status_code == 404


def test_a_resource_link_dies_with_its_resource(client, member, room, db_session):
    _token, secret = calendar_feeds.create_calendar_token(
        member=member, scope="resource", resource=room, now=dt.datetime.now(dt.UTC)
    )
    db_session.commit()
    room.active = False
    db_session.commit()
    assert client.get(f"/ical/{secret}.ics").status_code == 404


# -- last use, the cache, logs -------------------------------------------------------------


def test_last_use_is_written_at_most_hourly(client, url, db_session, clock):
    client.get(url)
    token = db_session.query(CalendarToken).one()
    first = token.last_used_at
    assert first == clock.now
    clock.tick(minutes=30)
    client.get(url)
    db_session.refresh(token)
    assert token.last_used_at == first
    clock.tick(minutes=31)
    client.get(url)
    db_session.refresh(token)
    assert token.last_used_at == clock.now


def test_an_unchanged_feed_is_not_rendered_again(client, url, monkeypatch, clock):
    renders = []
    real = calendar_content.render_feed

    def counting(*args, **kwargs):
        renders.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(calendar_feeds, "render_feed", counting)
    clock.tick(minutes=2)  # past the settling time of the data
    client.get(url)
    client.get(url)
    client.head(url)
    assert len(renders) == 1


def test_a_feed_rendered_right_after_a_change_is_rendered_once_more_when_it_settles(
    client, url, monkeypatch, clock
):
    renders = []
    real = calendar_feeds.render_feed

    def counting(*args, **kwargs):
        renders.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(calendar_feeds, "render_feed", counting)
    client.get(url)  # seconds after the booking: a late commit could still come
    client.get(url)
    clock.tick(minutes=2)
    client.get(url)  # settled: rendered once more, then kept
    client.get(url)
    assert len(renders) == 2


def test_feed_paths_are_logged_without_the_secret(caplog, secret):
    from app.blueprints.calendars import HideFeedSecrets

    logger = logging.getLogger("werkzeug")
    assert any(isinstance(f, HideFeedSecrets) for f in logger.filters)
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logger.info('127.0.0.1 - - "GET /ical/%s.ics HTTP/1.1" 200 -', secret)
    assert secret not in caplog.text
    assert "/ical/<token>.ics" in caplog.text


def test_gunicorn_logs_feed_requests_without_the_secret(secret):
    import runpy
    from pathlib import Path

    from gunicorn.config import Config

    settings = runpy.run_path(str(Path(__file__).parents[2] / "deploy" / "gunicorn.conf.py"))
    logger = settings["logger_class"](Config())
    path = f"/ical/{secret}.ics"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    response = type("Sent", (), {"status": "200 OK", "sent": 10, "headers": []})()
    atoms = logger.atoms(response, {}, environ, dt.timedelta(milliseconds=3))
    line = settings["access_log_format"] % atoms
    assert secret not in line
    assert "/ical/<token>.ics" in line
