"""Refreshing imported calendars outside a request: the jobs and `incubator calendars refresh`.

Edge code, like a request: it ends the transaction before each download and
commits after each calendar, so no database lock is held while a calendar
server takes its time, and one calendar's trouble never undoes another's refresh.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from app.extensions import db
from app.models import CalendarSource
from app.services import calendar_imports as service
from app.services.calendar_imports import ImportResult, ImportSettings

log = logging.getLogger(__name__)


def refresh_calendars(
    config: Mapping[str, Any], *, now: dt.datetime, due_only: bool = True
) -> list[ImportResult]:
    """Every due calendar given as a link (or every one), one by one, with conditional GETs."""
    settings = ImportSettings.from_config(config)
    plans = service.planned_refreshes(settings=settings, now=now, due_only=due_only)
    db.session.commit()  # nothing written: just no transaction open during the downloads
    results = []
    for plan in plans:
        fetched = service.download(
            plan.url, settings=settings, etag=plan.etag, last_modified=plan.last_modified
        )
        source = db.session.get(CalendarSource, plan.source_id)
        if source is None or not source.active:  # switched off meanwhile
            db.session.commit()
            continue
        results.append(service.refresh_source(source, fetched=fetched, settings=settings, now=now))
        db.session.commit()
    return results


def describe(result: ImportResult) -> str:
    """One line per calendar, for the command line and the job log."""
    source = result.source
    if result.outcome == "failed":
        return f"{source.id} {source.name}: failed, last good copy kept ({result.error})"
    if result.outcome == "unchanged":
        return f"{source.id} {source.name}: unchanged"
    return (
        f"{source.id} {source.name}: {result.added} closures added or changed, "
        f"{result.removed} removed, {len(result.collisions)} bookings in the way"
    )
