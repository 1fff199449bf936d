"""Usage sessions from session.start / tick / end in any order; orphans; qualification renewal."""

import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from app.models import Qualification, ResourceKind, UsageSession
from app.services.device_events.sessions import close_silent_sessions
from bridge_protocol.topics import TopicKind
from tests.gateway.helpers import DeviceEvents, inbound

pytestmark = pytest.mark.db
T0 = dt.datetime(2026, 3, 4, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def laser(make_resource):
    return make_resource(slug="laser-s", kind=ResourceKind.MACHINE, training_required=True)


@pytest.fixture
def machine(make_device, laser):
    return make_device("machine", resource=laser)


@pytest.fixture
def member(make_member):
    return make_member()


def session_row(db_session, device, sid):
    db_session.expire_all()
    return db_session.scalar(
        select(UsageSession).where(
            UsageSession.device_id == device.id, UsageSession.session_id == sid
        )
    )


def status(dev, state, boot, **fields):
    import json

    return inbound(
        dev, json.dumps({"v": 1, "state": state, "boot": boot, **fields}).encode(), TopicKind.STATUS
    )


def later(minutes):
    return T0 + dt.timedelta(minutes=minutes)


def test_start_tick_end_in_order_make_one_session(ingest, db_session, machine, member, laser):
    events, sid = DeviceEvents(machine.id), str(uuid.uuid4())

    ingest.process([inbound(machine.id, events.start(sid, member.id, at=T0))])
    ingest.process([inbound(machine.id, events.tick(sid, 600, busy_s=500, at=later(10)))])
    ingest.process([inbound(machine.id, events.end(sid, 900, busy_s=700, at=later(15)))])

    row = session_row(db_session, machine, sid)
    assert (row.member_id, row.tenant_id, row.resource_id) == (
        member.id,
        member.tenant_id,
        laser.id,
    )
    assert (row.started_at, row.ended_at, row.last_tick_at) == (T0, later(15), later(10))
    assert (row.busy_s, row.idle_s, row.stop_reason, row.provisional_end) == (
        700,
        200,
        "badge_out",
        False,
    )


def test_an_end_before_its_start_makes_the_session_and_keeps_its_duration(
    ingest, db_session, machine, member
):
    events, sid = DeviceEvents(machine.id, clock="unsync"), str(uuid.uuid4())
    received = later(30)

    ingest.process([inbound(machine.id, events.end(sid, 600), at=received)])
    row = session_row(db_session, machine, sid)
    assert (row.started_at, row.ended_at, row.member_id) == (later(20), received, None)

    ingest.process([inbound(machine.id, events.start(sid, member.id), at=later(21))])
    row = session_row(db_session, machine, sid)
    assert (row.started_at, row.ended_at, row.member_id) == (later(21), later(31), member.id)


def test_a_tick_before_its_start_makes_an_open_session(ingest, db_session, machine, member):
    events, sid = DeviceEvents(machine.id), str(uuid.uuid4())

    ingest.process([inbound(machine.id, events.tick(sid, 300, at=later(5)))])
    row = session_row(db_session, machine, sid)
    assert (row.started_at, row.ended_at, row.last_tick_at) == (T0, None, later(5))

    ingest.process([inbound(machine.id, events.start(sid, member.id, at=T0))])
    assert session_row(db_session, machine, sid).member_id == member.id


def test_a_new_boot_closes_the_old_boots_open_session_until_the_device_ends_it(
    ingest, db_session, machine, member
):
    old, sid = DeviceEvents(machine.id), str(uuid.uuid4())
    ingest.process([status(machine.id, "ready", old.boot)])
    ingest.process([inbound(machine.id, old.start(sid, member.id, at=T0))])
    ingest.process([inbound(machine.id, old.tick(sid, 120, at=later(2)))])

    new = DeviceEvents(machine.id)
    ingest.process([status(machine.id, "ready", new.boot)])
    row = session_row(db_session, machine, sid)
    assert (row.ended_at, row.stop_reason, row.provisional_end) == (later(2), "orphaned", True)

    ingest.process([inbound(machine.id, new.end(sid, 300, reason="reboot_recovered"))])
    row = session_row(db_session, machine, sid)
    assert (row.ended_at, row.stop_reason, row.provisional_end) == (
        later(5),
        "reboot_recovered",
        False,
    )


def test_an_old_boots_session_that_arrives_after_a_new_boot_is_an_orphan(
    ingest, db_session, machine, member
):
    old, new, sid = DeviceEvents(machine.id), DeviceEvents(machine.id), str(uuid.uuid4())
    ingest.process([status(machine.id, "ready", new.boot)])

    ingest.process([inbound(machine.id, old.start(sid, member.id, at=T0))])

    row = session_row(db_session, machine, sid)
    assert (row.ended_at, row.stop_reason, row.provisional_end) == (T0, "orphaned", True)


def test_a_device_end_is_never_replaced_by_a_later_one(ingest, db_session, machine, member):
    events, sid = DeviceEvents(machine.id), str(uuid.uuid4())
    ingest.process([inbound(machine.id, events.start(sid, member.id, at=T0))])
    ingest.process([inbound(machine.id, events.end(sid, 60, at=later(1)))])

    ingest.process([inbound(machine.id, events.end(sid, 999, reason="max_duration"))])

    row = session_row(db_session, machine, sid)
    assert (row.ended_at, row.stop_reason) == (later(1), "badge_out")


def test_silent_sessions_close_only_while_their_device_is_online(
    db_session, ingest, make_device, laser, member
):
    online, offline = make_device("machine", resource=laser), make_device("machine", resource=laser)
    sids, boots = {}, {}
    for device in (online, offline):
        events, sids[device.id] = DeviceEvents(device.id), str(uuid.uuid4())
        boots[device.id] = events.boot
        ingest.process([status(device.id, "ready", events.boot)])
        ingest.process([inbound(device.id, events.start(sids[device.id], member.id), at=T0)])
    ingest.process([status(offline.id, "lost", boots[offline.id])])

    assert close_silent_sessions(now=T0 + dt.timedelta(hours=23)) == 0
    assert close_silent_sessions(now=T0 + dt.timedelta(hours=25)) == 1

    assert session_row(db_session, online, sids[online.id]).stop_reason == "orphaned"
    assert session_row(db_session, offline, sids[offline.id]).ended_at is None


def test_a_session_start_renews_the_qualification(ingest, db_session, machine, member, laser):
    laser.qualification_valid_days = 90
    qualification = Qualification(member=member, resource=laser, expires_at=later(60))
    db_session.add(qualification)
    db_session.commit()

    ingest.process(
        [inbound(machine.id, DeviceEvents(machine.id).start(str(uuid.uuid4()), member.id, at=T0))]
    )

    db_session.expire_all()
    assert qualification.last_used_at == T0
    assert qualification.expires_at == T0 + dt.timedelta(days=90)


def test_a_session_start_keeps_a_qualification_that_never_expires(
    ingest, db_session, machine, member, laser
):
    laser.qualification_valid_days = 90
    qualification = Qualification(member=member, resource=laser, expires_at=None)
    db_session.add(qualification)
    db_session.commit()

    ingest.process(
        [inbound(machine.id, DeviceEvents(machine.id).start(str(uuid.uuid4()), member.id, at=T0))]
    )

    db_session.expire_all()
    assert (qualification.last_used_at, qualification.expires_at) == (T0, None)
