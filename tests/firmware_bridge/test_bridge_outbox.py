"""The outbox: written before sent, deleted only when acked, dead letters, resends, caps."""

import json

import pytest

from bridge_protocol import topics
from firmware_bridge.daemon import BridgeOptions
from firmware_bridge.outbox_table import Retention
from firmware_bridge.store import Store
from tests.firmware_bridge.support import UID, UNKNOWN_UID


def ack(h, ids=(), rejected=()):
    payload = {"v": 1, "ids": list(ids), "rejected": [{"id": i, "reason": r} for i, r in rejected]}
    h.bridge.deliver(topics.event_ack(h.dev), json.dumps(payload).encode())


def sent_ids(h):
    return [e["id"] for e in h.published_events()]


def test_every_event_is_on_disk_before_it_is_published(make_bridge):
    h = make_bridge("door")
    seen_in_store = []

    def check(topic, payload):
        if topic == topics.events(h.dev):
            seen_in_store.append(json.loads(payload)["id"] in h.bridge.store.outbox.ids())

    h.link.on_publish = check
    h.bridge.door.on_badge(UID)
    h.bridge.door.unlock_remote(3)
    assert seen_in_store
    assert all(seen_in_store)


def test_events_wait_while_offline_and_go_out_oldest_first(make_bridge):
    h = make_bridge("door", online=False)
    for _ in range(3):
        h.bridge.door.on_badge(UID)
    assert h.published_events() == []
    stored = h.bridge.store.outbox.ids()

    h.link.connected = True
    h.bridge.link_up()
    assert h.published_events() == []  # connected, but the server is not online yet
    h.server_status("online")

    assert sent_ids(h) == stored
    seqs = [e["seq"] for e in h.published_events()]
    assert seqs == sorted(seqs)


def test_the_sequence_restarts_with_each_boot(make_bridge, tmp_path):
    path = tmp_path / "door.sqlite3"
    first = make_bridge("door", online=False, store_path=path)
    first.bridge.door.on_badge(UID)
    first_events = first.events()
    assert [e["seq"] for e in first_events] == list(range(len(first_events)))
    first.bridge.stop()
    second = make_bridge("door", online=False, acl=False, store_path=path)
    second.bridge.door.on_badge(UID)
    newest = second.events()[-1]
    assert newest["boot"] != first_events[0]["boot"]
    assert newest["seq"] == 0
    assert len(second.events()) == len(first_events) + 1  # nothing unacked was lost


def test_an_ack_deletes_exactly_the_events_it_names(make_bridge):
    h = make_bridge("door")
    h.bridge.door.on_badge(UID)
    ids = h.bridge.store.outbox.ids()
    ack(h, ids[:1])
    assert h.bridge.store.outbox.ids() == ids[1:]


def test_duplicate_and_out_of_order_acks_are_harmless(make_bridge):
    h = make_bridge("door")
    for _ in range(3):
        h.bridge.door.on_badge(UID)
    ids = h.bridge.store.outbox.ids()
    ack(h, [ids[2]])
    ack(h, [ids[2], ids[0]])
    ack(h, [ids[0], "6f1d2c3b-0000-4000-8000-000000000000"])
    assert h.bridge.store.outbox.ids() == [i for i in ids if i not in (ids[0], ids[2])]
    assert h.bridge.router.count("event_ack", "ok") == 3


def test_a_rejected_event_becomes_a_dead_letter_and_is_never_resent(make_bridge):
    h = make_bridge("door")
    h.bridge.door.on_badge(UID)
    victim = h.bridge.store.outbox.ids()[-1]
    ack(h, rejected=[(victim, "invalid")])

    assert victim not in h.bridge.store.outbox.ids()
    assert h.bridge.store.outbox.dead_letters() == [(victim, "invalid")]
    assert h.bridge.store.outbox.counts().dead == 1
    before = sent_ids(h).count(victim)
    h.advance(120)
    h.server_status("offline")
    h.server_status("online")
    assert sent_ids(h).count(victim) == before
    status = h.link.on(topics.status(h.dev))[-1]
    assert status["dead"] == 1


def test_a_rejection_of_an_event_already_acked_changes_nothing(make_bridge):
    h = make_bridge("door")
    h.bridge.door.on_badge(UID)
    event = h.bridge.store.outbox.ids()[-1]
    ack(h, [event])
    ack(h, rejected=[(event, "invalid")])
    assert h.bridge.store.outbox.dead_letters() == []


