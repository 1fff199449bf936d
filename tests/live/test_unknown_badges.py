"""Unknown badges scanned in the last 10 minutes are offered on the badge form."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.models import Badge
from app.services.unknown_badges import recent_unknown_badges

pytestmark = pytest.mark.db

FORM = "/badges/new"
NEW_CARD = "04C1D2E3F4"


@pytest.fixture
def front_door(make_device):  # type: ignore[no-untyped-def]
    return make_device("door-main", label="Front door")


def offered_links(page: str) -> list[str]:
    return re.findall(r'data-fill-uid="([0-9A-F]+)"', page)


def minutes_ago(minutes: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes)


def test_a_badge_scanned_minutes_ago_is_offered_with_device_and_time(
    sign_in, manager, front_door, reporter
):
    scanned = minutes_ago(3).replace(second=0, microsecond=0)
    reporter("door-main").scan(NEW_CARD, granted=False, at=scanned)

    page = sign_in(manager).get(FORM).get_data(as_text=True)

    assert offered_links(page) == [NEW_CARD]
    local = scanned.astimezone(ZoneInfo("Europe/Brussels")).strftime("%H:%M")
    assert f"Scanned at Front door at {local}" in page


def test_a_scan_older_than_ten_minutes_is_not_offered(sign_in, manager, front_door, reporter):
    reporter("door-main").scan(NEW_CARD, granted=False, at=minutes_ago(11))

    page = sign_in(manager).get(FORM).get_data(as_text=True)

    assert offered_links(page) == []


def test_badges_someone_holds_and_other_refusals_are_not_offered(
    sign_in, manager, make_member, make_badge, front_door, reporter
):
    holder = make_member()
    make_badge(holder, uid="04AAAA01")
    door = reporter("door-main")
    door.scan("04AAAA01", granted=False, member=holder.id, reason="outside_hours")
    door.scan("04AAAA01", granted=True, member=holder.id)

    page = sign_in(manager).get(FORM).get_data(as_text=True)

    assert offered_links(page) == []


def test_a_badge_registered_since_its_scan_is_no_longer_offered(
    sign_in, manager, make_member, make_badge, front_door, reporter
):
    reporter("door-main").scan(NEW_CARD, granted=False, at=minutes_ago(2))
    make_badge(make_member(), uid=NEW_CARD)

    page = sign_in(manager).get(FORM).get_data(as_text=True)

    assert offered_links(page) == []


def test_the_same_badge_scanned_twice_is_offered_once(db_session, front_door, reporter):
    door = reporter("door-main")
    door.scan(NEW_CARD, granted=False, at=minutes_ago(5))
    door.scan(NEW_CARD, granted=False, at=minutes_ago(1))
    door.scan("04BEEF02", granted=False, at=minutes_ago(3))

    offered = recent_unknown_badges(now=dt.datetime.now(dt.UTC))

    assert [s.uid for s in offered] == [NEW_CARD, "04BEEF02"]


def test_a_tenant_admin_sees_it_too_with_only_the_device_and_time(
    sign_in, make_member, front_door, reporter
):
    admin = make_member(role="tenant_admin")
    reporter("door-main").scan(NEW_CARD, granted=False, at=minutes_ago(1))

    page = sign_in(admin).get(FORM).get_data(as_text=True)

    assert offered_links(page) == [NEW_CARD]
    assert "Scanned at Front door at" in page


def test_members_do_not_get_the_form(sign_in, make_member, front_door, reporter):
    reporter("door-main").scan(NEW_CARD, granted=False, at=minutes_ago(1))

    response = sign_in(make_member()).get(FORM)

    assert response.status_code == 403
    assert NEW_CARD not in response.get_data(as_text=True)


def test_picking_a_scan_without_javascript_fills_the_number(sign_in, manager, front_door, reporter):
    reporter("door-main").scan(NEW_CARD, granted=False, at=minutes_ago(1))
    client = sign_in(manager)
    link = re.search(
        r'href="(/badges/new\?scan=\d+[^"]*)"', client.get(FORM).get_data(as_text=True)
    )
    assert link

    page = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)

    assert re.search(rf'<input[^>]*id="uid"[^>]*value="{NEW_CARD}"', page)


def test_a_picked_scan_that_aged_out_fills_nothing(
    sign_in, manager, front_door, reporter, db_session
):
    reporter("door-main").scan(NEW_CARD, granted=False, at=minutes_ago(12))
    event_id = db_session.scalar(sa.text("SELECT max(id) FROM access_event"))

    page = sign_in(manager).get(f"{FORM}?scan={event_id}").get_data(as_text=True)

    assert NEW_CARD not in page


def test_the_offered_badge_can_be_assigned(
    sign_in, manager, make_member, front_door, reporter, db_session
):
    member = make_member()
    reporter("door-main").scan(NEW_CARD, granted=False, at=minutes_ago(1))
    client = sign_in(manager)

    response = client.post(
        FORM, data={"member_id": member.id, "uid": NEW_CARD, "reader_format": "hex"}
    )

    assert response.status_code == 302
    assert db_session.scalar(sa.select(Badge.member_id).where(Badge.uid == NEW_CARD)) == member.id
    assert offered_links(client.get(FORM).get_data(as_text=True)) == []


def test_a_revoked_badge_of_another_company_is_not_offered(
    sign_in, make_member, make_badge, front_door, reporter, now
):
    other = make_member(role="member")
    badge = make_badge(other, uid=NEW_CARD)
    badge.revoke(now)
    admin = make_member(role="tenant_admin")
    # A device deciding from its allow-list reports a revoked badge as unknown.
    reporter("door-main").scan(NEW_CARD, granted=False, at=minutes_ago(1))

    page = sign_in(admin).get(FORM).get_data(as_text=True)

    assert offered_links(page) == []
    assert NEW_CARD not in page
