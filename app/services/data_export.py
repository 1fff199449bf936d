"""Data exports on request (GDPR): everything stored about a member, or about a tenant.

Managers only: the incubator answers data-subject requests; tenant admins and
members ask a manager (docs/privacy.md). Every export is written to the audit
log, in the caller's transaction, with its format and row counts.

An export is a set of named tables (lists of flat rows with fixed columns);
`export_json` writes them as one JSON document, `export_csv_zip` as a zip with
one CSV per table in the Belgian spreadsheet dialect of `reports.csv_format`.
Badge numbers appear only as SHA-256 fingerprints: a full UID is enough to
clone a card, and an export travels by e-mail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import (
    AccessEvent,
    ApiToken,
    Badge,
    Booking,
    Member,
    Qualification,
    Resource,
    Tenant,
    UsageSession,
)

from . import audit
from .errors import N_, NotFound, PermissionDenied
from .reports.csv_format import csv_bytes

FORMATS = ("json", "csv")
Row = dict[str, Any]

# The columns of every table, in order (also when a table has no rows).
COLUMNS: dict[str, tuple[str, ...]] = {
    "profile": (
        "id",
        "email",
        "name",
        "role",
        "tenant_id",
        "tenant",
        "locale",
        "active",
        "notify_bookings",
        "notify_digest",
        "created_at",
        "updated_at",
        "deactivated_at",
    ),
    "tenant": (
        "id",
        "name",
        "slug",
        "sector",
        "status",
        "contract_start",
        "contract_end",
        "public_opt_in",
        "quota_hours",
        "allow_overage",
        "created_at",
        "updated_at",
        "deactivated_at",
    ),
    "members": (
        "id",
        "email",
        "name",
        "role",
        "locale",
        "active",
        "created_at",
        "deactivated_at",
    ),
    "badges": ("id", "uid_sha256", "label", "active", "issued_at", "revoked_at"),
    "qualifications": (
        "id",
        "resource",
        "granted_by",
        "granted_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ),
    "api_tokens": (
        "id",
        "name",
        "prefix",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ),
    "bookings": (
        "id",
        "resource",
        "tenant_id",
        "booked_by_id",
        "booked_for_id",
        "booked_for",
        "title",
        "note",
        "start",
        "end",
        "status",
        "late_change",
        "checked_in_at",
        "created_at",
        "cancelled_at",
    ),
    "access_events": (
        "id",
        "event_id",
        "device_id",
        "type",
        "resource",
        "badge_sha256",
        "granted",
        "reason",
        "mode",
        "device_time",
        "received_at",
    ),
    "sessions": (
        "id",
        "session_id",
        "device_id",
        "resource",
        "tenant_id",
        "member_id",
        "member",
        "started_at",
        "ended_at",
        "stop_reason",
        "busy_s",
        "idle_s",
    ),
}


@dataclass(frozen=True)
class DataExport:
    subject: str  # "member" or "tenant"
    subject_id: int
    generated_at: dt.datetime
    tables: dict[str, list[Row]] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.tables.items()}

    @property
    def filename_stem(self) -> str:
        return f"{self.subject}-{self.subject_id}-data-{self.generated_at:%Y%m%d}"


def fingerprint(uid: str | None) -> str | None:
    return hashlib.sha256(uid.encode()).hexdigest() if uid else None


def _require_manager(actor: Member) -> None:
    if not actor.is_manager:
        raise PermissionDenied(N_("Only managers can export personal data."))


def _resource_name(resource: Any) -> str | None:
    return resource.slug if resource is not None else None


def _member_row(member: Member) -> Row:
    return {
        "id": member.id,
        "email": member.email,
        "name": member.name,
        "role": member.role.value,
        "tenant_id": member.tenant_id,
        "tenant": member.tenant.name if member.tenant else None,
        "locale": member.locale,
        "active": member.active,
        "notify_bookings": member.notify_bookings,
        "notify_digest": member.notify_digest,
        "created_at": member.created_at,
        "updated_at": member.updated_at,
        "deactivated_at": member.deactivated_at,
    }


def _booking_rows(where: Any) -> list[Row]:
    bookings = db.session.scalars(
        select(Booking)
        .options(joinedload(Booking.resource), joinedload(Booking.booked_for))
        .where(where)
        .order_by(Booking.start, Booking.id)
    )
    return [
        {
            "id": b.id,
            "resource": b.resource.slug,
            "tenant_id": b.tenant_id,
            "booked_by_id": b.booked_by_id,
            "booked_for_id": b.booked_for_id,
            "booked_for": b.booked_for.name,
            "title": b.title,
            "note": b.note,
            "start": b.start,
            "end": b.end,
            "status": b.status.value,
            "late_change": b.late_change,
            "checked_in_at": b.checked_in_at,
            "created_at": b.created_at,
            "cancelled_at": b.cancelled_at,
        }
        for b in bookings
    ]


def _session_rows(where: Any) -> list[Row]:
    sessions = db.session.scalars(
        select(UsageSession)
        .options(joinedload(UsageSession.resource), joinedload(UsageSession.member))
        .where(where)
        .order_by(UsageSession.started_at, UsageSession.id)
    )
    return [
        {
            "id": s.id,
            "session_id": s.session_id,
            "device_id": s.device_id,
            "resource": _resource_name(s.resource),
            "tenant_id": s.tenant_id,
            "member_id": s.member_id,
            "member": s.member.name if s.member else None,
            "started_at": s.started_at,
            "ended_at": s.ended_at,
            "stop_reason": s.stop_reason,
            "busy_s": s.busy_s,
            "idle_s": s.idle_s,
        }
        for s in sessions
    ]


def _member_tables(member: Member) -> dict[str, list[Row]]:
    badges = db.session.scalars(
        select(Badge).where(Badge.member_id == member.id).order_by(Badge.issued_at, Badge.id)
    )
    qualifications = db.session.scalars(
        select(Qualification)
        .options(joinedload(Qualification.resource), joinedload(Qualification.granted_by))
        .where(Qualification.member_id == member.id)
        .order_by(Qualification.granted_at, Qualification.id)
    )
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.member_id == member.id).order_by(ApiToken.id)
    )
    events = db.session.execute(
        select(AccessEvent)
        .where(AccessEvent.member_id == member.id)
        .order_by(AccessEvent.device_time, AccessEvent.id)
    ).scalars()
    resource_slugs = _resource_slugs()
    return {
        "profile": [_member_row(member)],
        "badges": [
            {
                "id": b.id,
                "uid_sha256": fingerprint(b.uid),
                "label": b.label,
                "active": b.active,
                "issued_at": b.issued_at,
                "revoked_at": b.revoked_at,
            }
            for b in badges
        ],
        "qualifications": [
            {
                "id": q.id,
                "resource": q.resource.slug,
                "granted_by": q.granted_by.name if q.granted_by else None,
                "granted_at": q.granted_at,
                "expires_at": q.expires_at,
                "revoked_at": q.revoked_at,
                "last_used_at": q.last_used_at,
            }
            for q in qualifications
        ],
        "api_tokens": [
            {
                "id": t.id,
                "name": t.name,
                "prefix": t.prefix,
                "created_at": t.created_at,
                "expires_at": t.expires_at,
                "revoked_at": t.revoked_at,
                "last_used_at": t.last_used_at,
            }
            for t in tokens
        ],
        "bookings": _booking_rows(
            or_(Booking.booked_for_id == member.id, Booking.booked_by_id == member.id)
        ),
        "access_events": [
            {
                "id": e.id,
                "event_id": e.event_id,
                "device_id": e.device_id,
                "type": e.type,
                "resource": resource_slugs.get(e.resource_id) if e.resource_id else None,
                "badge_sha256": fingerprint(e.badge_uid),
                "granted": e.granted,
                "reason": e.reason,
                "mode": e.mode,
                "device_time": e.device_time,
                "received_at": e.received_at,
            }
            for e in events
        ],
        "sessions": _session_rows(UsageSession.member_id == member.id),
    }


def _resource_slugs() -> dict[int, str]:
    return dict(db.session.execute(select(Resource.id, Resource.slug)).tuples().all())


def export_member_data(actor: Member, member_id: int, *, fmt: str, now: dt.datetime) -> DataExport:
    """Everything stored about one member; the export is audit-logged."""
    _require_manager(actor)
    member = db.session.get(Member, member_id)
    if member is None:
        raise NotFound(N_("No such member."))
    export = DataExport("member", member.id, now, _member_tables(member))
    audit.record(
        actor=actor,
        action="member.data_export",
        object_type="member",
        object_id=member.id,
        tenant_id=member.tenant_id,
        details={"format": fmt, "rows": export.counts},
    )
    return export


def export_tenant_data(actor: Member, tenant_id: int, *, fmt: str, now: dt.datetime) -> DataExport:
    """A tenant, its members, its bookings and its machine sessions; audit-logged."""
    _require_manager(actor)
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound(N_("No such tenant."))
    members = db.session.scalars(
        select(Member).where(Member.tenant_id == tenant.id).order_by(Member.id)
    )
    tables = {
        "tenant": [
            {
                "id": tenant.id,
                "name": tenant.name,
                "slug": tenant.slug,
                "sector": tenant.sector.value,
                "status": tenant.status.value,
                "contract_start": tenant.contract_start,
                "contract_end": tenant.contract_end,
                "public_opt_in": tenant.public_opt_in,
                "quota_hours": tenant.quota_hours,
                "allow_overage": tenant.allow_overage,
                "created_at": tenant.created_at,
                "updated_at": tenant.updated_at,
                "deactivated_at": tenant.deactivated_at,
            }
        ],
        "members": [
            {key: row[key] for key in COLUMNS["members"]}
            for row in (_member_row(m) for m in members)
        ],
        "bookings": _booking_rows(Booking.tenant_id == tenant.id),
        "sessions": _session_rows(UsageSession.tenant_id == tenant.id),
    }
    export = DataExport("tenant", tenant.id, now, tables)
    audit.record(
        actor=actor,
        action="tenant.data_export",
        object_type="tenant",
        object_id=tenant.id,
        tenant_id=tenant.id,
        details={"format": fmt, "rows": export.counts},
    )
    return export


# -- writing -------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def export_document(export: DataExport) -> dict[str, Any]:
    """The export as JSON-ready data: instants in UTC (`Z`), dates as YYYY-MM-DD."""
    return {
        "export": export.subject,
        "id": export.subject_id,
        "generated_at": _json_value(export.generated_at),
        "tables": {
            name: [{key: _json_value(row.get(key)) for key in COLUMNS[name]} for row in rows]
            for name, rows in export.tables.items()
        },
    }


def export_json(export: DataExport) -> bytes:
    return json.dumps(export_document(export), ensure_ascii=False, indent=2).encode("utf-8")


def _csv_cells(name: str, rows: Iterable[Row]) -> Iterable[list[Any]]:
    for row in rows:
        yield [
            json.dumps(value) if isinstance(value, dict | list) else value
            for value in (row.get(key) for key in COLUMNS[name])
        ]


def export_csv_zip(export: DataExport, *, zone: ZoneInfo) -> bytes:
    """A zip with one CSV per table (`profile.csv`, `bookings.csv`, ...)."""
    buffer = io.BytesIO()
    stamp = export.generated_at.astimezone(zone)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, rows in export.tables.items():
            info = zipfile.ZipInfo(f"{export.filename_stem}/{name}.csv", stamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, csv_bytes(COLUMNS[name], _csv_cells(name, rows), zone=zone))
    return buffer.getvalue()
