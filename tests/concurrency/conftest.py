"""Fixtures of the concurrency tests: a real server on a database of the module's own
(a SQLite file, or a PostgreSQL database made for the module when
INCUBATOR_TEST_DATABASE_URL is set, like tests/conftest.py does)."""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.concurrency.racing import (
    World,
    free_port,
    prepare,
    server_env,
    start_server,
    wait_until_up,
)

PG_URL_ENV = "INCUBATOR_TEST_DATABASE_URL"


@pytest.fixture(scope="module")
def server_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of this module's own: never the one the other tests share."""
    base = os.environ.get(PG_URL_ENV)
    if not base:
        yield f"sqlite:///{tmp_path_factory.mktemp('concurrency') / 'server.sqlite'}"
        return
    url = sa.make_url(base)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    name = f"incubator_concurrency_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
    admin.dispose()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, server_database_url: str) -> Iterator[World]:
    instance = tmp_path_factory.mktemp("instance")
    port = free_port()
    env = server_env(instance, server_database_url, port)
    tokens, ids = prepare(env, server_database_url)
    log = (instance / "server.log").open("wb")
    process = start_server(env, port, log)
    engine = sa.create_engine(server_database_url)
    try:
        wait_until_up(port, process)
        yield World(port=port, engine=engine, tokens=tokens, resource_ids=ids)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()
        engine.dispose()
