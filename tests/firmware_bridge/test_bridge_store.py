"""The local store: pragmas, nonces, the allow-list slot, damage recovery."""

import pytest

from firmware_bridge.outbox_table import Retention
from firmware_bridge.store import NonceTable, Store, StoredAllowList


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "bridge.sqlite3")
    yield store
    store.close()


def test_the_store_runs_in_wal_mode_with_full_sync(store):
    assert store.db.query("PRAGMA journal_mode")[0][0] == "wal"
    assert store.db.query("PRAGMA synchronous")[0][0] == 2  # FULL


def test_a_nonce_is_accepted_once(store):
    assert store.nonces.remember("n" * 22, exp_ms=2_000, now_ms=1_000)
    assert not store.nonces.remember("n" * 22, exp_ms=2_000, now_ms=1_500)


def test_nonces_expire_with_their_command(store):
    store.nonces.remember("a" * 22, exp_ms=2_000, now_ms=1_000)
    store.nonces.remember("b" * 22, exp_ms=9_000, now_ms=1_000)
    store.nonces.remember("c" * 22, exp_ms=9_000, now_ms=2_000)
    assert store.nonces.count() == 2


def test_the_nonce_table_is_bounded(store):
    table = NonceTable(store.db, limit=5)
    for n in range(8):
        table.remember(f"{n:022d}", exp_ms=10_000 + n, now_ms=0)
    assert table.count() == 5
    assert not table.remember(f"{7:022d}", exp_ms=10_007, now_ms=0)  # the newest are kept


def test_the_allow_list_slot_holds_one_list(store):
    first = StoredAllowList(1, b"one", 10, 20, "boot", True)
    second = StoredAllowList(2, b"two", 30, 40, "boot", False)
    store.allow_list.save(first)
    store.allow_list.save(second)
    assert store.allow_list.load() == second


def test_a_damaged_file_is_moved_aside_and_a_new_one_started(tmp_path):
    path = tmp_path / "bridge.sqlite3"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    store = Store(path)
    try:
        assert store.integrity_ok()
        assert store.outbox.ids() == []
    finally:
        store.close()
    assert list(tmp_path.glob("bridge.sqlite3.corrupt-*"))


def test_start_boot_makes_every_event_due_again(store):
    store.start_boot("0a1b2c3d")
    store.outbox.append(
        event_id="e1", event_type="t", retention=Retention.DROPPABLE, build=lambda seq: b"x"
    )
    store.outbox.mark_sent(["e1"], at=5_000)
    assert store.outbox.due(resend_before=1_000, limit=10) == []
    store.start_boot("1b2c3d4e")
    assert [row.id for row in store.outbox.due(resend_before=1_000, limit=10)] == ["e1"]
