"""Every change that alters what a device admits writes an ``acl`` DeviceOutbox row.

Each test starts from an empty outbox (`settled`), makes one change through the
service the web uses, and reads which allow-list refreshes it asked for:
``None`` for every device, a device id for one device.
"""

import datetime as dt

import pytest
from sqlalchemy import select, update

from app.models import (
    BookingStatus,
    Device,
    DeviceKind,
    DeviceOutbox,
    OutboxKind,
    ResourceKind,
)
from app.services import badges, members, qualifications, resources, site, tenants
from app.services.bookings import lifecycle
from tests.app.booking_pages import local

pytestmark = pytest.mark.db
NOW = local(2026, 12, 1, 9)
ALL = None


@pytest.fixture
def manager(make_member):
    return make_member(role="manager")


@pytest.fixture
def requested(db_session):
    """The acl refreshes asked for since the last call: {(device_id, reason), ...}."""

    def read() -> set[tuple[str | None, str]]:
        db_session.flush()
        rows = db_session.scalars(
            select(DeviceOutbox).where(
                DeviceOutbox.kind == OutboxKind.ACL, DeviceOutbox.done_at.is_(None)
            )
        ).all()
        found = {(row.device_id, row.reason) for row in rows}
        db_session.execute(update(DeviceOutbox).values(done_at=NOW))
        db_session.commit()
        return found

    read()
    return read


@pytest.fixture
def add_device(db_session):
    def add(resource=None, kind=DeviceKind.DOOR, **fields) -> Device:
        device = Device(
            id=f"dev-{resource.slug if resource else 'entrance'}-{kind}",
            kind=kind,
            resource=resource,
            versions={},
            **fields,
        )
        db_session.add(device)
        db_session.commit()
        return device

    return add


# -- people and badges: every device -------------------------------------------------------


def test_badge_assign_and_revoke(manager, make_member, requested):
    member = make_member()
    badge = badges.assign_badge(actor=manager, member=member, uid="04AB12CD", now=NOW)
    assert requested() == {(ALL, "badge.assign")}

    badges.revoke_badge(badge, actor=manager, now=NOW)
    assert requested() == {(ALL, "badge.revoke")}


def test_member_deactivation_and_role_change(manager, make_member, requested):
    member = make_member()
    members.update_member(member, actor=manager, role="tenant_admin", now=NOW)
    assert requested() == {(ALL, "member.update")}

    members.update_member(member, actor=manager, name="Another Name", now=NOW)
    assert requested() == set()

    members.update_member(member, actor=manager, active=False, now=NOW)
    assert requested() == {(ALL, "member.update")}

    members.update_member(member, actor=manager, active=True, now=NOW)
    assert requested() == {(ALL, "member.update")}

    members.deactivate_member(member, actor=manager, now=NOW)
    assert requested() == {(ALL, "member.deactivate")}


def test_tenant_activation_and_contract_dates(manager, make_tenant, requested):
    tenant = make_tenant()
    tenants.update_tenant(tenant, actor=manager, contract_end=dt.date(2027, 6, 30), now=NOW)
    assert requested() == {(ALL, "tenant.update")}

    tenants.update_tenant(tenant, actor=manager, name="Renamed Company", now=NOW)
    assert requested() == set()

    tenants.update_tenant(tenant, actor=manager, active=False, now=NOW)
    assert requested() == {(ALL, "tenant.update")}

    tenants.update_tenant(tenant, actor=manager, active=True, now=NOW)
    tenants.deactivate_tenant(tenant, actor=manager, now=NOW)
    assert requested() == {(ALL, "tenant.update")}  # one pending row covers both


