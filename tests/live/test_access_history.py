"""My access history: a member's own scans and machine sessions, and nobody else's."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from app.models import ResourceKind

pytestmark = pytest.mark.db

HISTORY = "/profile/history"
# 13:05:09 UTC in late November is 14:05:09 in Brussels.
SCANNED = dt.datetime(2026, 11, 24, 13, 5, 9, tzinfo=dt.UTC)


@pytest.fixture
def front_door(make_device):  # type: ignore[no-untyped-def]
    return make_device("door-main", label="Front door")


@pytest.fixture
def laser(make_resource, make_device):  # type: ignore[no-untyped-def]
    cutter = make_resource(name="Laser cutter", slug="laser", kind=ResourceKind.MACHINE)
    return make_device("laser-1", "machine", label="Laser Pi", resource_id=cutter.id)


@pytest.fixture
def two_members(make_member, make_badge, make_tenant):  # type: ignore[no-untyped-def]
    tenant = make_tenant()
    mine = make_member(name="Ada Lovelace", tenant=tenant)
    theirs = make_member(name="Grace Hopper", tenant=tenant)
    make_badge(mine, uid="04AAAA01")
    make_badge(theirs, uid="04BBBB02")
    return mine, theirs


def test_a_member_sees_their_scans_in_brussels_time(sign_in, two_members, front_door, reporter):
    mine, _theirs = two_members
    reporter("door-main").scan("04AAAA01", granted=True, member=mine.id, at=SCANNED)

    page = sign_in(mine).get(HISTORY)

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Front door" in text
    assert "2:05:09" in text  # en: "Nov 24, 2026, 2:05:09 PM"
    assert "granted" in text


def test_a_denied_scan_shows_why(sign_in, two_members, front_door, reporter):
    mine, _theirs = two_members
    reporter("door-main").scan(
        "04AAAA01", granted=False, member=mine.id, reason="outside_hours", at=SCANNED
    )

    text = sign_in(mine).get(HISTORY).get_data(as_text=True)

    assert "denied" in text
    assert "outside opening hours" in text


def test_sessions_show_the_machine_and_the_duration(sign_in, two_members, laser, reporter):
    mine, _theirs = two_members
    pi = reporter("laser-1")
    sid = str(uuid.uuid4())
    pi.send(pi.events.start(sid, mine.id, "04AAAA01", at=SCANNED))
    pi.send(pi.events.end(sid, 95 * 60, at=SCANNED + dt.timedelta(minutes=95)))

    text = sign_in(mine).get(HISTORY).get_data(as_text=True)

    assert "Laser cutter" in text
    assert "1 h 35 min" in text
    assert "badged out" in text


@pytest.mark.parametrize("role", ["member", "tenant_admin", "manager"])
def test_nobody_sees_another_members_events_there(
    sign_in, make_member, two_members, front_door, laser, reporter, role
):
    _mine, theirs = two_members
    reader = make_member(role=role, name="Reader Person", tenant=theirs.tenant)
    reporter("door-main").scan("04BBBB02", granted=True, member=theirs.id, at=SCANNED)
    pi = reporter("laser-1")
    pi.send(pi.events.start(str(uuid.uuid4()), theirs.id, "04BBBB02", at=SCANNED))

    text = sign_in(reader).get(HISTORY).get_data(as_text=True)

    assert "Front door" not in text
    assert "Laser cutter" not in text
    assert "No scans yet." in text
    assert "No machine sessions yet." in text


def test_the_history_is_paginated_newest_first(sign_in, two_members, front_door, reporter):
    mine, _theirs = two_members
    door = reporter("door-main")
    for n in range(27):
        door.scan("04AAAA01", granted=True, member=mine.id, at=SCANNED + dt.timedelta(hours=n))
    client = sign_in(mine)

    first = client.get(HISTORY).get_data(as_text=True)
    second = client.get(HISTORY + "?page=2").get_data(as_text=True)

    assert "Page 1 of 2" in first
    assert "Nov 25, 2026, 4:05:09" in first  # the newest: 26 hours later, 16:05 in Brussels
    assert "Nov 24, 2026, 2:05:09" not in first
    assert "Nov 24, 2026, 2:05:09" in second
    assert second.count("granted") == 2


def test_strangers_are_sent_to_the_login_page(client):
    response = client.get(HISTORY)

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_profile_page_links_to_the_history(sign_in, make_member):
    text = sign_in(make_member()).get("/profile/").get_data(as_text=True)

    assert 'href="/profile/history"' in text


def test_the_member_start_page_links_to_the_history(sign_in, make_member):
    text = sign_in(make_member()).get("/").get_data(as_text=True)

    assert 'href="/profile/history"' in text
