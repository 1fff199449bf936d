"""retention: mark rows the retention job anonymised, and find the rest quickly

- access_event.anonymised_at, usage_session.anonymised_at,
  quarantined_event.anonymised_at (nullable): when the retention job cleared
  the personal fields of the row (app.services.retention).
- partial indexes on the age column of each table, over the rows not yet
  anonymised, so the daily pass reads only what it still has to do rather than
  the whole history.

Plain ADD COLUMN and CREATE INDEX: on SQLite no table is rebuilt.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 08:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

NOT_ANONYMISED = sa.text('anonymised_at IS NULL')
TABLES = (
    ('access_event', 'ix_access_event_retention', 'received_at'),
    ('usage_session', 'ix_usage_session_retention', 'started_at'),
    ('quarantined_event', 'ix_quarantined_event_retention', 'received_at'),
)


def upgrade():
    for table, index, column in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True))
            batch_op.create_index(
                index,
                [column],
                unique=False,
                sqlite_where=NOT_ANONYMISED,
                postgresql_where=NOT_ANONYMISED,
            )


def downgrade():
    for table, index, _column in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(index, sqlite_where=NOT_ANONYMISED, postgresql_where=NOT_ANONYMISED)
            batch_op.drop_column('anonymised_at')