def test_building_hours(manager, requested):
    hours = {day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    site.update_site_settings(actor=manager, name="Makers", building_hours=hours)
    assert requested() == {(ALL, "site.building_hours")}

    site.update_site_settings(actor=manager, name="Makers Incubator", building_hours=hours)
    assert requested() == set()


# -- resources: their own devices, and their children's -------------------------------------


@pytest.fixture
def laser(make_resource):
    fablab = make_resource(slug="fablab-o")
    return make_resource(slug="laser-o", kind=ResourceKind.MACHINE, parent=fablab)


def test_qualification_grant_and_revoke(manager, make_member, laser, add_device, requested):
    device = add_device(laser, DeviceKind.MACHINE)
    member = make_member()
    qualification = qualifications.grant_qualification(
        actor=manager, member=member, resource=laser, expires_at=None, now=NOW
    )
    assert requested() == {(device.id, "qualification.grant")}

    qualifications.revoke_qualification(qualification, actor=manager, now=NOW)
    assert requested() == {(device.id, "qualification.revoke")}


def test_a_resource_without_devices_asks_for_nothing(manager, make_member, laser, requested):
    qualifications.grant_qualification(
        actor=manager, member=make_member(), resource=laser, expires_at=None, now=NOW
    )
    assert requested() == set()


def test_resource_status_and_access_rules(manager, laser, add_device, requested):
    device = add_device(laser, DeviceKind.MACHINE)
    resources.update_resource(laser, actor=manager, values={"status": "maintenance"})
    assert requested() == {(device.id, "resource.update")}

    resources.update_resource(laser, actor=manager, values={"description": "A laser."})
    assert requested() == set()

    resources.deactivate_resource(laser, actor=manager, now=NOW)
    assert requested() == {(device.id, "resource.deactivate")}

    resources.reactivate_resource(laser, actor=manager)
    assert requested() == {(device.id, "resource.reactivate")}


def test_a_parent_resource_change_reaches_its_childrens_devices(
    manager, laser, add_device, requested
):
    device = add_device(laser, DeviceKind.MACHINE)

    resources.update_resource(laser.parent, actor=manager, values={"status": "locked_out"})

    assert requested() == {(device.id, "resource.update")}


# -- bookings of resources with devices -------------------------------------------------------


@pytest.fixture
def room(make_resource):
    return make_resource(slug="room-o", checkin_required=True, checkin_window_minutes=15)


def test_booking_create_move_cancel(make_member, room, add_device, book, facility, requested):
    door = add_device(room)
    member = make_member()
    [booking] = book(member, room, local(2026, 12, 2, 10), now=NOW).bookings
    assert requested() == {(door.id, "booking.create")}

    start = local(2026, 12, 2, 14)
    lifecycle.move_booking(
        booking,
        actor=member,
        start=start,
        end=start + dt.timedelta(hours=1),
        now=NOW,
        facility=facility,
    )
    assert requested() == {(door.id, "booking.move")}

    lifecycle.cancel_booking(booking, actor=member, now=NOW, facility=facility)
    assert requested() == {(door.id, "booking.cancel")}


def test_booking_approve_and_reject(
    manager, make_member, make_resource, add_device, book, facility, requested
):
    hall = make_resource(slug="hall-o", approval_required=True)
    door = add_device(hall)
    member = make_member()
    [first] = book(member, hall, local(2026, 12, 3, 10), now=NOW).bookings
    [second] = book(member, hall, local(2026, 12, 4, 10), now=NOW).bookings
    assert first.status == BookingStatus.PENDING
    requested()

    lifecycle.approve_booking(first, actor=manager, now=NOW, facility=facility)
    assert requested() == {(door.id, "booking.approve")}

    lifecycle.reject_booking(second, actor=manager, now=NOW, facility=facility)
    assert requested() == {(door.id, "booking.reject")}


def test_a_no_show(make_member, room, add_device, book, facility, requested):
    door = add_device(room)
    book(make_member(), room, local(2026, 12, 1, 10), now=NOW)
    requested()

    released = lifecycle.release_no_shows(now=local(2026, 12, 1, 10, 16), facility=facility)

    assert released == 1
    assert requested() == {(door.id, "booking.no_show")}


def test_a_booking_of_a_parent_reaches_the_childrens_devices(
    make_member, laser, add_device, book, requested
):
    device = add_device(laser, DeviceKind.MACHINE)

    book(make_member(), laser.parent, local(2026, 12, 2, 10), now=NOW)

    assert requested() == {(device.id, "booking.create")}


def test_a_booking_of_a_resource_without_devices_asks_for_nothing(
    make_member, make_resource, book, requested
):
    book(make_member(), make_resource(slug="quiet-room"), local(2026, 12, 2, 10), now=NOW)

    assert requested() == set()


# -- the daily republish ----------------------------------------------------------------------


def test_the_daily_job_asks_for_every_devices_list(app, requested):
    from app.jobs import JOBS

    [job] = [job for job in JOBS if job.name == "devices.republish_acl"]
    assert job.every == dt.timedelta(days=1)
    job.run(app, NOW)
    assert requested() == {(ALL, "daily republish")}


def test_the_orphan_sessions_job_is_scheduled():
    from app.jobs import JOBS

    assert {job.name for job in JOBS} >= {"gateway.orphan_sessions", "devices.republish_acl"}
