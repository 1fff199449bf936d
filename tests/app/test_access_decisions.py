"""Access decisions and allow-lists, from the same snapshot and the same rules."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from app.models import (
    Booking,
    BookingStatus,
    Device,
    DeviceKind,
    Qualification,
    ResourceKind,
    ResourceStatus,
    TenantStatus,
)
from app.services.access.allowlist import build_allow_list
from app.services.access.decide import decide
from app.services.access.snapshot import load_snapshot
from app.services.site import get_site_settings
from bridge_protocol.acl import decide_offline
from bridge_protocol.badge_keys import badge_hmac, derive_device_key
from bridge_protocol.wire import to_ms

pytestmark = pytest.mark.db
BRUSSELS = ZoneInfo("Europe/Brussels")
WEDNESDAY_10 = dt.datetime(2027, 3, 3, 10, 0, tzinfo=BRUSSELS).astimezone(dt.UTC)
SITE_KEY = b"k" * 32


@pytest.fixture
def world(db_session, make_member, make_resource, make_badge):
    get_site_settings()  # default building hours: weekdays 07:00-22:00
    fablab = make_resource(slug="fablab")
    laser = make_resource(
        slug="laser",
        kind=ResourceKind.MACHINE,
        parent=fablab,
        training_required=True,
        booking_required_for_use=True,
    )
    printer = make_resource(
        slug="printer", kind=ResourceKind.MACHINE, parent=fablab, training_required=True
    )
    room = make_resource(slug="room")
    member = make_member()
    colleague = make_member(tenant=member.tenant)
    manager = make_member(role="manager")
    badges = {
        "member": make_badge(member, uid="04AA000001"),
        "colleague": make_badge(colleague, uid="04AA000002"),
        "manager": make_badge(manager, uid="04AA000003"),
        "revoked": make_badge(member, uid="04AA000004", active=False),
    }
    for device_id, kind, resource in (
        ("front-door", DeviceKind.DOOR, None),
        ("room-door", DeviceKind.DOOR, room),
        ("laser-pi", DeviceKind.MACHINE, laser),
        ("printer-pi", DeviceKind.MACHINE, printer),
    ):
        db_session.add(Device(id=device_id, kind=kind, resource=resource))
    db_session.add(Qualification(member=member, resource=laser))
    db_session.add(Qualification(member=member, resource=printer))
    db_session.commit()
    return {
        "member": member,
        "colleague": colleague,
        "manager": manager,
        "badges": badges,
        "laser": laser,
        "printer": printer,
        "room": room,
        "fablab": fablab,
    }


def book(db_session, resource, member, start, hours=2, tenant="member's"):
    booking = Booking(
        resource=resource,
        tenant=member.tenant,
        booked_by=member,
        booked_for=member,
        start=start,
        end=start + dt.timedelta(hours=hours),
        status=BookingStatus.CONFIRMED,
    )
    db_session.add(booking)
    db_session.commit()
    return booking


def ask(device, uid, now=WEDNESDAY_10):
    snapshot = load_snapshot(now=now, zone=BRUSSELS)
    return decide(snapshot, device_id=device, badge_uid=uid, now=now)


def test_front_door_grants_members_in_building_hours_and_managers_always(world):
    assert ask("front-door", "04AA000001").reason == "ok"
    night = WEDNESDAY_10 + dt.timedelta(hours=13)  # 23:00
    assert ask("front-door", "04AA000001", night).reason == "outside_hours"
    staff = ask("front-door", "04AA000003", night)
    assert staff.granted
    assert staff.staff


@pytest.mark.parametrize(
    ("uid", "reason"),
    [("04FFFFFFFF", "unknown_badge"), ("04AA000004", "badge_inactive")],
)
def test_unknown_and_revoked_badges_are_denied(world, uid, reason):
    assert ask("front-door", uid).reason == reason


def test_inactive_member_tenant_and_ended_contract_are_denied(world, db_session):
    world["colleague"].active = False
    db_session.commit()
    assert ask("front-door", "04AA000002").reason == "member_inactive"
    world["member"].tenant.contract_end = dt.date(2027, 3, 2)
    db_session.commit()
    assert ask("front-door", "04AA000001").reason == "contract_ended"
    world["member"].tenant.status = TenantStatus.INACTIVE
    db_session.commit()
    assert ask("front-door", "04AA000001").reason == "tenant_inactive"


def test_laser_needs_training_and_a_booking_and_limits_the_session(world, db_session):
    assert ask("laser-pi", "04AA000002").reason == "not_qualified"
    assert ask("laser-pi", "04AA000001").reason == "no_booking"
    book(db_session, world["laser"], world["member"], WEDNESDAY_10 - dt.timedelta(hours=1))
    granted = ask("laser-pi", "04AA000001")
    assert granted.granted
    # closing time (22:00) is 12 h away and nobody else booked it
    assert granted.max_s == 12 * 3600


def test_a_whole_fablab_booking_admits_its_machines(world, db_session):
    book(db_session, world["fablab"], world["member"], WEDNESDAY_10 - dt.timedelta(hours=1))
    assert ask("laser-pi", "04AA000001").granted


def test_someone_elses_next_booking_limits_the_session(world, db_session, make_member):
    other = make_member()
    db_session.add(Qualification(member=other, resource=world["printer"]))
    book(db_session, world["printer"], other, WEDNESDAY_10 + dt.timedelta(hours=3))
    decision = ask("printer-pi", "04AA000001")
    assert decision.granted
    assert decision.max_s == 3 * 3600
    assert (
        ask("printer-pi", "04AA000001", WEDNESDAY_10 + dt.timedelta(hours=4)).reason == "no_booking"
    )


def test_locked_out_and_maintenance(world, db_session):
    world["printer"].status = ResourceStatus.LOCKED_OUT
    db_session.commit()
    assert ask("printer-pi", "04AA000001").reason == "locked_out"
    assert ask("printer-pi", "04AA000003").granted  # managers pass a lockout
    world["printer"].status = ResourceStatus.MAINTENANCE
    db_session.commit()
    assert ask("printer-pi", "04AA000001").reason == "resource_unavailable"


def test_room_door_opens_around_a_booking_of_the_tenant(world, db_session):
    book(db_session, world["room"], world["member"], WEDNESDAY_10 + dt.timedelta(minutes=5))
    assert ask("room-door", "04AA000002").granted  # a colleague: the company booked it
    assert (
        ask("room-door", "04AA000002", WEDNESDAY_10 - dt.timedelta(minutes=10)).reason
        == "no_booking"
    )


def test_allow_list_matches_the_online_decisions(world, db_session, make_member):
    book(db_session, world["laser"], world["member"], WEDNESDAY_10 + dt.timedelta(hours=1))
    book(db_session, world["printer"], make_member(), WEDNESDAY_10 + dt.timedelta(hours=1))
    book(db_session, world["room"], world["colleague"], WEDNESDAY_10 + dt.timedelta(hours=25))
    snapshot = load_snapshot(now=WEDNESDAY_10, zone=BRUSSELS)
    for device in ("front-door", "room-door", "laser-pi", "printer-pi"):
        allow_list = build_allow_list(
            snapshot, device_id=device, site_badge_key=SITE_KEY, ver=1, now=WEDNESDAY_10
        )
        key = derive_device_key(SITE_KEY, device)
        for hours in (0, 1.5, 13, 24 + 1.5, 72):
            now = WEDNESDAY_10 + dt.timedelta(hours=hours)
            later = load_snapshot(now=now, zone=BRUSSELS)
            for uid in ("04AA000001", "04AA000002", "04AA000003", "04AA000004", "04FFFFFFFF"):
                online = decide(later, device_id=device, badge_uid=uid, now=now)
                offline = decide_offline(
                    allow_list,
                    badge_hmac(key, uid),
                    now_ms=to_ms(now),
                    device_policy=allow_list.stale_policy,
                )
                assert offline.granted == online.granted, (device, hours, uid, online, offline)


def test_allow_list_carries_no_badge_numbers(world):
    snapshot = load_snapshot(now=WEDNESDAY_10, zone=BRUSSELS)
    allow_list = build_allow_list(
        snapshot, device_id="front-door", site_badge_key=SITE_KEY, ver=3, now=WEDNESDAY_10
    )
    text = allow_list.model_dump_json()
    assert "04AA000001" not in text
    assert allow_list.ver == 3
    assert allow_list.exp - allow_list.iat == 7 * 86_400_000
    assert {e.member for e in allow_list.entries} == {
        world["member"].id,
        world["colleague"].id,
        world["manager"].id,
    }
