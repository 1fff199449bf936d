"""access events: an index on (device_time, id), the order of the API's list

`GET /api/v1/access-events` lists events newest first by the device's time, then
id, and its `before` cursor continues from one of them. Without an index leading
with the time, every page sorted the whole table (about 220 ms with 200,000
events on SQLite); with it a page reads its 50 index entries.

Index change only: on SQLite no table is rebuilt.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 12:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('access_event', schema=None) as batch_op:
        batch_op.create_index('ix_access_event_time', ['device_time', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('access_event', schema=None) as batch_op:
        batch_op.drop_index('ix_access_event_time')
