"""Members (people who log in), with the role rules of the architecture.

Managers manage everyone. Tenant admins manage their own tenant's members and
may give only the roles member and tenant_admin. Members see only themselves.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, joinedload

from app.extensions import db
from app.models import LOCALES, Member, Role, Tenant

from . import audit, passwords
from .accounts import MailContext, send_invitation
from .device_outbox import request_acl_refresh
from .errors import N_, UNSET, NotFound, PermissionDenied, ValidationFailed
from .pagination import Page, paginate
from .validation import clean_email, clean_text, printable


def managers_wanting(preference: InstrumentedAttribute[bool]) -> list[Member]:
    """Active managers whose notification `preference` (a boolean `Member` column such as
    `Member.notify_digest`) is on, in a stable order: who gets a managers' e-mail."""
    return list(
        db.session.scalars(
            select(Member)
            .where(Member.role == Role.MANAGER, Member.active.is_(True), preference.is_(True))
            .order_by(Member.id)
        )
    )


def visible_members_query(actor: Member):
    query = select(Member).options(joinedload(Member.tenant))
    if actor.is_manager:
        return query
    if actor.is_tenant_admin:
        return query.where(Member.tenant_id == actor.tenant_id)
    return query.where(Member.id == actor.id)


def list_members(
    actor: Member,
    *,
    tenant_id: int | None = None,
    include_inactive: bool = False,
    search: str = "",
    page: int = 1,
    per_page: int = 50,
) -> Page[Member]:
    query = visible_members_query(actor)
    if tenant_id is not None:
        query = query.where(Member.tenant_id == tenant_id)
    if not include_inactive:
        query = query.where(Member.active.is_(True))
    term = printable(search).strip().lower()[:100]
    if term:
        query = query.where(
            or_(
                func.lower(Member.name).contains(term, autoescape=True),
                func.lower(Member.email).contains(term, autoescape=True),
            )
        )
    return paginate(query.order_by(Member.name, Member.id), page=page, per_page=per_page)


def get_member(actor: Member, member_id: int) -> Member:
    member = db.session.get(Member, member_id)
    if member is None or not actor.can_view_member(member):
        raise NotFound(N_("No such member."))
    return member


def require_manageable(actor: Member, member: Member) -> None:
    """Refuse, without revealing members the actor may not even see."""
    if actor.can_manage_member(member):
        return
    if not actor.can_view_member(member):
        raise NotFound(N_("No such member."))
    raise PermissionDenied(N_("You cannot change this member."))


def _resolve_tenant(actor: Member, role: Role, tenant_id: int | None) -> Tenant | None:
    if role == Role.MANAGER:
        if tenant_id is not None:
            raise ValidationFailed({"tenant_id": N_("Managers belong to no tenant.")})
        return None
    if actor.is_tenant_admin:
        if tenant_id is not None and tenant_id != actor.tenant_id:
            # Same answer as a tenant that does not exist: never confirm another's.
            raise ValidationFailed({"tenant_id": N_("Unknown tenant.")})
        return actor.tenant
    if tenant_id is None:
        raise ValidationFailed({"tenant_id": N_("Choose the member's tenant.")})
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None:
        raise ValidationFailed({"tenant_id": N_("Unknown tenant.")})
    if not tenant.is_active:
        raise ValidationFailed({"tenant_id": N_("This tenant is deactivated.")})
    return tenant


def _check_role(actor: Member, role: str) -> Role:
    if role not in {r.value for r in Role}:
        raise ValidationFailed({"role": N_("Choose one of the listed roles.")})
    if Role(role) not in actor.roles_grantable():
        raise PermissionDenied(N_("You cannot give this role."))
    return Role(role)


def _check_email_free(email: str, own_id: int = -1) -> None:
    if db.session.scalar(
        select(Member.id).where(func.lower(Member.email) == email, Member.id != own_id)
    ):
        raise ValidationFailed({"email": N_("Another account already uses this address.")})


