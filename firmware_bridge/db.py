"""The SQLite connection under the store: pragmas, schema, transactions, damage recovery.

WAL journal with ``synchronous=FULL``: a transaction that returned is on disk,
also after a power cut. One connection serves every thread, guarded by a lock.
A file that fails ``PRAGMA quick_check`` at start is moved aside (kept for
recovery by hand) and a new one started, so a damaged SD card never keeps a
door from working.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    pos INTEGER PRIMARY KEY AUTOINCREMENT,  -- order of writing: oldest first
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    klass INTEGER NOT NULL,                 -- 0 dropped first, 1 droppable, 2 never dropped
    payload BLOB NOT NULL,
    sent_at INTEGER                         -- monotonic ms of the last send; NULL = due
);
CREATE INDEX IF NOT EXISTS outbox_by_klass ON outbox (klass, pos);
CREATE TABLE IF NOT EXISTS dead_letter (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    payload BLOB NOT NULL,
    reason TEXT NOT NULL,
    dead_at INTEGER NOT NULL                -- wall clock ms
);
CREATE TABLE IF NOT EXISTS allow_list (
    slot INTEGER PRIMARY KEY CHECK (slot = 1),
    ver INTEGER NOT NULL,
    payload BLOB NOT NULL,
    received_wall INTEGER NOT NULL,
    received_mono INTEGER NOT NULL,
    received_os_boot TEXT NOT NULL,
    received_synced INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS nonces (
    nonce TEXT PRIMARY KEY,
    exp INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS session (
    slot INTEGER PRIMARY KEY CHECK (slot = 1),
    sid TEXT NOT NULL,
    member INTEGER NOT NULL,
    badge TEXT NOT NULL,
    boot TEXT NOT NULL,
    elapsed_s INTEGER NOT NULL,
    busy_s INTEGER NOT NULL,
    idle_s INTEGER NOT NULL
);
"""

SqlAction = Callable[[sqlite3.Connection], None]


class Database:
    """The connection, its lock and transactions. Every table object goes through it."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.lock = threading.RLock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = self._connect()

    def _connect(self) -> sqlite3.Connection:
        conn = _open_checked(self.path)
        if conn is None:
            self._move_aside()
            conn = _open(self.path)
        conn.executescript(f"BEGIN;{_SCHEMA}COMMIT;")  # one transaction: one fsync
        return conn

    def _move_aside(self) -> None:
        aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
        logger.critical("store %s is damaged; moved aside to %s", self.path, aside)
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{self.path}{suffix}")
            if source.exists():
                source.rename(f"{aside}{suffix}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; committed (and on disk) when the block ends."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        with self.lock:
            return list(self.conn.execute(sql, params))

    def close(self) -> None:
        with self.lock:
            self.conn.close()


def _open(path: Path) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def _open_checked(path: Path) -> sqlite3.Connection | None:
    """The connection, or None when the file is damaged (not a database, fails quick_check)."""
    conn: sqlite3.Connection | None = None
    try:
        conn = _open(path)
        row = conn.execute("PRAGMA quick_check").fetchone()
    except sqlite3.DatabaseError:
        row = None
    if row is not None and row[0] == "ok":
        return conn
    if conn is not None:
        conn.close()
    return None


def set_meta(conn: sqlite3.Connection, key: str, value: str | None) -> None:
    if value is None:
        conn.execute("DELETE FROM meta WHERE key = ?", (key,))
    else:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
