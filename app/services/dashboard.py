"""Numbers for the start pages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Badge, Member, Qualification, Resource, Tenant, TenantStatus


def _count(query: Any) -> int:
    return int(db.session.scalar(query) or 0)


def manager_overview() -> dict[str, Any]:
    return {
        "tenants": _count(
            select(func.count(Tenant.id)).where(Tenant.status == TenantStatus.ACTIVE)
        ),
        "members": _count(select(func.count(Member.id)).where(Member.active.is_(True))),
        "badges": _count(select(func.count(Badge.id)).where(Badge.active.is_(True))),
        "resources": _count(select(func.count(Resource.id)).where(Resource.active.is_(True))),
        "recent": list(db.session.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(10))),
    }


def tenant_overview(admin: Member) -> dict[str, Any]:
    return {
        "tenant": admin.tenant,
        "members": _count(
            select(func.count(Member.id)).where(
                Member.tenant_id == admin.tenant_id, Member.active.is_(True)
            )
        ),
        "badges": _count(
            select(func.count(Badge.id))
            .join(Badge.member)
            .where(Member.tenant_id == admin.tenant_id, Badge.active.is_(True))
        ),
    }


def member_overview(member: Member) -> dict[str, Any]:
    return {
        "badges": list(
            db.session.scalars(
                select(Badge).where(Badge.member_id == member.id, Badge.active.is_(True))
            )
        ),
        "qualifications": list(
            db.session.scalars(
                select(Qualification).where(
                    Qualification.member_id == member.id, Qualification.revoked_at.is_(None)
                )
            )
        ),
    }