def create_member(
    *,
    actor: Member,
    email: str,
    name: str,
    role: str,
    tenant_id: int | None,
    password: str | None = None,
    locale: str | None = None,
    mail_context: MailContext,
    now: dt.datetime,
) -> Member:
    if not (actor.is_manager or actor.is_tenant_admin):
        raise PermissionDenied(N_("You cannot add members."))
    errors: dict[str, str] = {}
    email, error = clean_email(email)
    if error:
        errors["email"] = error
    name, error = clean_text(name, max_length=120)
    if error:
        errors["name"] = error
    if locale is not None and locale not in LOCALES:
        errors["locale"] = N_("Choose one of the listed languages.")
    if password:
        try:
            passwords.check_new_password(password)
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationFailed(errors)
    role_ = _check_role(actor, role)
    tenant = _resolve_tenant(actor, role_, tenant_id)
    _check_email_free(email)

    member = Member(
        email=email,
        name=name,
        role=role_,
        tenant=tenant,
        locale=locale,
        password_hash=passwords.hash_password(password) if password else None,
    )
    db.session.add(member)
    db.session.flush()
    if not password:
        send_invitation(member, context=mail_context, now=now)
    audit.record(
        actor=actor,
        action="member.create",
        object_type="member",
        object_id=member.id,
        tenant_id=member.tenant_id,
        details={"role": role_.value, "invited": not password},
    )
    return member


def update_member(
    member: Member,
    *,
    actor: Member,
    name: str = UNSET,
    email: str = UNSET,
    role: str = UNSET,
    locale: str | None = UNSET,
    active: bool = UNSET,
    now: dt.datetime,
) -> Member:
    require_manageable(actor, member)
    errors: dict[str, str] = {}
    changed: dict[str, object] = {}
    if name is not UNSET:
        name, error = clean_text(name, max_length=120)
        if error:
            errors["name"] = error
    if email is not UNSET:
        email, error = clean_email(email)
        if error:
            errors["email"] = error
    if locale is not UNSET and locale is not None and locale not in LOCALES:
        errors["locale"] = N_("Choose one of the listed languages.")
    if errors:
        raise ValidationFailed(errors)
    if role is not UNSET and role != member.role.value:
        if member.id == actor.id:
            raise PermissionDenied(N_("You cannot change your own role."))
        new_role = _check_role(actor, role)
        if (new_role == Role.MANAGER) != (member.role == Role.MANAGER):
            raise ValidationFailed(
                {"role": N_("Staff and tenant accounts cannot be turned into each other.")}
            )
        member.role = new_role
        changed["role"] = new_role.value
    if email is not UNSET and email != member.email:
        _check_email_free(email, member.id)
        member.email = email
        changed["email"] = True
    if name is not UNSET and name != member.name:
        member.name = name
        changed["name"] = True
    if locale is not UNSET and locale != member.locale:
        member.locale = locale
        changed["locale"] = locale
    if active is not UNSET and active != member.active:
        if not active:
            _deactivate(member, actor=actor, now=now)
        else:
            member.active = True
            member.deactivated_at = None
        changed["active"] = active
    if changed:
        audit.record(
            actor=actor,
            action="member.update",
            object_type="member",
            object_id=member.id,
            tenant_id=member.tenant_id,
            details=changed,
        )
    if "role" in changed or "active" in changed:
        request_acl_refresh(reason="member.update")
    return member


def _deactivate(member: Member, *, actor: Member, now: dt.datetime) -> None:
    if member.id == actor.id:
        raise PermissionDenied(N_("You cannot deactivate yourself."))
    member.active = False
    member.deactivated_at = now
    member.rotate_session()
    for badge in member.badges:
        if badge.active:
            badge.revoke(now)


def deactivate_member(member: Member, *, actor: Member, now: dt.datetime) -> None:
    require_manageable(actor, member)
    if not member.active:
        return
    _deactivate(member, actor=actor, now=now)
    audit.record(
        actor=actor,
        action="member.deactivate",
        object_type="member",
        object_id=member.id,
        tenant_id=member.tenant_id,
    )
    request_acl_refresh(reason="member.deactivate")


def update_own_profile(member: Member, *, name: str, locale: str | None) -> None:
    name, error = clean_text(name, max_length=120)
    if error:
        raise ValidationFailed({"name": error})
    if locale is not None and locale not in LOCALES:
        raise ValidationFailed({"locale": N_("Choose one of the listed languages.")})
    member.name = name
    member.locale = locale


def update_notification_preferences(
    member: Member, *, bookings: bool, digest: bool, alerts: bool | None = None
) -> None:
    """The e-mails one may turn off: booking news, and (managers) the approval digest.

    Rejections and cancellations by someone else are sent whatever the setting.
    """
    member.notify_bookings = bool(bookings)
    member.notify_digest = bool(digest)  # read only for managers (see bookings.digest)
    if alerts is not None:
        member.notify_alerts = bool(alerts)  # read only for managers (see services.alerts)
