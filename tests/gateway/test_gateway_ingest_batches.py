"""Ingest in batches: the one-go path and its fall-back to one message at a time store the same."""

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.models import AccessEvent, QuarantinedEvent, ResourceKind, UsageSession
from app.services.device_events.store import EventBatch
from tests.gateway.helpers import DeviceEvents, acked_ids, acks_for, event_id, inbound

pytestmark = pytest.mark.db
T0 = dt.datetime(2026, 3, 4, 9, 0, tzinfo=dt.UTC)


def count(db_session, model, *where):
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def door(make_device):
    return make_device("door")


def mixed_batch(door, other):
    """New events of two doors, one repeated inside the batch, one refused, one unreadable."""
    events, others = DeviceEvents(door.id), DeviceEvents(other.id)
    first = events.decision("04AA0101", granted=False)
    refused = first.replace(door.id.encode(), b"door-elsewhere").replace(
        event_id(first).encode(), str(uuid.uuid4()).encode()
    )
    return [
        inbound(door.id, first),
        inbound(other.id, others.decision("04AA0102", granted=False)),
        inbound(door.id, first),  # the same event again, in the same batch
        inbound(door.id, refused),  # names another device: quarantined
        inbound(door.id, b'{"not": "an event"}'),  # no id: dropped, not acked
        inbound(door.id, events.decision("04AA0103", granted=False)),
    ]


def outcome(db_session, link, ingest, door, other):
    return {
        "stored": count(db_session, AccessEvent, AccessEvent.device_id.in_([door.id, other.id])),
        "quarantined": count(db_session, QuarantinedEvent, QuarantinedEvent.device_id == door.id),
        "acked": sorted(acked_ids(link, door.id)) + sorted(acked_ids(link, other.id)),
        "rejected": [r["reason"] for a in acks_for(link, door.id) for r in a["rejected"]],
        "duplicates": ingest._metrics.events_duplicate.total(),
        "errors": ingest._metrics.handler_errors.total(),
    }


def test_a_mixed_batch_is_stored_once_and_acked_after_one_commit(
    ingest, link, db_session, door, make_device
):
    other = make_device("door")
    batch = mixed_batch(door, other)
    first = event_id(batch[0].payload)

    ingest.process(batch)
    ingest.process([batch[0]])  # resent after a lost ack: acked again, not stored

    result = outcome(db_session, link, ingest, door, other)
    assert result["stored"] == 3
    assert result["quarantined"] == 1
    assert result["rejected"] == ["foreign_dev"]
    assert acked_ids(link, door.id).count(first) == 2  # once per batch
    assert len(set(result["acked"])) == 3
    assert result["duplicates"] == 2
    assert result["errors"] == 0
    assert ingest._metrics.batches.value(outcome="retried_singly") == 0


def test_a_batch_the_database_refuses_whole_is_stored_one_by_one_with_the_same_result(
    ingest, link, db_session, door, make_device, monkeypatch
):
    other = make_device("door")
    write = EventBatch.write

    def refuse_once(self):
        monkeypatch.setattr(EventBatch, "write", write)
        raise IntegrityError("INSERT", {}, Exception("a row the database refuses"))

    monkeypatch.setattr(EventBatch, "write", refuse_once)
    batch = mixed_batch(door, other)

    ingest.process(batch)

    result = outcome(db_session, link, ingest, door, other)
    assert ingest._metrics.batches.value(outcome="retried_singly") == 1
    assert result["stored"] == 3
    assert result["quarantined"] == 1
    assert result["rejected"] == ["foreign_dev"]
    stored_ids = [event_id(batch[i].payload) for i in (0, 5)] + [event_id(batch[1].payload)]
    assert result["acked"] == sorted(stored_ids[:2]) + stored_ids[2:]  # the twin acked once
    assert result["errors"] == 0


def test_a_session_whose_events_arrive_in_one_batch_backwards_is_one_session(
    ingest, db_session, make_device, make_resource, make_member
):
    laser = make_resource(slug="laser-b", kind=ResourceKind.MACHINE, training_required=True)
    machine = make_device("machine", resource=laser)
    member = make_member()
    events, sid = DeviceEvents(machine.id), str(uuid.uuid4())
    at = lambda minutes: T0 + dt.timedelta(minutes=minutes)  # noqa: E731

    ingest.process(
        [
            inbound(machine.id, events.end(sid, 900, busy_s=700, at=at(15))),
            inbound(machine.id, events.tick(sid, 600, busy_s=500, at=at(10))),
            inbound(machine.id, events.start(sid, member.id, at=T0)),
        ]
    )

    db_session.expire_all()
    rows = db_session.scalars(select(UsageSession).where(UsageSession.session_id == sid)).all()
    assert len(rows) == 1
    row = rows[0]
    assert (row.started_at, row.ended_at, row.member_id, row.resource_id) == (
        T0,
        at(15),
        member.id,
        laser.id,
    )
    assert (row.busy_s, row.stop_reason) == (700, "badge_out")
    assert count(db_session, AccessEvent, AccessEvent.device_id == machine.id) == 3
    assert ingest._metrics.batches.value(outcome="retried_singly") == 0


def test_last_seen_moves_at_most_once_a_second_per_device(ingest, db_session, door):
    from bridge_protocol.topics import TopicKind

    events = DeviceEvents(door.id)

    def batch_at(seconds: float) -> None:
        payload = events.decision("04AA0201", granted=False)
        at = T0 + dt.timedelta(seconds=seconds)
        ingest.process([inbound(door.id, payload, TopicKind.EVENT, at)])

    def last_seen() -> dt.datetime:
        db_session.expire_all()
        return door.last_seen_at

    batch_at(0)
    assert last_seen() == T0
    batch_at(0.5)  # the same device half a second later: its row is left alone
    assert last_seen() == T0
    batch_at(1.5)
    assert last_seen() == T0 + dt.timedelta(seconds=1.5)
    assert count(db_session, AccessEvent, AccessEvent.device_id == door.id) == 3
