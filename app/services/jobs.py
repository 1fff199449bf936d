"""The lease that keeps two jobs runners from overlapping, and job bookkeeping."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import JobLease, JobRun, LoginLink


def acquire_lease(name: str, *, holder: str, now: dt.datetime, ttl: dt.timedelta) -> bool:
    """Take or extend the lease; False when another live holder has it."""
    taken = db.session.execute(
        update(JobLease)
        .where(
            JobLease.name == name,
            or_(JobLease.expires_at < now, JobLease.holder == holder),
        )
        .values(holder=holder, expires_at=now + ttl)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount:  # type: ignore[attr-defined]
        return True
    if db.session.get(JobLease, name) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(JobLease(name=name, holder=holder, expires_at=now + ttl))
    except IntegrityError:
        return False
    return True


def release_lease(name: str, *, holder: str) -> None:
    db.session.execute(
        delete(JobLease)
        .where(JobLease.name == name, JobLease.holder == holder)
        .execution_options(synchronize_session=False)
    )


def is_due(name: str, *, every: dt.timedelta, now: dt.datetime) -> bool:
    run = db.session.get(JobRun, name)
    return run is None or run.last_started_at is None or now - run.last_started_at >= every


def mark_started(name: str, *, now: dt.datetime) -> None:
    run = db.session.get(JobRun, name)
    if run is None:
        run = JobRun(name=name)
        db.session.add(run)
    run.last_started_at = now


def mark_finished(name: str, *, now: dt.datetime, error: str | None) -> None:
    run = db.session.get(JobRun, name)
    if run is None:
        run = JobRun(name=name, last_started_at=now)
        db.session.add(run)
    run.last_finished_at = now
    run.last_error = error[:500] if error else None


def purge_old_login_links(*, now: dt.datetime, keep: dt.timedelta = dt.timedelta(days=30)) -> int:
    result = db.session.execute(
        delete(LoginLink)
        .where(LoginLink.expires_at < now - keep)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
