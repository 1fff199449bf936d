"""usage totals: per-day sums the reports read, and a log of changes below the horizon

- usage_total: per local day, company and resource, the sums of the usage
  sessions and bookings from the first day of that day's month through it
  (cumulative within the month: days a..b are the row of b less the row of a - 1);
- door_total: the same for granted entries per device;
- usage_total_day: the days whose totals are written; usage_total_state: the
  time zone of the days and the horizon;
- usage_change: written by the triggers below whenever a usage session, a
  booking, an access decision or a resource's parent / longest booking changes
  in a way that reaches below the horizon (a late event, a cancelled booking of
  last week). Readers take such days from the source rows until the jobs
  runner has written them again (app.services.reports.totals).

The triggers keep the log in the database itself, so no write path (the gateway's
bulk inserts, the retention job, a manual fix in psql) can change a settled day
unnoticed. Before the first roll-up the horizon is empty and nothing is logged.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 12:20:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SQLITE_FAR = "'9999-12-31 00:00:00.000000'"
SQLITE_PAST = "'0001-01-01 00:00:00.000000'"
SQLITE_HORIZON = "(SELECT horizon FROM usage_total_state WHERE id = 1)"

#: (table, start column, end column or None, the columns that matter, insert/delete condition)
SOURCES = (
    (
        "usage_session",
        "started_at",
        "ended_at",
        ("started_at", "ended_at", "tenant_id", "resource_id", "busy_s", "idle_s"),
        None,
    ),
    (
        "booking",
        "start",
        "end",
        ("start", "end", "status", "tenant_id", "resource_id", "late_change"),
        None,
    ),
    (
        "access_event",
        "device_time",
        None,
        ("device_time", "device_id", "tenant_id", "granted", "type"),
        "type = 'access.decision'",
    ),
)


def _q(column):
    return f'"{column}"'


def _sqlite_triggers():
    statements = []
    for table, start, end, columns, condition in SOURCES:

        def span(row):
            hi = f"coalesce({row}.{_q(end)}, {SQLITE_FAR})" if end else f"{row}.{_q(start)}"
            return f"{row}.{_q(start)}", hi

        for event, row in (("INSERT", "NEW"), ("DELETE", "OLD")):
            lo, hi = span(row)
            when = f"{lo} < {SQLITE_HORIZON}"
            if condition:
                when += f" AND {row}.{condition}"
            statements.append(
                f"CREATE TRIGGER trg_{table}_totals_{event.lower()} AFTER {event} ON {table} "
                f"WHEN {when} BEGIN INSERT INTO usage_change (lo, hi) VALUES ({lo}, {hi}); END"
            )
        old_lo, old_hi = span("OLD")
        new_lo, new_hi = span("NEW")
        changed = " OR ".join(f"OLD.{_q(c)} IS NOT NEW.{_q(c)}" for c in columns)
        statements.append(
            f"CREATE TRIGGER trg_{table}_totals_update AFTER UPDATE OF "
            f"{', '.join(_q(c) for c in columns)} ON {table} "
            f"WHEN ({changed}) AND min({old_lo}, {new_lo}) < {SQLITE_HORIZON} "
            f"BEGIN INSERT INTO usage_change (lo, hi) "
            f"VALUES (min({old_lo}, {new_lo}), max({old_hi}, {new_hi})); END"
        )
    statements.append(
        "CREATE TRIGGER trg_resource_totals_update AFTER UPDATE OF parent_id, max_minutes "
        "ON resource WHEN (OLD.parent_id IS NOT NEW.parent_id OR OLD.max_minutes IS NOT "
        f"NEW.max_minutes) AND {SQLITE_HORIZON} IS NOT NULL BEGIN INSERT INTO usage_change "
        f"(lo, hi) VALUES ({SQLITE_PAST}, {SQLITE_FAR}); END"
    )
    return statements


PG_FAR = "'9999-12-31 00:00:00+00'::timestamptz"


def _postgresql_triggers():
    statements = []
    for table, start, end, columns, condition in SOURCES:

        def span(row):
            hi = f"coalesce({row}.{_q(end)}, {PG_FAR})" if end else f"{row}.{_q(start)}"
            return f"{row}.{_q(start)}", hi

        (old_lo, old_hi), (new_lo, new_hi) = span("OLD"), span("NEW")
        statements.append(f"""
CREATE FUNCTION usage_change_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_horizon timestamptz;
    v_lo timestamptz;
    v_hi timestamptz;
