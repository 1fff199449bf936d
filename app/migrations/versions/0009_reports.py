"""reports: indexes that bound the usage report's range reads to the period

The usage report (app.services.reports.usage) reads, for one period and every
company at once, the bookings, sessions and door entries of that period (less
the longest a booking or session lasts). The existing indexes lead with the
resource or the tenant; these lead with the time and hold every column the
report sums, so a month's report reads that month's index entries only (no
table rows), whatever the history holds (docs/performance.md, "Reports"):

- usage_session (started_at, ended_at, tenant_id, resource_id, member_id,
  busy_s, idle_s): the sessions reaching into the period, their groups and
  machine time;
- booking (start, end, status, tenant_id, resource_id, booked_for_id,
  late_change): the same for bookings;
- access_event (device_id, device_time, type, granted, tenant_id, member_id):
  the door entries of the door devices in the period.

Index changes only: on SQLite no table is rebuilt.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 08:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

INDEXES = (
    (
        'usage_session',
        'ix_usage_session_report',
        ['started_at', 'ended_at', 'tenant_id', 'resource_id', 'member_id', 'busy_s', 'idle_s'],
    ),
    (
        'booking',
        'ix_booking_report',
        ['start', 'end', 'status', 'tenant_id', 'resource_id', 'booked_for_id', 'late_change'],
    ),
    (
        'access_event',
        'ix_access_event_door',
        ['device_id', 'device_time', 'type', 'granted', 'tenant_id', 'member_id'],
    ),
)


def upgrade():
    for table, index, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(index, columns, unique=False)


def downgrade():
    for table, index, _columns in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(index)
