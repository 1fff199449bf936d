"""alerts: device incidents mailed to managers once, and the managers' opt-out

- device_alert: one row per incident (forced door, door held open, device
  offline), unique per (device, kind, incident key); notified and cleared times.
- member.notify_alerts: managers may turn the alert e-mails off (on by default).
- access_event (device_id, type, id): a door's newest opened / closed / forced
  event in one index lookup, however long the history (the alerts pass).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 08:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('device_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.Enum('forced_door', 'held_open', 'offline', name='alertkind', native_enum=False, length=20), nullable=False),
    sa.Column('incident_key', sa.String(length=80), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('detected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['device.id'], name=op.f('fk_device_alert_device_id_device')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_alert'))
    )
    with op.batch_alter_table('device_alert', schema=None) as batch_op:
        batch_op.create_index('ix_device_alert_open', ['cleared_at', 'id'], unique=False)
        batch_op.create_index('uq_device_alert_incident', ['device_id', 'kind', 'incident_key'], unique=True)

    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notify_alerts', sa.Boolean(), nullable=False, server_default=sa.true()))

    with op.batch_alter_table('access_event', schema=None) as batch_op:
        batch_op.create_index('ix_access_event_device_type', ['device_id', 'type', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('access_event', schema=None) as batch_op:
        batch_op.drop_index('ix_access_event_device_type')

    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('notify_alerts')

    with op.batch_alter_table('device_alert', schema=None) as batch_op:
        batch_op.drop_index('uq_device_alert_incident')
        batch_op.drop_index('ix_device_alert_open')

    op.drop_table('device_alert')
