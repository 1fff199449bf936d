"""Closures imported from external calendars: public holidays, maintenance windows.

A manager adds a calendar by link (refreshed on a schedule with a conditional
GET, under the outgoing-HTTP rules of `calendars.fetch`) or as an uploaded
.ics, and chooses the resources it closes (none: the whole building). Each
event occurrence becomes a `Closure` per resource, with `source` "calendar:<id>"
and the event's UID, so a refresh replaces exactly what the calendar gave
before. A refresh that fails (network, a broken file) changes no closure: the
last good copy keeps blocking, and the error is kept for the managers' page.

Bookings are not cancelled when a closure lands on them: the ones in the way
are returned so a manager can deal with them.

Downloading (`download`) touches no database, and writing touches no network:
the caller holds no transaction while a slow calendar server answers (on
SQLite every transaction holds the write lock, and bookings would wait).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import CalendarSource, Closure, Member, Resource
from calendars.fetch import FetchError, Network, fetch
from calendars.importing import BlockingInterval, CalendarImportError, parse_blocking_intervals

from . import audit
from .calendar_collisions import Collision, bookings_in_closures
from .errors import N_, NotFound, PermissionDenied, RuleViolation, ValidationFailed
from .validation import clean_text

log = logging.getLogger(__name__)

URL_SCHEMES = ("http://", "https://", "webcal://")


@dataclass(frozen=True)
class ImportSettings:
    zone: ZoneInfo
    # CIDRs that may be fetched although they are not public (config: none by default).
    allowed_networks: tuple[str, ...] = ()
    timeout: float = 10.0
    max_bytes: int = 2 * 1024 * 1024
    days_ahead: int = 400
    refresh_every: dt.timedelta = dt.timedelta(hours=1)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ImportSettings:
        """From the app's configuration (TIMEZONE and the CALENDAR_* keys)."""
        return cls(
            zone=ZoneInfo(str(config["TIMEZONE"])),
            allowed_networks=tuple(config.get("CALENDAR_ALLOWED_NETWORKS") or ()),
            timeout=float(config.get("CALENDAR_FETCH_TIMEOUT", 10)),
            max_bytes=int(config.get("CALENDAR_MAX_KB", 2048)) * 1024,
            days_ahead=int(config.get("CALENDAR_IMPORT_DAYS", 400)),
            refresh_every=dt.timedelta(minutes=int(config.get("CALENDAR_REFRESH_MINUTES", 60))),
        )

    def networks(self) -> list[Network]:
        return [ipaddress.ip_network(cidr, strict=False) for cidr in self.allowed_networks]


@dataclass
class ImportResult:
    source: CalendarSource
    outcome: str  # "updated", "unchanged" or "failed"
    added: int = 0
    removed: int = 0
    error: str | None = None
    # Bookings in the way of closures this import added or changed.
    collisions: list[Collision] = field(default_factory=list)


def _require_manager(actor: Member) -> None:
    if not actor.is_manager:
        raise PermissionDenied(N_("Only managers manage imported calendars."))


# -- reading -----------------------------------------------------------------------


def list_sources(actor: Member) -> list[CalendarSource]:
    _require_manager(actor)
    return list(
        db.session.scalars(
            select(CalendarSource)
            .options(selectinload(CalendarSource.resources))
            .order_by(CalendarSource.active.desc(), CalendarSource.name, CalendarSource.id)
        )
    )


def get_source(actor: Member, source_id: int) -> CalendarSource:
    _require_manager(actor)
    source = db.session.get(CalendarSource, source_id)
    if source is None:
        raise NotFound(N_("No such calendar."))
    return source


# -- downloading and parsing ---------------------------------------------------------


def _parse(data: bytes, *, settings: ImportSettings, now: dt.datetime) -> list[BlockingInterval]:
    return parse_blocking_intervals(
        data,
        zone=settings.zone,
        window_start=now - dt.timedelta(days=1),
        window_end=now + dt.timedelta(days=settings.days_ahead),
        max_bytes=settings.max_bytes,
    )


@dataclass(frozen=True)
class Download:
    """What fetching a calendar brought back: a body, "not modified", or an error."""

    body: bytes = b""
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class PlannedRefresh:
    """A calendar to fetch, read before the transaction ends (no ORM object held)."""

    source_id: int
    url: str
    etag: str | None
    last_modified: str | None


