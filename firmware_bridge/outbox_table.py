"""The outbox and dead-letter tables: what the bridge must still deliver, what the server refused.

Rules (docs/protocol.md, "Event acks and the outbox"):

* an event is written here before it is published, and its write commits to
  disk before `append` returns;
* it leaves the outbox only when an ack names it (`ack`) or rejects it
  (`reject`, which moves it to ``dead_letter``: kept, counted, never resent);
* the outbox is capped at `max_rows`. When full, the oldest event of the most
  expendable class goes first: unknown-badge denials (`DROP_FIRST`), then
  other housekeeping events (`DROPPABLE`). Session events and granted decisions
  (`KEEP`) are never dropped: past the cap the outbox grows instead. A new
  unknown-badge denial arriving at a full outbox with no older one to replace
  is dropped itself. Every dropped event is counted (``dropped``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum

from firmware_bridge.db import Database, SqlAction, set_meta


class Retention(IntEnum):
    """How expendable an event is when the outbox is full."""

    DROP_FIRST = 0
    DROPPABLE = 1
    KEEP = 2


@dataclass(frozen=True)
class OutboxRow:
    id: str
    payload: bytes


@dataclass(frozen=True)
class OutboxCounts:
    pending: int
    dead: int
    dropped: int


@dataclass(frozen=True)
class Appended:
    seq: int
    stored: bool


class OutboxTable:
    def __init__(self, db: Database, *, max_rows: int = 20_000) -> None:
        if max_rows < 1:
            raise ValueError("max_rows must be at least 1")
        self._db = db
        self.max_rows = max_rows
        with db.lock:
            self._count = self._count_rows(db.conn)

    # Writing -------------------------------------------------------------------

    def append(
        self,
        *,
        event_id: str,
        event_type: str,
        retention: Retention,
        build: Callable[[int], bytes],
        also: SqlAction | None = None,
    ) -> Appended:
        """Write one event; `build(seq)` makes its payload. `also` runs in the same transaction."""
        # The lock spans the commit, so the cached count never disagrees with the table.
        with self._db.lock:
            count = self._count
            with self._db.transaction() as conn:
                stored, count = self._make_room(conn, retention, count)
                seq = _next_seq(conn) if stored else _current_seq(conn)
                if stored:
                    conn.execute(
                        "INSERT INTO outbox (id, type, klass, payload) VALUES (?, ?, ?, ?)",
                        (event_id, event_type, int(retention), build(seq)),
                    )
                    count += 1
                if also is not None:
                    also(conn)
            self._count = count
        return Appended(seq=seq, stored=stored)

    def _make_room(
        self, conn: sqlite3.Connection, retention: Retention, count: int
    ) -> tuple[bool, int]:
        """Evict one expendable event if the outbox is full; False: drop the new event instead."""
        if count < self.max_rows:
            return True, count
        classes = [Retention.DROP_FIRST]
        if retention >= Retention.DROPPABLE:
            classes.append(Retention.DROPPABLE)
        for klass in classes:
            row = conn.execute(
                "SELECT pos FROM outbox WHERE klass = ? ORDER BY pos LIMIT 1", (int(klass),)
            ).fetchone()
            if row is not None:
                conn.execute("DELETE FROM outbox WHERE pos = ?", (row[0],))
                _count_dropped(conn)
                return True, count - 1
        if retention is Retention.KEEP:
            return True, count
        _count_dropped(conn)
        return False, count

    # Sending -------------------------------------------------------------------

    def due(self, *, resend_before: int, limit: int) -> list[OutboxRow]:
        """Events unsent, or sent at or before `resend_before` (monotonic ms); oldest first."""
        rows = self._db.query(
            "SELECT id, payload FROM outbox WHERE sent_at IS NULL OR sent_at <= ? "
            "ORDER BY pos LIMIT ?",
            (resend_before, limit),
        )
        return [OutboxRow(str(row["id"]), bytes(row["payload"])) for row in rows]

    def in_flight(self, *, sent_after: int) -> int:
        rows = self._db.query("SELECT count(*) FROM outbox WHERE sent_at > ?", (sent_after,))
        return int(rows[0][0])

    def mark_sent(self, ids: Iterable[str], *, at: int) -> None:
        with self._db.transaction() as conn:
            conn.executemany("UPDATE outbox SET sent_at = ? WHERE id = ?", [(at, i) for i in ids])

    def unsend_all(self) -> None:
        """Make every event due now (the server came back, a resync)."""
        with self._db.transaction() as conn:
            conn.execute("UPDATE outbox SET sent_at = NULL")

    # Acks ----------------------------------------------------------------------

    def ack(self, ids: Iterable[str]) -> int:
        """Delete the events the server stored; unknown ids (duplicates, old acks) are ignored."""
        with self._db.lock:
            with self._db.transaction() as conn:
                deleted = sum(
                    conn.execute("DELETE FROM outbox WHERE id = ?", (i,)).rowcount for i in set(ids)
                )
            self._count -= deleted
        return deleted

    def reject(self, event_id: str, reason: str, *, at_wall_ms: int) -> bool:
        """Move a refused event to the dead letters; False if it is not in the outbox."""
        with self._db.lock:
            with self._db.transaction() as conn:
                conn.execute(
                    "INSERT OR REPLACE INTO dead_letter (id, type, payload, reason, dead_at) "
                    "SELECT id, type, payload, ?, ? FROM outbox WHERE id = ?",
                    (reason, at_wall_ms, event_id),
                )
                moved = conn.execute("DELETE FROM outbox WHERE id = ?", (event_id,)).rowcount
            self._count -= moved
        return moved == 1

    # Reading -------------------------------------------------------------------

    def counts(self) -> OutboxCounts:
        with self._db.lock:
            dead = self._db.conn.execute("SELECT count(*) FROM dead_letter").fetchone()[0]
            dropped = self._db.conn.execute(
                "SELECT value FROM meta WHERE key = 'dropped'"
            ).fetchone()
            return OutboxCounts(
                pending=self._count, dead=int(dead), dropped=int(dropped[0]) if dropped else 0
            )

    def ids(self) -> list[str]:
        return [str(row[0]) for row in self._db.query("SELECT id FROM outbox ORDER BY pos")]

    def payloads(self) -> list[bytes]:
        return [bytes(row[0]) for row in self._db.query("SELECT payload FROM outbox ORDER BY pos")]

    def dead_letters(self) -> list[tuple[str, str]]:
        """(id, reason) of every dead letter."""
        rows = self._db.query("SELECT id, reason FROM dead_letter ORDER BY dead_at, id")
        return [(str(row[0]), str(row[1])) for row in rows]

    @staticmethod
    def _count_rows(conn: sqlite3.Connection) -> int:
        return int(conn.execute("SELECT count(*) FROM outbox").fetchone()[0])


def _current_seq(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()
    return int(row[0]) if row else -1


def _next_seq(conn: sqlite3.Connection) -> int:
    seq = max(_current_seq(conn) + 1, 0)
    set_meta(conn, "seq", str(seq))
    return seq


def _count_dropped(conn: sqlite3.Connection) -> None:
    row = conn.execute("SELECT value FROM meta WHERE key = 'dropped'").fetchone()
    set_meta(conn, "dropped", str((int(row[0]) if row else 0) + 1))
