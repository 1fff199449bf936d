"""Presence from up/status: birth and Last Will, a late Will of an old boot ignored."""

import json

import pytest

from bridge_protocol.topics import TopicKind
from bridge_protocol.wire import new_boot_id
from tests.gateway.helpers import DeviceEvents, inbound

pytestmark = pytest.mark.db


def status(dev, state, boot, **fields):
    payload = json.dumps({"v": 1, "state": state, "boot": boot, **fields}).encode()
    return inbound(dev, payload, TopicKind.STATUS)


@pytest.fixture
def door(make_device):
    return make_device("door")


def test_a_birth_records_the_device_as_online_with_its_counts(ingest, db_session, door):
    boot = new_boot_id()
    birth = status(
        door.id, "ready", boot, outbox=3, dead=1, acl_ver=7, versions={"bridge": "0.1.0"}
    )

    ingest.process([birth])

    db_session.expire_all()
    assert (door.online, door.boot, door.last_seen_at) == (True, boot, birth.received_at)
    assert (door.outbox_count, door.dead_letter_count, door.acl_version_applied) == (3, 1, 7)
    assert door.versions == {"bridge": "0.1.0"}


def test_the_will_of_the_current_boot_takes_the_device_offline(ingest, db_session, door):
    boot = new_boot_id()
    ingest.process([status(door.id, "ready", boot)])

    ingest.process([status(door.id, "lost", boot)])

    db_session.expire_all()
    assert door.online is False


def test_a_late_will_from_an_old_boot_is_ignored_and_counted(ingest, metrics, db_session, door):
    old, new = new_boot_id(), new_boot_id()
    ingest.process([status(door.id, "ready", old)])
    ingest.process([status(door.id, "ready", new)])

    ingest.process([status(door.id, "lost", old)])

    db_session.expire_all()
    assert (door.online, door.boot) == (True, new)
    assert metrics.rejects.value(topic="status", reason="stale_will") == 1


@pytest.mark.parametrize(
    "payload",
    [
        b"{",
        b'{"v":1,"state":"sleeping","boot":"0a1b2c3d"}',
        b'{"v":1,"state":"ready","boot":"XYZ"}',
        b'{"v":2,"state":"ready","boot":"0a1b2c3d"}',
        b'{"v":1,"state":"ready","boot":"0a1b2c3d","versions":{"a":"' + b"x" * 50 + b'"}}',
    ],
)
def test_a_bad_status_changes_nothing_and_is_counted(ingest, metrics, db_session, door, payload):
    ingest.process([inbound(door.id, payload, TopicKind.STATUS)])

    db_session.expire_all()
    assert (door.online, door.boot) == (False, None)
    assert metrics.rejects.total() == 1


def test_a_status_of_an_unknown_device_is_counted(ingest, metrics, db_session):
    ingest.process([status("nobody-here", "ready", new_boot_id())])

    assert metrics.rejects.value(topic="status", reason="unknown_device") == 1


def test_acl_applied_events_raise_the_applied_version_only(ingest, db_session, door):
    events = DeviceEvents(door.id)
    applied = [events.event("acl.applied", {"ver": v, "entries": 2, "exp": 1}) for v in (5, 4)]

    ingest.process([inbound(door.id, p) for p in applied])

    db_session.expire_all()
    assert door.acl_version_applied == 5
