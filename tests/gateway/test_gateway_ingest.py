"""Event ingest: stored once per (device, id), quarantined with a reason, acked after commit."""

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from app.models import AccessEvent, QuarantinedEvent
from app.services.device_events import store
from tests.gateway.helpers import DeviceEvents, acked_ids, acks_for, event_id, inbound

pytestmark = pytest.mark.db


def count(db_session, model, *where):
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def door(make_device):
    return make_device("door")


def test_an_event_is_stored_and_acked(ingest, link, db_session, door):
    payload = DeviceEvents(door.id).decision("04AA0001", granted=False)

    ingest.process([inbound(door.id, payload)])

    row = db_session.scalar(select(AccessEvent).where(AccessEvent.device_id == door.id))
    assert row.event_id == event_id(payload)
    assert (row.type, row.granted, row.reason, row.mode) == (
        "access.decision",
        False,
        "unknown_badge",
        "online",
    )
    assert acked_ids(link, door.id) == [row.event_id]


def test_a_duplicate_is_acked_again_but_stored_once(ingest, link, db_session, door):
    payload = DeviceEvents(door.id).decision("04AA0001", granted=False)

    ingest.process([inbound(door.id, payload), inbound(door.id, payload)])
    ingest.process([inbound(door.id, payload)])

    assert count(db_session, AccessEvent, AccessEvent.device_id == door.id) == 1
    assert acked_ids(link, door.id) == [event_id(payload)] * 2  # once per batch
    assert ingest._metrics.events_duplicate.total() == 2


def test_the_same_event_id_from_two_devices_is_two_events(ingest, db_session, make_device):
    first, second = make_device("door"), make_device("door")
    payload = DeviceEvents(first.id).decision("04AA0001", granted=False)
    copy = payload.replace(first.id.encode(), second.id.encode())

    ingest.process([inbound(first.id, payload), inbound(second.id, copy)])

    assert count(db_session, AccessEvent, AccessEvent.event_id == event_id(payload)) == 2


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda e: e | {"seq": -1}, "invalid"),
        (lambda e: e | {"v": 9}, "unsupported_version"),
        (lambda e: e | {"dev": "someone-else"}, "foreign_dev"),
        (lambda e: e | {"type": "door.exploded"}, "invalid"),
    ],
)
def test_an_invalid_event_is_quarantined_and_acked_as_rejected(
    ingest, link, db_session, door, change, reason
):
    good = json.loads(DeviceEvents(door.id).decision("04AA0001", granted=False))
    payload = json.dumps(change(good)).encode()

    ingest.process([inbound(door.id, payload)])
    ingest.process([inbound(door.id, payload)])  # resent: quarantined once, rejected again

    quarantined = db_session.scalars(
        select(QuarantinedEvent).where(QuarantinedEvent.device_id == door.id)
    ).all()
    assert [(q.event_id, q.reason) for q in quarantined] == [(good["id"], reason)]
    assert quarantined[0].payload == payload.decode()
    assert count(db_session, AccessEvent, AccessEvent.device_id == door.id) == 0
    rejected = [r for ack in acks_for(link, door.id) for r in ack["rejected"]]
    assert rejected == [{"id": good["id"], "reason": reason}] * 2


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b'{"id": "not-a-uuid"}',
        b"[1,2,3]",
        b"\xff\xfe",
        b'{"id":"' + b"a" * 3000 + b'"}',
    ],
)
def test_an_event_without_a_readable_id_is_dropped_counted_and_not_acked(
    ingest, link, metrics, db_session, door, payload
):
    ingest.process([inbound(door.id, payload)])

    assert link.sent == []
    assert count(db_session, QuarantinedEvent, QuarantinedEvent.device_id == door.id) == 0
    assert metrics.rejects.total() == 1


def test_one_failing_event_does_not_stop_the_others(ingest, link, monkeypatch, door):
    events = DeviceEvents(door.id)
    good, bad = (
        events.decision("04AA0001", granted=False),
        events.decision("04AA0002", granted=False),
    )
    real = store.ingest_event

    def ingest_event(payload, **kwargs):
        if payload == bad:
            raise RuntimeError("a bug")
        return real(payload, **kwargs)

    monkeypatch.setattr("app.gateway.ingest.ingest_event", ingest_event)
    ingest.process([inbound(door.id, bad), inbound(door.id, good)])

    assert acked_ids(link, door.id) == [event_id(good)]  # the bad one will be resent
    assert ingest._metrics.handler_errors.total() == 1


