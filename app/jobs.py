"""`incubator jobs run`: one pass of every due job, under a database lease.

Each job runs in its own transaction, so one failing job neither blocks the
others nor undoes their work. Later features add jobs to `JOBS`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from flask import Flask

from app.extensions import db
from app.mailer import deliver_pending
from app.services import jobs as job_state
from app.services.bookings import digest, lifecycle
from app.services.bookings.lifecycle import Facility

if TYPE_CHECKING:
    from app.services.reports.totals import RollUp

log = logging.getLogger(__name__)
LEASE = "jobs-runner"
LEASE_TTL = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Job:
    name: str
    every: dt.timedelta
    run: Callable[[Flask, dt.datetime], object]


def _deliver_mail(app: Flask, now: dt.datetime) -> object:
    return deliver_pending(app.config)


def _purge_links(app: Flask, now: dt.datetime) -> object:
    return job_state.purge_old_login_links(now=now)


def facility(app: Flask) -> Facility:
    """The building as the booking services need it, outside any request."""
    from app.services.site import get_site_settings

    return Facility(
        zone=ZoneInfo(app.config["TIMEZONE"]),
        building_hours=get_site_settings().building_hours,
        public_url=app.config["PUBLIC_URL"],
        site_name=app.config["SITE_NAME"],
    )


def _release_no_shows(app: Flask, now: dt.datetime) -> object:
    return lifecycle.release_no_shows(now=now, facility=facility(app))


def _approval_digest(app: Flask, now: dt.datetime) -> object:
    return digest.send_approval_digest(now=now, facility=facility(app))


def _refresh_calendars(app: Flask, now: dt.datetime) -> object:
    from app.calendar_refresh import describe, refresh_calendars

    return "; ".join(describe(r) for r in refresh_calendars(app.config, now=now)) or "none due"


def _republish_allow_lists(app: Flask, now: dt.datetime) -> object:
    """Allow-lists are valid 7 days: the gateway republishes every device's daily."""
    from app.services.device_outbox import request_acl_refresh

    request_acl_refresh(reason="daily republish")
    return "requested"


def _close_orphan_sessions(app: Flask, now: dt.datetime) -> object:
    """Sessions 24 h without an event at a device that is online: closed as orphaned."""
    from app.services.device_events.sessions import close_silent_sessions

    return f"{close_silent_sessions(now=now)} closed"


def _check_alerts(app: Flask, now: dt.datetime) -> object:
    """Forced doors, doors held open, devices offline: managers are mailed once each."""
    from app.services.alerts import AlertSettings, check_alerts

    settings = AlertSettings.from_config(app.config)
    return str(check_alerts(now=now, settings=settings, facility=facility(app)))


def _retention(app: Flask, now: dt.datetime) -> object:
    """Personal fields of old access events and sessions cleared (docs/privacy.md)."""
    from app.services.retention import run_retention

    return run_retention(
        now=now,
        days=int(app.config["RETENTION_DAYS"]),
        batch=int(app.config["RETENTION_BATCH"]),
    ).describe()


#: keeps the jobs runner's pass and `incubator reports totals` from writing at once
TOTALS_LEASE = "usage-totals"
TOTALS_LEASE_TTL = dt.timedelta(hours=1)


def write_usage_totals(
    app: Flask,
    now: dt.datetime,
    *,
    holder: str,
    months: int | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> RollUp | None:
    """One pass of the usage totals under their own lease, committed a month at a time;
    None (nothing done) while another holder has the lease."""
    from app.services.reports.totals import roll_up

    if not job_state.acquire_lease(TOTALS_LEASE, holder=holder, now=now, ttl=TOTALS_LEASE_TTL):
        db.session.rollback()
        return None
    db.session.commit()
    try:
        result = roll_up(
            now=now,
            zone=ZoneInfo(app.config["TIMEZONE"]),
            months=months,
            progress=progress,
            checkpoint=db.session.commit,
        )
        db.session.commit()
        return result
    except BaseException:
        db.session.rollback()
        raise
    finally:
        job_state.release_lease(TOTALS_LEASE, holder=holder)
        db.session.commit()


def _usage_totals(app: Flask, now: dt.datetime) -> object:
    """The per-day usage totals the reports read: new days, and days changed since."""
    holder = f"{socket.gethostname()}:{os.getpid()}:jobs"
    result = write_usage_totals(app, now, holder=holder, months=12)
    return "skipped: `incubator reports totals` is running" if result is None else result.describe()


JOBS: list[Job] = [
    Job("bookings.release_no_shows", dt.timedelta(minutes=1), _release_no_shows),
    Job("bookings.approval_digest", dt.timedelta(days=1), _approval_digest),
    Job("calendars.refresh", dt.timedelta(hours=1), _refresh_calendars),
    Job("devices.republish_acl", dt.timedelta(days=1), _republish_allow_lists),
    Job("gateway.orphan_sessions", dt.timedelta(minutes=10), _close_orphan_sessions),
    Job("alerts.check", dt.timedelta(minutes=1), _check_alerts),
    # Last, so the e-mails the jobs above queue leave in the same pass.
    Job("mail.deliver", dt.timedelta(minutes=1), _deliver_mail),
    Job("login_links.purge", dt.timedelta(days=1), _purge_links),
    Job("retention.run", dt.timedelta(days=1), _retention),
    Job("reports.totals", dt.timedelta(minutes=5), _usage_totals),
]


@dataclass(frozen=True)
class PassResult:
    ran: list[str]
    failed: list[str]
    skipped_locked: bool = False


def run_due_jobs(app: Flask, *, now: dt.datetime | None = None) -> PassResult:
    now = now or dt.datetime.now(dt.UTC)
    holder = f"{socket.gethostname()}:{os.getpid()}"
    if not job_state.acquire_lease(LEASE, holder=holder, now=now, ttl=LEASE_TTL):
        db.session.rollback()
        log.info("another jobs runner holds the lease; nothing done")
        return PassResult([], [], skipped_locked=True)
    db.session.commit()
    ran: list[str] = []
    failed: list[str] = []
    try:
        for job in JOBS:
            if not job_state.is_due(job.name, every=job.every, now=now):
                continue
            job_state.mark_started(job.name, now=now)
            db.session.commit()
            error: str | None = None
            try:
                result = job.run(app, now)
                db.session.commit()
                log.info("job %s done: %s", job.name, result)
                ran.append(job.name)
            except Exception as exc:  # one job's failure must not stop the others
                db.session.rollback()
                log.exception("job %s failed", job.name)
                error = f"{type(exc).__name__}: {exc}"
                failed.append(job.name)
            job_state.mark_finished(job.name, now=dt.datetime.now(dt.UTC), error=error)
            db.session.commit()
    finally:
        job_state.release_lease(LEASE, holder=holder)
        db.session.commit()
    return PassResult(ran, failed)
