"""Retention: old access events, sessions and quarantined events lose who it was, and
keep what the reports count."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import func, select

pytestmark = pytest.mark.db

NOW = dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC)
OLD = NOW - dt.timedelta(days=800)
RECENT = NOW - dt.timedelta(days=10)


@pytest.fixture
def history(member_a, resources, store_event, store_session, db_session):  # type: ignore[no-untyped-def]
    from app.models import QuarantinedEvent

    printer = resources["printer"]
    rows: dict[str, Any] = {
        "old_event": store_event(member_a, OLD),
        "old_error": store_event(
            None,
            OLD,
            badge=None,
            type="reader.error",
            granted=None,
            reason="bad_format",
            data={"code": "bad_format", "detail": "read 04A1B2C3D4?"},
        ),
        "recent_event": store_event(member_a, RECENT),
        "old_session": store_session(member_a, printer, OLD, OLD + dt.timedelta(hours=2)),
        "recent_session": store_session(member_a, printer, RECENT, RECENT + dt.timedelta(hours=1)),
    }
    payload = {"v": 1, "type": "access.decision", "data": {"badge": "04A1B2C3D4", "member": 7}}
    rows["old_quarantined"] = QuarantinedEvent(
        device_id="pi-front", reason="bad_signature", payload=json.dumps(payload), received_at=OLD
    )
    rows["old_garbage"] = QuarantinedEvent(
        device_id="pi-front", reason="not_json", payload="04A1B2C3D4 \x01", received_at=OLD
    )
    db_session.add_all([rows["old_quarantined"], rows["old_garbage"]])
    db_session.commit()
    return rows


def run(**kwargs: Any) -> Any:
    from app.services.retention import run_retention

    return run_retention(now=NOW, days=730, **kwargs)


def aggregates(db_session: Any) -> Any:
    from app.models import AccessEvent, UsageSession

    sessions = db_session.execute(
        select(
            UsageSession.tenant_id,
            UsageSession.resource_id,
            func.count(),
            func.sum(UsageSession.busy_s),
            func.min(UsageSession.started_at),
            func.max(UsageSession.ended_at),
        ).group_by(UsageSession.tenant_id, UsageSession.resource_id)
    ).all()
    events = db_session.execute(
        select(
            AccessEvent.tenant_id, AccessEvent.device_id, AccessEvent.granted, func.count()
        ).group_by(AccessEvent.tenant_id, AccessEvent.device_id, AccessEvent.granted)
    ).all()
    return sorted(map(tuple, sessions), key=str), sorted(map(tuple, events), key=str)


def test_old_rows_lose_the_person_and_recent_ones_keep_it(history, db_session, member_a):  # type: ignore[no-untyped-def]
    result = run()
    db_session.commit()
    db_session.expire_all()
    assert (result.access_events, result.sessions, result.quarantined) == (2, 1, 2)
    old = history["old_event"]
    assert (old.member_id, old.badge_uid) == (None, None)
    assert "badge" not in old.data
    assert "member" not in old.data
    assert old.data["reason"] == "ok"
    assert old.anonymised_at == NOW
    assert old.tenant_id == member_a.tenant_id  # the company stays: reports count it
    assert "detail" not in history["old_error"].data
    assert history["old_session"].member_id is None
    assert history["old_session"].tenant_id == member_a.tenant_id
    recent = history["recent_event"]
    assert (recent.member_id, recent.badge_uid, recent.anonymised_at) == (
        member_a.id,
        "04A1B2C3D4",
        None,
    )
    assert history["recent_session"].member_id == member_a.id


def test_quarantined_payloads_lose_badge_and_member_ids(history, db_session):  # type: ignore[no-untyped-def]
    run()
    db_session.commit()
    db_session.expire_all()
    kept = json.loads(history["old_quarantined"].payload)
    assert kept == {"v": 1, "type": "access.decision", "data": {}}
    assert "04A1B2C3D4" not in history["old_garbage"].payload
    assert history["old_garbage"].reason == "not_json"


def test_the_aggregates_the_reports_need_do_not_change(history, db_session):  # type: ignore[no-untyped-def]
    before = aggregates(db_session)
    run()
    db_session.commit()
    db_session.expire_all()
    assert aggregates(db_session) == before


def test_a_second_pass_finds_nothing(history, db_session):  # type: ignore[no-untyped-def]
    run()
    db_session.commit()
    again = run()
    assert again.total == 0


def test_small_batches_do_the_same(history, db_session):  # type: ignore[no-untyped-def]
    assert run(batch=1).total == 5


def test_dry_run_only_counts(history, db_session, member_a):  # type: ignore[no-untyped-def]
    result = run(dry_run=True)
    assert (result.access_events, result.sessions, result.quarantined) == (2, 1, 2)
    assert "would anonymise" in result.describe()
    db_session.expire_all()
    assert history["old_event"].member_id == member_a.id


def test_the_jobs_runner_has_a_daily_retention_job(app, history, db_session):  # type: ignore[no-untyped-def]
    from app.jobs import JOBS

    job = next(job for job in JOBS if job.name == "retention.run")
    assert job.every == dt.timedelta(days=1)
    outcome = job.run(app, NOW)
    assert "anonymised 2 access events, 1 sessions and 2 quarantined events" in str(outcome)


def test_the_age_comes_from_the_configuration(app, history, db_session):  # type: ignore[no-untyped-def]
    from app.jobs import JOBS

    job = next(job for job in JOBS if job.name == "retention.run")
    app.config["RETENTION_DAYS"] = 5
    try:
        outcome = job.run(app, NOW)
    finally:
        app.config["RETENTION_DAYS"] = 730
    assert "anonymised 3 access events, 2 sessions" in str(outcome)
