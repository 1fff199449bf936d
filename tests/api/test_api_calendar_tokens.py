"""/api/v1/calendar-tokens: feed links made, listed, rotated and revoked through the API."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from app.models import CalendarToken
from app.services import calendar_feeds
from tests.app.calendar_support import cross_check_every_feed

pytestmark = pytest.mark.db

BASE = "/api/v1/calendar-tokens"


@pytest.fixture(autouse=True)
def _every_feed_read_by_three_parsers(monkeypatch):
    cross_check_every_feed(monkeypatch)


@pytest.fixture(autouse=True)
def _fresh_cache():
    calendar_feeds.clear_feed_cache()
    yield
    calendar_feeds.clear_feed_cache()


def feed_path(url: str) -> str:
    return urlsplit(url).path


def test_a_member_makes_a_link_and_gets_it_once(client, auth, member_a):
    response = client.post(BASE, json={"scope": "member", "name": "phone"}, headers=auth(member_a))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) >= {"id", "url", "webcal_url"}
    assert body["url"].startswith("https://incubator.test.example/ical/cal_")
    assert body["url"].endswith(".ics")
    assert body["webcal_url"] == "webcal://" + body["url"].removeprefix("https://")
    assert response.headers["Location"].endswith(f"{BASE}/{body['id']}")
    assert response.headers["Cache-Control"] == "no-store"
    feed = client.get(feed_path(body["url"]))
    assert feed.status_code == 200
    assert feed.headers["Content-Type"] == "text/calendar; charset=utf-8"
    shown = client.get(f"{BASE}/{body['id']}", headers=auth(member_a)).get_json()
    assert "url" not in shown
    assert shown["prefix"] in body["url"]


def test_the_name_is_optional(client, auth, member_a):
    body = client.post(BASE, json={"scope": "tenant"}, headers=auth(member_a)).get_json()
    assert body["name"] == "tenant"
    assert body["resource"] is None


def test_a_resource_link_names_the_resource_by_its_slug(client, auth, member_b, room):
    response = client.post(
        BASE, json={"scope": "resource", "resource": "room"}, headers=auth(member_b)
    )
    assert response.status_code == 201
    assert response.get_json()["resource"] == "room"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scope": "resource"}, "resource"),
        ({"scope": "resource", "resource": "nowhere"}, "resource"),
        ({"scope": "member", "resource": "room"}, "resource"),
        ({"scope": "everything"}, "scope"),
        ({}, "scope"),
        ({"scope": "member", "name": "x" * 81}, "name"),
        ({"scope": "member", "extra": 1}, "extra"),
    ],
)
def test_wrong_bodies_are_422_with_the_field(client, auth, member_a, room, body, field, count):
    response = client.post(BASE, json=body, headers=auth(member_a))
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    assert count(CalendarToken) == 0


@pytest.mark.parametrize(
    ("who", "scope"), [("member_a", "site"), ("admin_a", "site"), ("manager", "tenant")]
)
def test_scopes_beyond_ones_rights_are_403(client, auth, who, scope, count):
    response = client.post(BASE, json={"scope": scope}, headers=auth(who))
    assert response.status_code == 403
    assert count(CalendarToken) == 0


def test_a_manager_makes_a_site_link(client, auth):
    assert client.post(BASE, json={"scope": "site"}, headers=auth("manager")).status_code == 201


def test_the_list_holds_only_my_live_links_and_no_secrets(client, auth, member_a, member_b):
    mine = client.post(BASE, json={"scope": "member"}, headers=auth(member_a)).get_json()
    client.post(BASE, json={"scope": "member"}, headers=auth(member_b))
    gone = client.post(BASE, json={"scope": "tenant"}, headers=auth(member_a)).get_json()
    client.delete(f"{BASE}/{gone['id']}", headers=auth(member_a))
    listing = client.get(BASE, headers=auth(member_a)).get_json()
    assert [item["id"] for item in listing["items"]] == [mine["id"]]
    assert listing["total"] == 1
    assert all("url" not in item for item in listing["items"])


def test_delete_revokes_and_the_feed_answers_404(client, auth, member_a):
    made = client.post(BASE, json={"scope": "member"}, headers=auth(member_a)).get_json()
    assert client.delete(f"{BASE}/{made['id']}", headers=auth(member_a)).status_code == 204
    assert client.get(feed_path(made["url"])).status_code == 404
    assert client.delete(f"{BASE}/{made['id']}", headers=auth(member_a)).status_code == 404


def test_another_members_link_is_404_to_read_delete_or_rotate(client, auth, member_a, admin_a):
    made = client.post(BASE, json={"scope": "member"}, headers=auth(member_a)).get_json()
    one = f"{BASE}/{made['id']}"
    for who in (admin_a, "manager", "member_b"):
        assert client.get(one, headers=auth(who)).status_code == 404
        assert client.delete(one, headers=auth(who)).status_code == 404
        assert client.post(f"{one}/rotate", headers=auth(who)).status_code == 404
    assert client.get(feed_path(made["url"])).status_code == 200


def test_rotate_gives_a_new_link_and_kills_the_old(client, auth, member_a):
    made = client.post(BASE, json={"scope": "member", "name": "phone"}, headers=auth(member_a))
    made = made.get_json()
    rotated = client.post(f"{BASE}/{made['id']}/rotate", headers=auth(member_a))
    assert rotated.status_code == 201
    new = rotated.get_json()
    assert new["url"] != made["url"]
    assert new["name"] == "phone"
    assert client.get(feed_path(made["url"])).status_code == 404
    assert client.get(feed_path(new["url"])).status_code == 200
    renamed = client.post(
        f"{BASE}/{new['id']}/rotate", json={"name": "new phone"}, headers=auth(member_a)
    )
    assert renamed.get_json()["name"] == "new phone"


def test_a_session_cookie_does_not_count(client, member_a):
    from tests.conftest import login

    login(client, member_a)
    assert client.post(BASE, json={"scope": "member"}).status_code == 401


def test_a_member_link_never_shows_another_members_bookings(
    client, auth, member_a, member_b, booking_of
):
    booking_of(member_b, "2026-12-02T10:00", "2026-12-02T11:00")
    mine = booking_of(member_a, "2026-12-02T12:00", "2026-12-02T13:00")
    made = client.post(BASE, json={"scope": "member"}, headers=auth(member_a)).get_json()
    body = client.get(feed_path(made["url"])).data
    assert f"UID:booking-{mine['id']}@".encode() in body
    assert body.count(b"BEGIN:VEVENT") == 1
    assert b"Bea" not in body.replace(b"\r\n ", b"")
