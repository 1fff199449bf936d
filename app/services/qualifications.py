"""Qualifications: which member is trained on which machine. Managers grant them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Member, Qualification, Resource

from . import audit
from .device_outbox import request_acl_refresh_for_resource
from .errors import N_, NotFound, PermissionDenied, ValidationFailed
from .pagination import Page, paginate


def visible_qualifications_query(actor: Member):
    query = (
        select(Qualification)
        .join(Qualification.member)
        .options(joinedload(Qualification.member), joinedload(Qualification.resource))
    )
    if actor.is_manager:
        return query
    if actor.is_tenant_admin:
        return query.where(Member.tenant_id == actor.tenant_id)
    return query.where(Qualification.member_id == actor.id)


def list_qualifications(
    actor: Member,
    *,
    member_id: int | None = None,
    resource_id: int | None = None,
    include_revoked: bool = False,
    page: int = 1,
    per_page: int = 50,
) -> Page[Qualification]:
    query = visible_qualifications_query(actor)
    if member_id is not None:
        query = query.where(Qualification.member_id == member_id)
    if resource_id is not None:
        query = query.where(Qualification.resource_id == resource_id)
    if not include_revoked:
        query = query.where(Qualification.revoked_at.is_(None))
    return paginate(query.order_by(Qualification.granted_at.desc()), page=page, per_page=per_page)


def get_qualification(actor: Member, qualification_id: int) -> Qualification:
    found = db.session.scalar(
        visible_qualifications_query(actor).where(Qualification.id == qualification_id)
    )
    if found is None:
        raise NotFound(N_("No such qualification."))
    return found


def grant_qualification(
    *,
    actor: Member,
    member: Member,
    resource: Resource,
    expires_at: dt.datetime | None,
    now: dt.datetime,
) -> Qualification:
    """Grant, or renew the current grant with the new expiry."""
    if not actor.is_manager:
        raise PermissionDenied(N_("Only managers can do this."))
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed({"expires_at": N_("Choose a moment in the future.")})
    if not member.active:
        raise ValidationFailed({"member_id": N_("This member is deactivated.")})
    if not resource.active:
        raise ValidationFailed({"resource": N_("Unknown resource.")})
    current = db.session.scalar(
        select(Qualification).where(
            Qualification.member_id == member.id,
            Qualification.resource_id == resource.id,
            Qualification.revoked_at.is_(None),
        )
    )
    if current is None:
        current = Qualification(member=member, resource=resource, granted_by=actor, granted_at=now)
        db.session.add(current)
    else:
        current.granted_by = actor
        current.granted_at = now
    current.expires_at = expires_at
    db.session.flush()
    audit.record(
        actor=actor,
        action="qualification.grant",
        object_type="qualification",
        object_id=current.id,
        tenant_id=member.tenant_id,
        details={
            "member_id": member.id,
            "resource": resource.slug,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    request_acl_refresh_for_resource(resource, reason="qualification.grant")
    return current


def revoke_qualification(qualification: Qualification, *, actor: Member, now: dt.datetime) -> None:
    if not actor.is_manager:
        raise PermissionDenied(N_("Only managers can do this."))
    if qualification.revoked_at is not None:
        return
    qualification.revoked_at = now
    audit.record(
        actor=actor,
        action="qualification.revoke",
        object_type="qualification",
        object_id=qualification.id,
        tenant_id=qualification.member.tenant_id,
        details={"member_id": qualification.member_id, "resource": qualification.resource.slug},
    )
    request_acl_refresh_for_resource(qualification.resource_id, reason="qualification.revoke")
