"""The queries a booking runs are index searches; the overlap checks range over the end
of intervals (what is still to come), never over the history (migration 0003).

Checked on SQLite, whose planner works without statistics; PostgreSQL's plans depend
on them, and bench/bookings.py prints those with 100,000 existing bookings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import event

from app.services.bookings.lifecycle import create_booking

pytestmark = pytest.mark.db

NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
START = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def sqlite(db_session):
    if db_session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite query plans")
    return db_session.get_bind()


def explain(connection: Any, statement: str, parameters: Any) -> str:
    rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    return " | ".join(row[-1] for row in rows)


@pytest.fixture
def booking_plans(sqlite, make_member, make_resource, make_tenant, facility):
    """The plan of every SELECT that booking a machine of the Fablab runs."""
    tenant = make_tenant(quota_hours={"machine": 100})
    member = make_member(tenant=tenant)
    fablab = make_resource()
    laser = make_resource(kind="machine", parent=fablab, booking_required_for_use=True)
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, parameters))

    event.listen(sqlite, "before_cursor_execute", capture)
    try:
        create_booking(
            actor=member,
            resource=laser,
            start=START,
            end=START + dt.timedelta(hours=1),
            now=NOW,
            facility=facility,
        )
    finally:
        event.remove(sqlite, "before_cursor_execute", capture)
    return {statement: explain(sqlite, statement, params) for statement, params in captured}


def test_no_query_of_a_booking_scans_a_table(booking_plans):
    assert booking_plans
    for statement, plan in booking_plans.items():
        assert "SCAN booking" not in plan, statement
        assert "SCAN closure" not in plan, statement


def test_the_conflict_check_reads_only_claims_ending_after_the_start(booking_plans):
    """From the start to the end plus the longest claim: not the resource's future."""
    claims = [plan for statement, plan in booking_plans.items() if "booking_claim" in statement]
    assert claims
    for plan in claims:
        assert "ix_booking_claim_resource_end (resource_id=? AND block_end>? AND block_end<?)" in (
            plan
        )


def test_the_quota_check_reads_only_bookings_ending_within_the_month_or_just_after(
    booking_plans,
):
    """From the month's start to its end plus the longest booking: not the months ahead."""
    quota = [plan for statement, plan in booking_plans.items() if "tenant_id = ?" in statement]
    assert quota
    assert all("ix_booking_tenant_end (tenant_id=? AND end>? AND end<?)" in plan for plan in quota)


def test_the_closure_check_reads_only_closures_ending_after_the_start(booking_plans):
    closures = [plan for statement, plan in booking_plans.items() if "FROM closure" in statement]
    assert closures
    assert all("ix_closure_resource_end" in plan for plan in closures)


def test_the_overlap_trigger_reads_only_claims_ending_after_the_start(sqlite):
    trigger_check = (
        "SELECT 1 FROM booking_claim AS other WHERE other.resource_id = ? "
        "AND other.id IS NOT ? AND other.block_start < ? AND ? < other.block_end"
    )
    plan = explain(sqlite, trigger_check, (1, 5, "2030-03-06 10:00", "2030-03-06 09:00"))
    assert "COVERING INDEX ix_booking_claim_resource_end (resource_id=? AND block_end>?)" in plan
