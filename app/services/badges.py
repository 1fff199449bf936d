"""Badges: assigned to members by managers and by their tenant's admins."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Badge, Member
from bridge_protocol.badges import READER_FORMATS, BadgeFormatError, normalize

from . import audit
from .device_outbox import request_acl_refresh
from .errors import N_, Conflict, NotFound, ValidationFailed
from .members import require_manageable
from .pagination import Page, paginate
from .validation import clean_text


def visible_badges_query(actor: Member):
    query = select(Badge).join(Badge.member).options(joinedload(Badge.member))
    if actor.is_manager:
        return query
    if actor.is_tenant_admin:
        return query.where(Member.tenant_id == actor.tenant_id)
    return query.where(Badge.member_id == actor.id)


def list_badges(
    actor: Member,
    *,
    member_id: int | None = None,
    include_revoked: bool = False,
    page: int = 1,
    per_page: int = 50,
) -> Page[Badge]:
    query = visible_badges_query(actor)
    if member_id is not None:
        query = query.where(Badge.member_id == member_id)
    if not include_revoked:
        query = query.where(Badge.active.is_(True))
    return paginate(query.order_by(Badge.issued_at.desc()), page=page, per_page=per_page)


def get_badge(actor: Member, badge_id: int) -> Badge:
    badge = db.session.scalar(visible_badges_query(actor).where(Badge.id == badge_id))
    if badge is None:
        raise NotFound(N_("No such badge."))
    return badge


def canonical_uid(raw: str, reader_format: str) -> str:
    if reader_format not in READER_FORMATS:
        raise ValidationFailed({"reader_format": N_("Choose one of the listed reader formats.")})
    try:
        return normalize(raw, reader_format)
    except BadgeFormatError as exc:
        raise ValidationFailed(
            {"uid": N_("This is not a valid badge number for the chosen format.")}
        ) from exc


def assign_badge(
    *,
    actor: Member,
    member: Member,
    uid: str,
    reader_format: str = "hex",
    label: str = "",
    now: dt.datetime,
) -> Badge:
    require_manageable(actor, member)
    errors: dict[str, str] = {}
    label, error = clean_text(label, max_length=80, required=False)
    if error:
        errors["label"] = error
    try:
        canonical = canonical_uid(uid, reader_format)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if errors:
        raise ValidationFailed(errors)
    if not member.active:
        raise ValidationFailed({"member_id": N_("This member is deactivated.")})
    if db.session.scalar(select(Badge.id).where(Badge.uid == canonical, Badge.active.is_(True))):
        raise Conflict(N_("This badge is already assigned. Revoke it first."))
    badge = Badge(uid=canonical, member=member, label=label, issued_at=now)
    db.session.add(badge)
    db.session.flush()
    audit.record(
        actor=actor,
        action="badge.assign",
        object_type="badge",
        object_id=badge.id,
        tenant_id=member.tenant_id,
        details={"member_id": member.id, "uid": canonical},
    )
    request_acl_refresh(reason="badge.assign")
    return badge


def revoke_badge(badge: Badge, *, actor: Member, now: dt.datetime) -> None:
    require_manageable(actor, badge.member)
    if not badge.active:
        return
    badge.revoke(now)
    audit.record(
        actor=actor,
        action="badge.revoke",
        object_type="badge",
        object_id=badge.id,
        tenant_id=badge.member.tenant_id,
        details={"member_id": badge.member_id, "uid": badge.uid},
    )
    request_acl_refresh(reason="badge.revoke")
