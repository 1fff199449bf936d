"""The migrations build, from an empty database, exactly the schema the models describe."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db

pytestmark = pytest.mark.db


def test_models_and_migrations_agree(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        differences = compare_metadata(context, db.metadata)
    # UTCDateTime is stored as DateTime(timezone=True): alembic may report it as a type
    # change only if the stored type is not a datetime at all.
    assert differences == []


def test_database_is_at_the_newest_revision(app):
    from alembic.script import ScriptDirectory
    from flask_migrate import Config

    with app.app_context(), db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        config = Config()
        config.set_main_option("script_location", app.extensions["migrate"].directory)
        head = ScriptDirectory.from_config(config).get_current_head()
    assert current == head