def test_unacked_events_are_resent_after_resend_s(make_bridge):
    h = make_bridge("door", policy={"resend_s": 30})
    h.bridge.door.on_badge(UID)
    event = h.bridge.store.outbox.ids()[-1]
    assert sent_ids(h).count(event) == 1
    h.advance(25)
    assert sent_ids(h).count(event) == 1
    h.advance(10)
    assert sent_ids(h).count(event) == 2
    ack(h, [event])
    h.advance(120)
    assert sent_ids(h).count(event) == 2


def test_everything_unacked_is_resent_when_the_server_comes_back(make_bridge):
    h = make_bridge("door")
    h.bridge.door.on_badge(UID)
    pending = h.bridge.store.outbox.ids()
    h.server_status("offline")
    h.server_status("online")
    for event in pending:
        assert sent_ids(h).count(event) == 2


def test_a_resync_command_resends_and_resubscribes(make_bridge):
    h = make_bridge("door")
    h.bridge.door.on_badge(UID)
    pending = h.bridge.store.outbox.ids()
    h.bridge.deliver(topics.command(h.dev), h.server.command({"name": "resync"}))
    assert all(sent_ids(h).count(event) == 2 for event in pending)
    assert h.link.resubscribes == 1


def test_a_backlog_trickles_out_in_a_window(make_bridge):
    h = make_bridge("door", online=False, options=BridgeOptions(send_window=3))
    for _ in range(4):
        h.bridge.door.on_badge(UID)
    backlog = h.bridge.store.outbox.ids()
    h.link.connected = True
    h.bridge.link_up()
    h.server_status("online")
    assert sent_ids(h) == backlog[:3]
    ack(h, backlog[:2])
    assert sent_ids(h) == backlog[:5]


def test_birth_status_reports_the_counts(make_bridge):
    h = make_bridge("door", online=False)
    h.bridge.door.on_badge(UID)
    h.link.connected = True
    h.bridge.link_up()
    birth = h.link.on(topics.status(h.dev))[-1]
    assert birth["state"] == "ready"
    assert birth["boot"] == h.bridge.boot
    assert birth["outbox"] == len(h.bridge.store.outbox.ids())
    assert birth["acl_ver"] == 1
    assert h.link.sent[-1].retain


# Caps ------------------------------------------------------------------------------


@pytest.fixture
def small_store(tmp_path):
    store = Store(tmp_path / "small.sqlite3", max_outbox=3)
    yield store
    store.close()


def append(store, retention, name):
    return store.outbox.append(
        event_id=name, event_type="t", retention=retention, build=lambda seq: name.encode()
    )


def test_a_full_outbox_drops_unknown_badge_denials_first(small_store):
    append(small_store, Retention.DROP_FIRST, "flood-1")
    append(small_store, Retention.DROPPABLE, "door")
    append(small_store, Retention.DROP_FIRST, "flood-2")
    append(small_store, Retention.KEEP, "grant")
    assert small_store.outbox.ids() == ["door", "flood-2", "grant"]
    append(small_store, Retention.DROPPABLE, "door-2")
    assert small_store.outbox.ids() == ["door", "grant", "door-2"]
    assert small_store.outbox.counts().dropped == 2


def test_a_new_flood_event_is_dropped_rather_than_anything_else(small_store):
    for name in ("door", "grant", "session"):
        append(small_store, Retention.KEEP if name != "door" else Retention.DROPPABLE, name)
    assert not append(small_store, Retention.DROP_FIRST, "flood").stored
    assert small_store.outbox.ids() == ["door", "grant", "session"]


def test_sessions_and_grants_are_never_dropped(small_store):
    for n in range(6):
        assert append(small_store, Retention.KEEP, f"session-{n}").stored
    assert len(small_store.outbox.ids()) == 6
    assert small_store.outbox.counts().dropped == 0
    assert not append(small_store, Retention.DROPPABLE, "door").stored


def test_an_unknown_badge_flood_never_pushes_out_a_grant(make_bridge):
    options = BridgeOptions(max_outbox=5, unknown_burst=1000)
    h = make_bridge("door", online=False, options=options)
    h.bridge.door.on_badge(UID)
    for _ in range(50):
        h.bridge.door.on_badge(UNKNOWN_UID)
    decisions = [e["data"] for e in h.events("access.decision")]
    assert [d for d in decisions if d["granted"]]
    assert len(h.bridge.store.outbox.ids()) == 5
    assert h.bridge.store.outbox.counts().dropped > 0
