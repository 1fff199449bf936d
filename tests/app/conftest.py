"""Fixtures for the page tests of tests/app."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select


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
def count(db_session: Any):  # type: ignore[no-untyped-def]
    """Rows of a model (optionally filtered), read fresh from the database."""

    def rows(model: Any, *where: Any) -> int:
        db_session.expire_all()
        return int(db_session.scalar(select(func.count()).select_from(model).where(*where)))

    return rows
