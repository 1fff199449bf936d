"""Shared fixtures: one database per test session, each test inside a rolled-back transaction.

SQLite by default; PostgreSQL when INCUBATOR_TEST_DATABASE_URL is set, in a
database of its own made for this run (so parallel runs never collide).
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import scoped_session, sessionmaker

os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")

PG_URL_ENV = "INCUBATOR_TEST_DATABASE_URL"
FAST_PASSWORD = "correct horse battery"


def _pg_database(base_url: str) -> tuple[str, sa.Engine, str]:
    url = sa.make_url(base_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    name = f"incubator_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False), admin, name


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = os.environ.get(PG_URL_ENV)
    if not base:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
        return
    url, admin, name = _pg_database(base)
    yield url
    with admin.connect() as conn:
        conn.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
    admin.dispose()


def make_test_app(database_url: str, instance: Path, **overrides: Any) -> Flask:
    from app import create_app

    config: dict[str, Any] = {
        "ENV": "testing",
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        # Limits high enough never to trip by accident; the rate-limit tests lower them.
        "LOGIN_LIMIT_PER_IP": "100000 per minute",
        "LOGIN_LIMIT_PER_ACCOUNT": "100000 per minute",
        "PUBLIC_URL": "https://incubator.test.example",
        "SIGNING_KEY_FILE": str(instance / "keys" / "signing.key"),
        "BADGE_KEY_FILE": str(instance / "keys" / "badge.key"),
    }
    config.update(overrides)
    os.environ["INCUBATOR_INSTANCE_PATH"] = str(instance)
    return create_app(config)


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    from flask_migrate import upgrade

    application = make_test_app(database_url, tmp_path_factory.mktemp("instance"))
    with application.app_context():
        upgrade()
    yield application
    from app.extensions import db

    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def db_session(app: Flask) -> Iterator[Any]:
    """The test's session: everything it writes, commits included, is rolled back after it.

    The test body runs outside an app context, so every request made through
    the test client gets a fresh one (and a fresh `g`), as in production.
    Between requests the session is expired rather than closed, so the test's
    objects stay usable and show what the requests wrote.
    """
    from app.extensions import db

    with app.app_context():
        connection = db.engine.connect()
    outer = connection.begin()
    original = db.session
    session = scoped_session(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    )
    session.remove = session.expire_all  # type: ignore[method-assign]
    db.session = session  # type: ignore[assignment]
    try:
        yield session
    finally:
        session.registry().close()
        db.session = original
        outer.rollback()
        connection.close()


@pytest.fixture
def client(app: Flask, db_session: Any) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


# -- builders ---------------------------------------------------------------

_hash_cache: dict[str, str] = {}


def _password_hash(password: str) -> str:
    from app.services.passwords import hash_password

    if password not in _hash_cache:
        _hash_cache[password] = hash_password(password)
    return _hash_cache[password]


@pytest.fixture
def make_tenant(db_session: Any):  # type: ignore[no-untyped-def]
    from app.models import Sector, Tenant

    counter = iter(range(1, 100000))

    def build(**fields: Any) -> Tenant:
        n = next(counter)
        values: dict[str, Any] = {
            "name": f"Tenant {n}",
            "slug": f"tenant-{n}",
            "sector": Sector.CREATIVE,
        }
        values.update(fields)
        tenant = Tenant(**values)
        db_session.add(tenant)
        # Committed (into the test's outer transaction) so that a request that
        # rolls back on an error cannot take the test's own rows with it.
        db_session.commit()
        return tenant

    return build


@pytest.fixture
def make_member(db_session: Any, make_tenant: Any):  # type: ignore[no-untyped-def]
    from app.models import Member, Role

    counter = iter(range(1, 100000))

    def build(role: str = "member", tenant: Any = "new", **fields: Any) -> Member:
        n = next(counter)
        if tenant == "new":
            tenant = None if role == "manager" else make_tenant()
        password = fields.pop("password", FAST_PASSWORD)
        values: dict[str, Any] = {
            "email": f"person{n}-{uuid.uuid4().hex[:6]}@example.org",
            "name": f"Person {n}",
            "role": Role(role),
            "tenant": tenant,
            "password_hash": _password_hash(password) if password else None,
        }
        values.update(fields)
        member = Member(**values)
        db_session.add(member)
        # Committed (into the test's outer transaction) so that a request that
        # rolls back on an error cannot take the test's own rows with it.
        db_session.commit()
        return member

    return build


@pytest.fixture
def make_resource(db_session: Any):  # type: ignore[no-untyped-def]
    from app.models import Resource, ResourceKind

    counter = iter(range(1, 100000))

    def build(**fields: Any) -> Resource:
        n = next(counter)
        values: dict[str, Any] = {
            "slug": f"resource-{n}",
            "name": f"Resource {n}",
            "kind": ResourceKind.ROOM,
        }
        values.update(fields)
        resource = Resource(**values)
        db_session.add(resource)
        # Committed (into the test's outer transaction) so that a request that
        # rolls back on an error cannot take the test's own rows with it.
        db_session.commit()
        return resource

    return build


@pytest.fixture
def make_badge(db_session: Any):  # type: ignore[no-untyped-def]
    from app.models import Badge

    counter = iter(range(1, 100000))

    def build(member: Any, **fields: Any) -> Badge:
        n = next(counter)
        values: dict[str, Any] = {"uid": f"04{n:012X}", "member": member, "label": "card"}
        values.update(fields)
        badge = Badge(**values)
        db_session.add(badge)
        # Committed (into the test's outer transaction) so that a request that
        # rolls back on an error cannot take the test's own rows with it.
        db_session.commit()
        return badge

    return build


# -- two companies and their people ------------------------------------------------
# Company A with an admin and a member, company B likewise, and a manager. A directory
# whose companies need more (quotas, a sector) overrides `tenant_a` / `tenant_b` in its
# own conftest; the people below then belong to those.


@pytest.fixture
def tenant_a(make_tenant):  # type: ignore[no-untyped-def]
    return make_tenant(name="Atelier Alfa", slug="alfa")


@pytest.fixture
def tenant_b(make_tenant):  # type: ignore[no-untyped-def]
    return make_tenant(name="Brouwerij Bravo", slug="bravo")


@pytest.fixture
def manager(make_member):  # type: ignore[no-untyped-def]
    return make_member(role="manager", name="Mona Manager")


@pytest.fixture
def admin_a(make_member, tenant_a):  # type: ignore[no-untyped-def]
    return make_member(role="tenant_admin", tenant=tenant_a, name="Anna Admin")


@pytest.fixture
def member_a(make_member, tenant_a):  # type: ignore[no-untyped-def]
    return make_member(role="member", tenant=tenant_a, name="Arne Member")


@pytest.fixture
def admin_b(make_member, tenant_b):  # type: ignore[no-untyped-def]
    return make_member(role="tenant_admin", tenant=tenant_b, name="Bert Admin")


@pytest.fixture
def member_b(make_member, tenant_b):  # type: ignore[no-untyped-def]
    return make_member(role="member", tenant=tenant_b, name="Bea Member")


@pytest.fixture
def people(manager, admin_a, member_a, admin_b, member_b):  # type: ignore[no-untyped-def]
    """Everybody by role name, for parametrized tests."""
    return {
        "manager": manager,
        "admin_a": admin_a,
        "member_a": member_a,
        "admin_b": admin_b,
        "member_b": member_b,
    }


# -- logging in -------------------------------------------------------------------


def login(client: FlaskClient, member: Any) -> FlaskClient:
    """Log `member` in on `client` without the cost of a password check."""
    with client.session_transaction() as session:
        session["_user_id"] = member.get_id()
        session["_fresh"] = True
    return client


@pytest.fixture
def as_member(client: FlaskClient):  # type: ignore[no-untyped-def]
    def log_in(member: Any) -> FlaskClient:
        return login(client, member)

    return log_in


@pytest.fixture
def sign_in(db_session: Any, as_member: Any):  # type: ignore[no-untyped-def]
    """Commit what the test built so far, then log `member` in.

    A request that ends in an error rolls the session back; committing first
    keeps the test's own rows through that (the outer transaction of
    `db_session` still undoes everything after the test).
    """

    def log_in(member: Any) -> FlaskClient:
        db_session.commit()
        return as_member(member)  # type: ignore[no-any-return]

    return log_in


@pytest.fixture
def api_token(db_session: Any, now: dt.datetime):  # type: ignore[no-untyped-def]
    """A function giving a bearer header for a member."""
    from app.services.api_tokens import create_api_token

    def make(member: Any) -> dict[str, str]:
        _token, secret = create_api_token(member=member, name="test", expires_at=None, now=now)
        # Committed (into the test's outer transaction) so that a request that
        # rolls back on an error cannot take the test's own rows with it.
        db_session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return make