def test_nothing_is_acked_when_the_commit_fails(ingest, link, db_session, monkeypatch, door):
    payload = DeviceEvents(door.id).decision("04AA0001", granted=False)

    def fail() -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(db_session, "commit", fail)
    ingest.process([inbound(door.id, payload)])

    assert link.sent == []
    assert ingest._metrics.batches.value(outcome="failed") == 1


def test_acks_are_published_after_the_commit(ingest, link, db_session, monkeypatch, door):
    payload = DeviceEvents(door.id).decision("04AA0001", granted=False)
    order: list[str] = []
    commit = db_session.commit
    monkeypatch.setattr(db_session, "commit", lambda: (order.append("commit"), commit())[1])
    publish = link.publish
    monkeypatch.setattr(link, "publish", lambda *a, **k: (order.append("ack"), publish(*a, **k))[1])

    ingest.process([inbound(door.id, payload)])

    assert order == ["commit", "ack"]


def test_a_decision_is_stored_with_its_member_tenant_and_resource(
    ingest, db_session, make_device, make_member, make_badge, make_resource
):
    room = make_resource(slug="room-i")
    door = make_device("door", resource=room)
    member = make_member()
    badge = make_badge(member, uid="04BB000001")
    payload = DeviceEvents(door.id).decision(badge.uid, member=None)

    ingest.process([inbound(door.id, payload)])

    row = db_session.scalar(select(AccessEvent).where(AccessEvent.device_id == door.id))
    assert (row.member_id, row.tenant_id, row.resource_id) == (member.id, member.tenant_id, room.id)
    assert row.badge_uid == badge.uid


def test_a_member_id_that_does_not_exist_is_not_stored(ingest, db_session, door):
    payload = DeviceEvents(door.id).decision("04CC000001", member=987654)

    ingest.process([inbound(door.id, payload)])

    row = db_session.scalar(select(AccessEvent).where(AccessEvent.device_id == door.id))
    assert row.member_id is None


def test_device_time_is_trusted_only_from_a_synchronised_clock(ingest, db_session, door):
    long_ago = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
    received = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)
    synced = DeviceEvents(door.id).decision("04AA0001", granted=False, at=long_ago)
    unsynced = DeviceEvents(door.id, clock="unsync").decision(
        "04AA0001", granted=False, at=long_ago
    )
    ahead = DeviceEvents(door.id).decision(
        "04AA0001", granted=False, at=received + dt.timedelta(hours=2)
    )

    ingest.process([inbound(door.id, p, at=received) for p in (synced, unsynced, ahead)])

    times = {
        r.event_id: (r.device_time, r.clock_synced)
        for r in db_session.scalars(select(AccessEvent).where(AccessEvent.device_id == door.id))
    }
    assert times[event_id(synced)] == (long_ago, True)
    assert times[event_id(unsynced)] == (received, False)
    assert times[event_id(ahead)] == (received, True)


def test_events_mark_their_device_as_seen(ingest, db_session, door):
    ingest.process([inbound(door.id, DeviceEvents(door.id).decision("04AA0001", granted=False))])

    db_session.expire_all()
    assert door.last_seen_at is not None


@pytest.fixture
def booked_room(db_session, make_device, make_member, make_badge, make_resource):
    from app.models import Booking, BookingStatus

    room = make_resource(slug="room-c", checkin_required=True, checkin_window_minutes=15)
    door = make_device("door", resource=room)
    member = make_member()
    badge = make_badge(member, uid="04CC000009")
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=5)
    booking = Booking(
        resource=room,
        tenant=member.tenant,
        booked_by=member,
        booked_for=member,
        start=start,
        end=start + dt.timedelta(hours=1),
        status=BookingStatus.CONFIRMED,
    )
    db_session.add(booking)
    db_session.commit()
    return door, badge, booking


@pytest.mark.parametrize("granted", [True, False])
def test_a_granted_badge_in_checks_the_booking_in(ingest, db_session, booked_room, granted):
    door, badge, booking = booked_room
    at = dt.datetime.now(dt.UTC).replace(microsecond=0)

    ingest.process(
        [inbound(door.id, DeviceEvents(door.id).decision(badge.uid, granted=granted, at=at))]
    )

    db_session.expire_all()
    assert booking.checked_in_at == (at if granted else None)