BEGIN
    SELECT s.horizon INTO v_horizon FROM usage_total_state s WHERE s.id = 1;
    IF v_horizon IS NULL THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        v_lo := {new_lo};
        v_hi := {new_hi};
    ELSIF TG_OP = 'DELETE' THEN
        v_lo := {old_lo};
        v_hi := {old_hi};
    ELSE
        v_lo := least({old_lo}, {new_lo});
        v_hi := greatest({old_hi}, {new_hi});
    END IF;
    IF v_lo < v_horizon THEN
        INSERT INTO usage_change (lo, hi) VALUES (v_lo, v_hi);
    END IF;
    RETURN NULL;
END
$$""")
        for event, row in (("INSERT", "NEW"), ("DELETE", "OLD")):
            when = f" WHEN ({row}.{condition})" if condition else ""
            statements.append(
                f"CREATE TRIGGER trg_{table}_totals_{event.lower()} AFTER {event} ON {table} "
                f"FOR EACH ROW{when} EXECUTE FUNCTION usage_change_{table}()"
            )
        changed = " OR ".join(f"OLD.{_q(c)} IS DISTINCT FROM NEW.{_q(c)}" for c in columns)
        statements.append(
            f"CREATE TRIGGER trg_{table}_totals_update AFTER UPDATE OF "
            f"{', '.join(_q(c) for c in columns)} ON {table} FOR EACH ROW "
            f"WHEN ({changed}) EXECUTE FUNCTION usage_change_{table}()"
        )
    statements.append(f"""
CREATE FUNCTION usage_change_resource() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT s.horizon FROM usage_total_state s WHERE s.id = 1) IS NOT NULL THEN
        INSERT INTO usage_change (lo, hi)
        VALUES ('0001-01-01 00:00:00+00'::timestamptz, {PG_FAR});
    END IF;
    RETURN NULL;
END
$$""")
    statements.append(
        "CREATE TRIGGER trg_resource_totals_update AFTER UPDATE OF parent_id, max_minutes "
        "ON resource FOR EACH ROW WHEN (OLD.parent_id IS DISTINCT FROM NEW.parent_id OR "
        "OLD.max_minutes IS DISTINCT FROM NEW.max_minutes) "
        "EXECUTE FUNCTION usage_change_resource()"
    )
    return statements


def _fact_columns():
    return [
        sa.Column("booked_s", sa.Float(), nullable=False),
        sa.Column("billable_booked_s", sa.Float(), nullable=False),
        sa.Column("no_shows", sa.Integer(), nullable=False),
        sa.Column("used_s", sa.Float(), nullable=False),
        sa.Column("company_used_s", sa.Float(), nullable=False),
        sa.Column("busy_s", sa.Float(), nullable=False),
        sa.Column("idle_s", sa.Float(), nullable=False),
        sa.Column("reported", sa.Integer(), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("unbooked", sa.Integer(), nullable=False),
        sa.Column("visit_days", sa.Integer(), nullable=False),
    ]


def upgrade():
    op.create_table(
        "usage_total",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("tenant_key", sa.Integer(), nullable=False),
        sa.Column("resource_key", sa.Integer(), nullable=False),
        *_fact_columns(),
        sa.PrimaryKeyConstraint("day", "tenant_key", "resource_key", name=op.f("pk_usage_total")),
    )
    op.create_table(
        "door_total",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("tenant_key", sa.Integer(), nullable=False),
        sa.Column("device_key", sa.String(length=32), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "tenant_key", "device_key", name=op.f("pk_door_total")),
    )
    op.create_table(
        "usage_total_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_usage_total_day")),
    )
    op.create_table(
        "usage_total_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("horizon", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_total_state")),
    )
    op.create_table(
        "usage_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lo", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hi", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_change")),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        statements = _sqlite_triggers()
    elif dialect == "postgresql":
        statements = _postgresql_triggers()
    else:  # pragma: no cover - the two databases we support
        raise RuntimeError(f"no usage-change triggers for {dialect}")
    for statement in statements:
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for table in ("usage_session", "booking", "access_event"):
        for event in ("insert", "delete", "update"):
            suffix = f" ON {table}" if dialect == "postgresql" else ""
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_totals_{event}{suffix}")
        if dialect == "postgresql":
            op.execute(f"DROP FUNCTION IF EXISTS usage_change_{table}()")
    suffix = " ON resource" if dialect == "postgresql" else ""
    op.execute(f"DROP TRIGGER IF EXISTS trg_resource_totals_update{suffix}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS usage_change_resource()")
    for table in (
        "usage_change",
        "usage_total_state",
        "usage_total_day",
        "door_total",
        "usage_total",
    ):
        op.drop_table(table)
