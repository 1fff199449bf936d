"""The bridge's local store: one SQLite file that survives crashes and power cuts.

WAL journal with ``synchronous=FULL``: a write that returned is on disk. One
connection, guarded by a lock, serves every thread. The store holds

* the outbox (`OutboxTable`): events written before they are sent, deleted only
  when the server's ack names them, moved to a dead-letter table when rejected;
* the allow-list (`AllowListTable`): the signed payload as received, so it is
  re-verified at every start, with its version and when it was received;
* command nonces seen (`NonceTable`), kept until the command's ``exp``;
* the open machine session (`SessionTable`), so a crash ends it at its last tick;
* small settings (`meta`): the boot id and event sequence, a lockout override.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from firmware_bridge.db import Database, SqlAction, set_meta
from firmware_bridge.outbox_table import OutboxTable

logger = logging.getLogger(__name__)

MAX_NONCES = 4096

# Tables ------------------------------------------------------------------------


class Meta:
    """Small named values."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, key: str) -> str | None:
        rows = self._db.query("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0]["value"]) if rows else None

    def set(self, key: str, value: str | None) -> None:
        with self._db.transaction() as conn:
            set_meta(conn, key, value)


@dataclass(frozen=True)
class StoredAllowList:
    ver: int
    payload: bytes
    received_wall: int
    received_mono: int
    received_os_boot: str
    received_synced: bool


class AllowListTable:
    """The one allow-list in force, swapped atomically."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def load(self) -> StoredAllowList | None:
        rows = self._db.query("SELECT * FROM allow_list WHERE slot = 1")
        if not rows:
            return None
        row = rows[0]
        return StoredAllowList(
            ver=int(row["ver"]),
            payload=bytes(row["payload"]),
            received_wall=int(row["received_wall"]),
            received_mono=int(row["received_mono"]),
            received_os_boot=str(row["received_os_boot"]),
            received_synced=bool(row["received_synced"]),
        )

    def save(self, stored: StoredAllowList) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO allow_list (slot, ver, payload, received_wall, "
                "received_mono, received_os_boot, received_synced) VALUES (1, ?, ?, ?, ?, ?, ?)",
                (
                    stored.ver,
                    stored.payload,
                    stored.received_wall,
                    stored.received_mono,
                    stored.received_os_boot,
                    int(stored.received_synced),
                ),
            )

    def forget(self) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM allow_list")


class NonceTable:
    """Command nonces seen, each kept until its command's ``exp``."""

    def __init__(self, db: Database, *, limit: int = MAX_NONCES) -> None:
        self._db = db
        self._limit = limit

    def remember(self, nonce: str, *, exp_ms: int, now_ms: int) -> bool:
        """Record `nonce`; False if it was seen before (a replay)."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM nonces WHERE exp <= ?", (now_ms,))
            inserted = conn.execute(
                "INSERT OR IGNORE INTO nonces (nonce, exp) VALUES (?, ?)", (nonce, exp_ms)
            ).rowcount
            # Bounded: past the limit the nonces closest to expiry go first. Commands
            # live at most 5 minutes, so only a flood of signed commands gets here.
            conn.execute(
                "DELETE FROM nonces WHERE nonce IN (SELECT nonce FROM nonces "
                "ORDER BY exp DESC LIMIT -1 OFFSET ?)",
                (self._limit,),
            )
        return inserted == 1

    def count(self) -> int:
        return int(self._db.query("SELECT count(*) FROM nonces")[0][0])


@dataclass(frozen=True)
class SessionRow:
    """A machine session as of its last tick."""

    sid: str
    member: int
    badge: str
    boot: str
    elapsed_s: int
    busy_s: int
    idle_s: int


class SessionTable:
    """The open machine session, if any (at most one)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def load(self) -> SessionRow | None:
        rows = self._db.query("SELECT * FROM session WHERE slot = 1")
        if not rows:
            return None
        row = rows[0]
        return SessionRow(
            sid=str(row["sid"]),
            member=int(row["member"]),
            badge=str(row["badge"]),
            boot=str(row["boot"]),
            elapsed_s=int(row["elapsed_s"]),
            busy_s=int(row["busy_s"]),
            idle_s=int(row["idle_s"]),
        )

    @staticmethod
    def saver(row: SessionRow) -> SqlAction:
        """An action that stores `row`, to run in the transaction of an event."""

        def save(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR REPLACE INTO session (slot, sid, member, badge, boot, elapsed_s, "
                "busy_s, idle_s) VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
                (row.sid, row.member, row.badge, row.boot, row.elapsed_s, row.busy_s, row.idle_s),
            )

        return save

    @staticmethod
    def clearer() -> SqlAction:
        def clear(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM session")

        return clear


# The facade --------------------------------------------------------------------


class Store:
    """Everything the bridge keeps on disk. Thread-safe."""

    def __init__(self, path: str | os.PathLike[str], *, max_outbox: int = 20_000) -> None:
        self.db = Database(path)
        self.meta = Meta(self.db)
        self.outbox = OutboxTable(self.db, max_rows=max_outbox)
        self.allow_list = AllowListTable(self.db)
        self.nonces = NonceTable(self.db)
        self.session = SessionTable(self.db)

    @property
    def path(self) -> Path:
        return self.db.path

    def start_boot(self, boot: str) -> None:
        """A new process: the event sequence restarts and every unacked event is due again."""
        with self.db.transaction() as conn:
            set_meta(conn, "boot", boot)
            set_meta(conn, "seq", "-1")
            conn.execute("UPDATE outbox SET sent_at = NULL")

    def integrity_ok(self) -> bool:
        rows = self.db.query("PRAGMA integrity_check")
        return bool(rows) and rows[0][0] == "ok"

    def close(self) -> None:
        self.db.close()
