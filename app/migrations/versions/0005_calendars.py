"""calendars: secret feed links per device, imported external calendars, feed version indexes

- calendar_token: one secret link per device (only a SHA-256 of it), its scope
  (member, tenant, resource, site) and the feed's HTTP state (ETag, a
  Last-Modified that never goes backwards).
- calendar_source (+ calendar_source_resource): external calendars whose events
  become `closure` rows with source "calendar:<id>".
- booking (updated_at), (resource_id, updated_at), (tenant_id, updated_at), and
  member, resource, tenant (updated_at): the feeds read their data version (the
  newest change in a scope, and of the names they show) from an index.
- closure (source): an import replaces the closures of one source.

Index changes on existing tables only (plain CREATE INDEX): on SQLite no table is
rebuilt, so the overlap triggers of 0002 stay in place.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 06:23:39.977026

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('etag', sa.String(length=255), nullable=True),
    sa.Column('http_last_modified', sa.String(length=64), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('closure_count', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['member.id'], name=op.f('fk_calendar_source_created_by_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_source'))
    )
    op.create_table('calendar_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('scope', sa.Enum('member', 'tenant', 'resource', 'site', name='calendarscope', native_enum=False, length=20), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_etag', sa.String(length=80), nullable=True),
    sa.Column('last_modified', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(scope = 'resource') = (resource_id IS NOT NULL)", name=op.f('ck_calendar_token_resource_scope')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_calendar_token_member_id_member')),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], name=op.f('fk_calendar_token_resource_id_resource')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_token_token_hash'))
    )
    op.create_index(op.f('ix_calendar_token_member_id'), 'calendar_token', ['member_id'], unique=False)

    op.create_table('calendar_source_resource',
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], name=op.f('fk_calendar_source_resource_resource_id_resource')),
    sa.ForeignKeyConstraint(['source_id'], ['calendar_source.id'], name=op.f('fk_calendar_source_resource_source_id_calendar_source'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('source_id', 'resource_id', name=op.f('pk_calendar_source_resource'))
    )

    op.create_index('ix_booking_updated_at', 'booking', ['updated_at'], unique=False)
    op.create_index('ix_booking_resource_updated', 'booking', ['resource_id', 'updated_at'], unique=False)
    op.create_index('ix_booking_tenant_updated', 'booking', ['tenant_id', 'updated_at'], unique=False)
    op.create_index('ix_member_updated_at', 'member', ['updated_at'], unique=False)
    op.create_index('ix_resource_updated_at', 'resource', ['updated_at'], unique=False)
    op.create_index('ix_tenant_updated_at', 'tenant', ['updated_at'], unique=False)
    op.create_index('ix_closure_source', 'closure', ['source'], unique=False)


def downgrade():
    op.drop_index('ix_closure_source', table_name='closure')
    op.drop_index('ix_tenant_updated_at', table_name='tenant')
    op.drop_index('ix_resource_updated_at', table_name='resource')
    op.drop_index('ix_member_updated_at', table_name='member')
    op.drop_index('ix_booking_tenant_updated', table_name='booking')
    op.drop_index('ix_booking_resource_updated', table_name='booking')
    op.drop_index('ix_booking_updated_at', table_name='booking')

    op.drop_table('calendar_source_resource')
    op.drop_index(op.f('ix_calendar_token_member_id'), table_name='calendar_token')
    op.drop_table('calendar_token')
    op.drop_table('calendar_source')
