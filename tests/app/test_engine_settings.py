"""What every database connection is set up with (app/database.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

pytestmark = pytest.mark.db


def test_each_connection_has_the_settings_the_code_relies_on(app) -> None:  # type: ignore[no-untyped-def]
    from app.extensions import db

    with app.app_context(), db.engine.connect() as connection:
        if db.engine.dialect.name == "sqlite":
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 10000
        else:
            # a plain SET, committed: it outlives the transaction the pool rolls back
            connection.rollback()
            assert connection.execute(text("SHOW jit")).scalar() == "off"