def download(
    url: str,
    *,
    settings: ImportSettings,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Download:
    """GET the calendar under the outgoing-HTTP rules. Network only: no database here."""
    try:
        result = fetch(
            url,
            etag=etag,
            last_modified=last_modified,
            timeout=settings.timeout,
            max_bytes=settings.max_bytes,
            allowed_networks=settings.networks(),
        )
    except FetchError as exc:
        return Download(error=str(exc)[:1000])
    return Download(
        body=result.body,
        not_modified=result.status == 304,
        etag=result.etag,
        last_modified=result.last_modified,
    )


def _unusable(field_name: str, reason: str) -> ValidationFailed:
    # `reason` is the calendars library's English explanation, shown as it is.
    return ValidationFailed({field_name: reason}, N_("This calendar cannot be used."))


def clean_url(url: str) -> str:
    """A link worth trying (the fetch checks the rest), or ValidationFailed."""
    url = (url or "").strip()
    if not url:
        raise ValidationFailed({"url": N_("Give a link or upload a file.")})
    if len(url) > 2000 or not url.lower().startswith(URL_SCHEMES):
        raise ValidationFailed({"url": N_("Give an http, https or webcal link.")})
    return url


# -- writing -----------------------------------------------------------------------


def _replace_closures(
    source: CalendarSource,
    intervals: Sequence[BlockingInterval],
    *,
    now: dt.datetime,
) -> tuple[list[Closure], int]:
    """Make the source's closures those of `intervals`, keyed by event UID and start.

    Closures that ended before the parse window began are history and stay.
    Returns the closures added or changed in time, and how many were removed.
    """
    window_start = now - dt.timedelta(days=1)
    resource_ids: list[int | None] = [r.id for r in source.resources] or [None]
    existing = {
        (closure.external_uid or "", closure.start, closure.resource_id): closure
        for closure in db.session.scalars(
            select(Closure).where(
                Closure.source == source.closure_source, Closure.end > window_start
            )
        )
    }
    wanted = {
        (interval.uid, interval.start, resource_id): interval
        for interval in intervals
        for resource_id in resource_ids
    }
    removed = 0
    for key, closure in existing.items():
        if key not in wanted:
            db.session.delete(closure)
            removed += 1
    fresh: list[Closure] = []
    for (uid, start, resource_id), interval in wanted.items():
        known = existing.get((uid, start, resource_id))
        if known is None:
            closure = Closure(
                resource_id=resource_id,
                start=start,
                end=interval.end,
                reason=interval.summary or source.name[:200],
                source=source.closure_source,
                external_uid=uid,
                created_by_id=source.created_by_id,
                created_at=now,
            )
            db.session.add(closure)
            fresh.append(closure)
        else:
            known.reason = interval.summary or source.name[:200]
            if known.end != interval.end:
                known.end = interval.end
                fresh.append(known)
    db.session.flush()
    source.closure_count = _count_closures(source)
    return fresh, removed


def _count_closures(source: CalendarSource) -> int:
    return int(
        db.session.scalar(
            select(func.count()).select_from(Closure).where(Closure.source == source.closure_source)
        )
        or 0
    )


def _apply(
    source: CalendarSource,
    intervals: Sequence[BlockingInterval],
    *,
    now: dt.datetime,
) -> ImportResult:
    with db.session.begin_nested():  # all of the new copy, or none of it
        fresh, removed = _replace_closures(source, intervals, now=now)
        source.last_success_at = now
        source.last_error = None
    return ImportResult(
        source,
        "updated",
        added=len(fresh),
        removed=removed,
        collisions=bookings_in_closures(fresh, now=now),
    )


def add_source(
    *,
    actor: Member,
    name: str,
    url: str | None = None,
    fetched: Download | None = None,
    upload: bytes | None = None,
    resources: Sequence[Resource] = (),
    settings: ImportSettings,
    now: dt.datetime,
) -> ImportResult:
    """A new calendar from an uploaded file, or from `url` as `fetched` (see `download`).

    One that cannot be used is not added: ValidationFailed says why.
    """
    _require_manager(actor)
    name, error = clean_text(name, max_length=120)
    if error:
        raise ValidationFailed({"name": error})
    if upload is not None:
        if url:
            raise ValidationFailed({"url": N_("Give a link or upload a file, not both.")})
        data, problem_field = upload, "file"
        fetched = None
    else:
        url = clean_url(url or "")
        if fetched is None or fetched.error or fetched.not_modified:
            raise _unusable("url", (fetched.error if fetched else None) or "not downloaded")
        data, problem_field = fetched.body, "url"
    try:
        intervals = _parse(data, settings=settings, now=now)
    except CalendarImportError as exc:
        raise _unusable(problem_field, str(exc)) from None
    source = CalendarSource(
        name=name,
        url=url if fetched is not None else None,
        etag=fetched.etag if fetched else None,
        http_last_modified=fetched.last_modified if fetched else None,
        last_attempt_at=now,
        created_by_id=actor.id,
        resources=list(resources),
        created_at=now,
        updated_at=now,
    )
    db.session.add(source)
    db.session.flush()
    result = _apply(source, intervals, now=now)
    audit.record(
        actor=actor,
        action="calendar_source.create",
        object_type="calendar_source",
        object_id=source.id,
        details={
            "name": name,
            "resources": [r.slug for r in resources],
            "closures": source.closure_count,
        },
    )
    return result


def replace_upload(
    source: CalendarSource,
    *,
    actor: Member,
    upload: bytes,
    settings: ImportSettings,
    now: dt.datetime,
) -> ImportResult:
    """A new version of an uploaded calendar; a file that cannot be used changes nothing."""
    _require_manager(actor)
    if not source.active:
        raise RuleViolation(N_("This calendar is switched off."), rule="inactive")
    try:
        intervals = _parse(upload, settings=settings, now=now)
    except CalendarImportError as exc:
        raise _unusable("file", str(exc)) from None
    source.url = None
    source.etag = source.http_last_modified = None
    source.last_attempt_at = now
    result = _apply(source, intervals, now=now)
    _audit_refresh(actor, source, result)
    return result


def plan_refresh(source: CalendarSource, *, force: bool = False) -> PlannedRefresh:
    """What to fetch for `source` (validators left out when `force`)."""
    if source.url is None:
        raise RuleViolation(
            N_("An uploaded calendar is refreshed by uploading it again."), rule="uploaded"
        )
    if not source.active:
        raise RuleViolation(N_("This calendar is switched off."), rule="inactive")
    return PlannedRefresh(
        source_id=source.id,
        url=source.url,
        etag=None if force else source.etag,
        last_modified=None if force else source.http_last_modified,
    )


def refresh_source(
    source: CalendarSource,
    *,
    fetched: Download,
    settings: ImportSettings,
    now: dt.datetime,
    actor: Member | None = None,
) -> ImportResult:
    """Replace the closures of `source` with what `fetched` holds.

    A failure (download or parse) is recorded on the source and returned, never
    raised: the closures of the last good copy stay.
    """
    if actor is not None:
        _require_manager(actor)
    plan_refresh(source)  # still a link calendar, still switched on
    source.last_attempt_at = now
    if fetched.error is not None:
        return _failed(source, fetched.error)
    if fetched.not_modified:
        source.last_success_at = now
        source.last_error = None
        result = ImportResult(source, "unchanged")
    else:
        try:
            intervals = _parse(fetched.body, settings=settings, now=now)
        except CalendarImportError as exc:
            return _failed(source, str(exc))
        source.etag, source.http_last_modified = fetched.etag, fetched.last_modified
        result = _apply(source, intervals, now=now)
    if actor is not None:
        _audit_refresh(actor, source, result)
    return result


def _failed(source: CalendarSource, error: str) -> ImportResult:
    source.last_error = error[:1000]
    log.warning("calendar %s could not be refreshed: %s", source.id, error)
    return ImportResult(source, "failed", error=source.last_error)


def _audit_refresh(actor: Member, source: CalendarSource, result: ImportResult) -> None:
    audit.record(
        actor=actor,
        action="calendar_source.refresh",
        object_type="calendar_source",
        object_id=source.id,
        details={"outcome": result.outcome, "added": result.added, "removed": result.removed},
    )


def planned_refreshes(
    *, settings: ImportSettings, now: dt.datetime, due_only: bool = True
) -> list[PlannedRefresh]:
    """Active link calendars not tried for about `refresh_every` (or all of them).

    A tenth of slack, so an hourly job does not skip every other hour because the
    previous pass ran a few seconds later.
    """
    threshold = now - settings.refresh_every * 0.9
    sources = db.session.scalars(
        select(CalendarSource)
        .where(CalendarSource.active.is_(True), CalendarSource.url.is_not(None))
        .order_by(CalendarSource.id)
    )
    return [
        plan_refresh(source)
        for source in sources
        if not due_only or source.last_attempt_at is None or source.last_attempt_at <= threshold
    ]


def deactivate_source(source: CalendarSource, *, actor: Member, now: dt.datetime) -> int:
    """Stop using a calendar: its closures from now on are removed, past ones stay.

    Returns how many closures were removed.
    """
    _require_manager(actor)
    closures = list(
        db.session.scalars(
            select(Closure).where(Closure.source == source.closure_source, Closure.end > now)
        )
    )
    for closure in closures:
        db.session.delete(closure)
    source.active = False
    db.session.flush()
    source.closure_count = _count_closures(source)
    audit.record(
        actor=actor,
        action="calendar_source.deactivate",
        object_type="calendar_source",
        object_id=source.id,
        details={"removed": len(closures)},
    )
    return len(closures)
