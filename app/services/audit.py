from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import AuditLog, Member

from .errors import N_, PermissionDenied
from .pagination import Page, paginate


def record(
    *,
    actor: Member | None,
    action: str,
    object_type: str,
    object_id: object,
    tenant_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLog:
    """Append one audit row in the caller's transaction. Never put secrets in `details`."""
    entry = AuditLog(
        actor_id=actor.id if actor else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        tenant_id=tenant_id,
        details=details or {},
    )
    db.session.add(entry)
    return entry


def list_audit(
    actor: Member,
    *,
    action_prefix: str = "",
    object_type: str = "",
    page: int = 1,
    per_page: int = 50,
) -> Page[AuditLog]:
    """The audit log, newest first, for managers. Filters match exactly (no wildcards)."""
    if not actor.is_manager:
        raise PermissionDenied(N_("Only managers can do this."))
    query = select(AuditLog).options(joinedload(AuditLog.actor))
    if action_prefix:
        query = query.where(AuditLog.action.startswith(action_prefix[:64], autoescape=True))
    if object_type:
        query = query.where(AuditLog.object_type == object_type[:32])
    return paginate(
        query.order_by(AuditLog.at.desc(), AuditLog.id.desc()), page=page, per_page=per_page
    )
