from __future__ import annotations

from typing import Any

from app.extensions import db
from app.models import AuditLog, Member


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
