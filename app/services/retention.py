"""Retention (GDPR): personal fields of old access events and sessions are cleared.

Rows older than the configured age (`RETENTION_DAYS`) keep what the reports
count (device, resource, tenant, type, decision, reason, times, durations,
busy/idle seconds) and lose who it was: the member, the badge number, and the
badge and member ids inside the event's data. Quarantined events keep their
device, reason and time; their raw payload loses the same ids (or, when it is
not JSON, the payload itself). Each row is stamped `anonymised_at`, so a second
pass finds nothing to do and the partial indexes of migration 0008 keep the
daily pass from reading the anonymised history.

The jobs runner (`retention.run`, daily) and `incubator retention run` call
`run_retention`; the service flushes, the caller commits.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select, update

from app.extensions import db
from app.models import AccessEvent, QuarantinedEvent, UsageSession

log = logging.getLogger(__name__)

# Keys of an event's `data` that name a person: badge and member everywhere, and a
# reader error's free text, which may hold what the reader read.
PERSONAL_KEYS = frozenset({"badge", "member", "detail"})
REMOVED_PAYLOAD = '{"removed":"retention"}'


@dataclass(frozen=True)
class RetentionResult:
    cutoff: dt.datetime
    access_events: int
    sessions: int
    quarantined: int
    dry_run: bool = False

    @property
    def total(self) -> int:
        return self.access_events + self.sessions + self.quarantined

    def describe(self) -> str:
        verb = "would anonymise" if self.dry_run else "anonymised"
        return (
            f"{verb} {self.access_events} access events, {self.sessions} sessions and "
            f"{self.quarantined} quarantined events older than {self.cutoff:%Y-%m-%d %H:%M} UTC"
        )


def retention_cutoff(now: dt.datetime, days: int) -> dt.datetime:
    if days < 1:
        raise ValueError("the retention age must be at least one day")
    return now - dt.timedelta(days=days)


def _without_personal(data: Any) -> Any:
    if not isinstance(data, dict):
        return data
    return {key: value for key, value in data.items() if key not in PERSONAL_KEYS}


def _redacted_payload(payload: str) -> str:
    """A quarantined payload without badge and member ids (kept parsed, for diagnosis)."""
    try:
        message = json.loads(payload)
    except ValueError:
        return REMOVED_PAYLOAD
    if not isinstance(message, dict):
        return REMOVED_PAYLOAD
    message = _without_personal(message)
    if "data" in message:
        message["data"] = _without_personal(message["data"])
    return json.dumps(message, separators=(",", ":"), sort_keys=True)


def _due(model: Any, age_column: Any, cutoff: dt.datetime) -> list[ColumnElement[bool]]:
    return [model.anonymised_at.is_(None), age_column < cutoff]


def _count(model: Any, age_column: Any, cutoff: dt.datetime) -> int:
    query = select(func.count()).select_from(model).where(*_due(model, age_column, cutoff))
    return int(db.session.scalar(query) or 0)


def _in_batches(
    model: Any,
    age_column: Any,
    cutoff: dt.datetime,
    columns: list[Any],
    change: Callable[[Any], dict[str, Any]],
    *,
    now: dt.datetime,
    batch: int,
) -> int:
    """Update the due rows `batch` at a time by primary key; returns how many."""
    done = 0
    while True:
        rows = db.session.execute(
            select(model.id, *columns)
            .where(*_due(model, age_column, cutoff))
            .order_by(age_column, model.id)
            .limit(batch)
        ).all()
        if not rows:
            return done
        db.session.execute(
            update(model),
            [{"id": row[0], "anonymised_at": now, **change(row)} for row in rows],
        )
        done += len(rows)


def _clear_columns(
    model: Any, age_column: Any, cutoff: dt.datetime, values: dict[str, Any], *, now: dt.datetime
) -> int:
    result = db.session.execute(
        update(model)
        .where(*_due(model, age_column, cutoff))
        .values(anonymised_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def run_retention(
    *, now: dt.datetime, days: int, batch: int = 1000, dry_run: bool = False
) -> RetentionResult:
    """Anonymise what is older than `days`; with `dry_run`, only count it."""
    cutoff = retention_cutoff(now, days)
    targets = (
        (AccessEvent, AccessEvent.received_at),
        (UsageSession, UsageSession.started_at),
        (QuarantinedEvent, QuarantinedEvent.received_at),
    )
    if dry_run:
        events, sessions, quarantined = (_count(model, column, cutoff) for model, column in targets)
        return RetentionResult(cutoff, events, sessions, quarantined, dry_run=True)
    events = _in_batches(
        AccessEvent,
        AccessEvent.received_at,
        cutoff,
        [AccessEvent.data],
        lambda row: {"member_id": None, "badge_uid": None, "data": _without_personal(row[1])},
        now=now,
        batch=batch,
    )
    # a session's only personal field is a column: one set-based UPDATE does it
    sessions = _clear_columns(
        UsageSession, UsageSession.started_at, cutoff, {"member_id": None}, now=now
    )
    quarantined = _in_batches(
        QuarantinedEvent,
        QuarantinedEvent.received_at,
        cutoff,
        [QuarantinedEvent.payload],
        lambda row: {"payload": _redacted_payload(row[1])},
        now=now,
        batch=batch,
    )
    result = RetentionResult(cutoff, events, sessions, quarantined)
    log.info(
        "retention: %d access events, %d sessions, %d quarantined events anonymised (cutoff %s)",
        events,
        sessions,
        quarantined,
        cutoff.isoformat(),
    )
    return result
