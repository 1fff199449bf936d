"""Engine set-up that both databases need to behave the way the code expects."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    elif engine.dialect.name == "postgresql":
        _configure_postgresql(engine)


def _configure_postgresql(engine: Engine) -> None:
    # No JIT: every statement here is short, and PostgreSQL compiles one as soon as its
    # cost *estimate* passes jit_above_cost. A month's usage report from the source rows
    # (one correlated "is there a covering booking?" probe per session, estimated far
    # above what it costs) spent some 200 ms compiling for 10 ms of work.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET jit = off")
        cursor.close()
        dbapi_connection.commit()


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite opens transactions lazily and behind SQLAlchemy's back, which
    # breaks SAVEPOINTs and lets two writers interleave. Take control: no
    # implicit BEGIN from the driver, SQLAlchemy emits it at the start.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    # IMMEDIATE takes the write lock at the start, so two writers never both
    # read "free" and then both write: the second waits (busy_timeout) and
    # then sees the first one's booking. Readers are not blocked under WAL.
    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
