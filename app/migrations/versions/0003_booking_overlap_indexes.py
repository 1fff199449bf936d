"""booking overlap indexes range over the end, so a check reads the future, not the history

Every overlap query has the shape `start < :end AND end > :start`. An index on
(key, start) answers it by reading everything that started before :end, which is
the whole history of the resource (or company) and grows for ever. An index on
(key, end) reads only what ends after :start: for a booking made now, the bookings
still to come, which a resource's horizon keeps bounded.

- booking_claim (resource_id, block_end, block_start) replaces (resource_id,
  block_start, block_end): the conflict check and the SQLite overlap trigger.
- booking (tenant_id, end, resource_id): the quota check's hours of the month.
- closure (resource_id, end): the closure check.

Index changes only: on SQLite no table is rebuilt, so the overlap triggers of 0002
stay in place; on PostgreSQL the exclusion constraint is untouched.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 06:01:17.378547

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.create_index(
            'ix_booking_tenant_end', ['tenant_id', 'end', 'resource_id'], unique=False
        )

    with op.batch_alter_table('booking_claim', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_claim_resource_block')
        batch_op.create_index(
            'ix_booking_claim_resource_end',
            ['resource_id', 'block_end', 'block_start'],
            unique=False,
        )

    with op.batch_alter_table('closure', schema=None) as batch_op:
        batch_op.create_index('ix_closure_resource_end', ['resource_id', 'end'], unique=False)


def downgrade():
    with op.batch_alter_table('closure', schema=None) as batch_op:
        batch_op.drop_index('ix_closure_resource_end')

    with op.batch_alter_table('booking_claim', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_claim_resource_end')
        batch_op.create_index(
            'ix_booking_claim_resource_block',
            ['resource_id', 'block_start', 'block_end'],
            unique=False,
        )

    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_tenant_end')
