"""What the devices reported: access events and machine sessions, scoped to who asks.

- Managers see everything, with filters (device, resource, tenant, member, period).
- Tenant admins see their tenant's machine sessions (their company pays for them),
  and door entries only as daily company counts (`daily_entries`), never who came in.
- Everyone else, tenant admins included for events, sees only their own records.

Periods compare with the device's time of the event (``device_time``) or the
session's start.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import AccessEvent, Device, DeviceKind, Member, UsageSession

from .errors import N_, PermissionDenied, ValidationFailed
from .pagination import Page, paginate

ENTRY_TYPE = "access.decision"
#: the longest period a daily count covers in one answer
MAX_DAILY_SPAN = dt.timedelta(days=400)
DEFAULT_DAILY_SPAN = dt.timedelta(days=30)


@dataclass(frozen=True)
class ActivityFilter:
    device_id: str | None = None
    resource_id: int | None = None
    tenant_id: int | None = None
    member_id: int | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    #: only what comes after this record in the list (older, or as old with a lower id):
    #: a cursor that stays put while new records arrive, unlike a page number
    before_id: int | None = None
    #: access events of this type only (access.decision, door.opened, ...)
    type: str | None = None

    def check(self) -> None:
        if self.start and self.end and self.end <= self.start:
            raise ValidationFailed({"end": N_("The end must be after the start.")})


@dataclass(frozen=True)
class DailyEntries:
    date: dt.date
    entries: int
    people: int


def list_access_events(
    actor: Member, filters: ActivityFilter, *, page: int = 1, per_page: int = 50
) -> Page[AccessEvent]:
    """Managers: every event. Everyone else: their own (per-person door history is private)."""
    filters.check()
    query: Select[tuple[AccessEvent]] = select(AccessEvent)
    if not actor.is_manager:
        query = query.where(AccessEvent.member_id == actor.id)
    query = _filtered(query, AccessEvent, filters, AccessEvent.device_time)
    if filters.type is not None:
        query = query.where(AccessEvent.type == filters.type)
    query = _after_cursor(query, AccessEvent, AccessEvent.device_time, filters.before_id)
    order = (AccessEvent.device_time.desc(), AccessEvent.id.desc())
    return paginate(query.order_by(*order), page=page, per_page=per_page)


def list_usage_sessions(
    actor: Member, filters: ActivityFilter, *, page: int = 1, per_page: int = 50
) -> Page[UsageSession]:
    """Managers: every session. Tenant admins: their tenant's. Members: their own."""
    filters.check()
    query: Select[tuple[UsageSession]] = select(UsageSession).options(
        joinedload(UsageSession.resource), joinedload(UsageSession.member)
    )
    if actor.is_tenant_admin:
        query = query.where(UsageSession.tenant_id == actor.tenant_id)
    elif not actor.is_manager:
        query = query.where(UsageSession.member_id == actor.id)
    query = _filtered(query, UsageSession, filters, UsageSession.started_at)
    query = _after_cursor(query, UsageSession, UsageSession.started_at, filters.before_id)
    order = (UsageSession.started_at.desc(), UsageSession.id.desc())
    return paginate(query.order_by(*order), page=page, per_page=per_page)


def _after_cursor(
    query: Select[Any], model: Any, moment: Any, before_id: int | None
) -> Select[Any]:
    """The records listed after `before_id` (newest first: older, or as old and a lower
    id). The cursor must be one the caller can see in this list, so it tells nothing of
    records they may not see."""
    if before_id is None:
        return query
    anchor = db.session.execute(
        query.with_only_columns(moment, model.id).where(model.id == before_id).order_by(None)
    ).first()
    if anchor is None:
        raise ValidationFailed({"before": N_("This record is not in the list you asked for.")})
    at, anchor_id = anchor
    # `moment <= at` first: a range the time index bounds (the page and its count)
    return query.where(moment <= at, or_(moment < at, model.id < anchor_id))


def _filtered(query: Select[Any], model: Any, filters: ActivityFilter, moment: Any) -> Select[Any]:
    """`model` has device_id, resource_id, tenant_id, member_id; `moment` is its time column."""
    for column, value in (
        (model.device_id, filters.device_id),
        (model.resource_id, filters.resource_id),
        (model.tenant_id, filters.tenant_id),
        (model.member_id, filters.member_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if filters.start is not None:
        query = query.where(moment >= filters.start)
    if filters.end is not None:
        query = query.where(moment < filters.end)
    return query


def daily_entries(
    actor: Member,
    *,
    tenant_id: int | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    zone: ZoneInfo,
    now: dt.datetime,
) -> list[DailyEntries]:
    """Granted door entries per local day for one company (or all, for managers).

    Tenant admins get their own company's counts whatever `tenant_id` says; members none.
    """
    if actor.is_tenant_admin:
        tenant_id = actor.tenant_id
    elif not actor.is_manager:
        raise PermissionDenied(N_("Only managers and company admins can see entry counts."))
    end = end or now
    start = start or end - DEFAULT_DAILY_SPAN
    if end <= start:
        raise ValidationFailed({"end": N_("The end must be after the start.")})
    if end - start > MAX_DAILY_SPAN:
        raise ValidationFailed({"end": N_("Ask for at most 400 days at a time.")})
    query = (
        select(AccessEvent.device_time, AccessEvent.member_id)
        .join(Device, Device.id == AccessEvent.device_id)
        .where(
            Device.kind == DeviceKind.DOOR,
            AccessEvent.type == ENTRY_TYPE,
            AccessEvent.granted.is_(True),
            AccessEvent.device_time >= start,
            AccessEvent.device_time < end,
        )
    )
    if tenant_id is not None:
        query = query.where(AccessEvent.tenant_id == tenant_id)
    entries: Counter[dt.date] = Counter()
    people: defaultdict[dt.date, set[int]] = defaultdict(set)
    for moment, member_id in db.session.execute(query):
        day = moment.astimezone(zone).date()
        entries[day] += 1
        if member_id is not None:
            people[day].add(member_id)
    return [DailyEntries(day, entries[day], len(people[day])) for day in sorted(entries)]


def recent_events(device: Device, *, limit: int = 20) -> list[tuple[AccessEvent, Member | None]]:
    """A device's latest events with their members, newest first (for managers' pages)."""
    rows = db.session.execute(
        select(AccessEvent, Member)
        .outerjoin(Member, Member.id == AccessEvent.member_id)
        .where(AccessEvent.device_id == device.id)
        .order_by(AccessEvent.received_at.desc(), AccessEvent.id.desc())
        .limit(limit)
    )
    return [(event, member) for event, member in rows]
