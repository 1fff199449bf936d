"""/api/v1/access-events and /api/v1/usage-sessions: what the devices reported.

Who sees what (the architecture's privacy rule: per-person door history is for
managers):

- `GET /access-events`: managers every event; everyone else only their own.
- `GET /access-events/daily`: granted door entries per facility-local day, as
  counts: tenant admins for their own company, managers for one tenant or all;
  members 403.
- `GET /usage-sessions`: managers every session; tenant admins their tenant's
  (machine use they pay for); members their own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

from app.models import AccessEvent, UsageSession
from app.services import device_activity
from app.services.bookings.localtime import parse_instant
from app.services.device_activity import ActivityFilter
from app.services.pagination import Page
from app.web import now

from .auth import actor
from .device_schemas import (
    AccessEventPage,
    AccessEventQuery,
    ActivityQuery,
    DailyEntries,
    DailyQuery,
    UsageSessionPage,
)
from .references import resource_ref
from .routing import api_route, page_size

TAG = "activity"


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def _instant(value: str | None, field: str) -> dt.datetime | None:
    return parse_instant(value, _zone(), field=field) if value is not None else None


def _filters(query: ActivityQuery) -> ActivityFilter:
    return ActivityFilter(
        device_id=query.device,
        resource_id=resource_ref(query.resource).id if query.resource else None,
        tenant_id=query.tenant,
        member_id=query.member,
        start=_instant(query.start, "start"),
        end=_instant(query.end, "end"),
        before_id=query.before,
        type=getattr(query, "type", None),
    )


@api_route(
    "/access-events",
    "GET",
    query=AccessEventQuery,
    response=AccessEventPage,
    tag=TAG,
    summary="List access events",
)
def list_access_events(query: AccessEventQuery) -> Page[AccessEvent]:
    """Managers see every event; everyone else only their own. Tenant admins read their
    company's door entries as daily counts at `/access-events/daily`. Newest first (by
    the device's time, then id); to read the whole list while events arrive, follow
    `before` (the last id of each page) rather than `page`."""
    return device_activity.list_access_events(
        actor(), _filters(query), page=query.page, per_page=page_size(query)
    )


@api_route(
    "/access-events/daily",
    "GET",
    query=DailyQuery,
    response=DailyEntries,
    tag=TAG,
    summary="Door entries per day, as company counts",
    errors=(403,),
)
def daily_entries(query: DailyQuery) -> dict[str, Any]:
    """Tenant admins: their company's granted door entries per facility-local day (who
    came in stays private). Managers: one tenant's, or everyone's. Members: 403."""
    tenant = query.tenant if actor().is_manager else actor().tenant_id
    days = device_activity.daily_entries(
        actor(),
        tenant_id=tenant,
        start=_instant(query.start, "start"),
        end=_instant(query.end, "end"),
        zone=_zone(),
        now=now(),
    )
    return {"tenant": tenant, "items": [dataclasses.asdict(day) for day in days]}


def _session(session: UsageSession, moment: dt.datetime) -> dict[str, Any]:
    return {
        "id": session.id,
        "session_id": session.session_id,
        "device": session.device_id,
        "resource": session.resource.slug if session.resource else None,
        "member_id": session.member_id,
        "tenant_id": session.tenant_id,
        "started_at": session.started_at,
        "ended_at": session.ended_at,
        "duration_s": int(session.duration_until(moment).total_seconds()),
        "busy_s": session.busy_s,
        "idle_s": session.idle_s,
        "stop_reason": session.stop_reason,
        "provisional_end": session.provisional_end,
    }


@api_route(
    "/usage-sessions",
    "GET",
    query=ActivityQuery,
    response=UsageSessionPage,
    tag=TAG,
    summary="List machine sessions",
)
def list_usage_sessions(query: ActivityQuery) -> Page[dict[str, Any]]:
    """Managers see every session, tenant admins their company's, members their own.
    Newest first; a running session has no end and its duration so far."""
    page = device_activity.list_usage_sessions(
        actor(), _filters(query), page=query.page, per_page=page_size(query)
    )
    moment = now()
    items = [_session(s, moment) for s in page.items]
    return Page(items=items, total=page.total, page=page.page, per_page=page.per_page)
