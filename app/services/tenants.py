"""Tenants: the companies that rent space. Managed by managers only."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.models import Member, ResourceKind, Sector, Tenant, TenantStatus

from . import audit
from .device_outbox import request_acl_refresh
from .errors import N_, UNSET, NotFound, PermissionDenied, ValidationFailed
from .pagination import Page, paginate
from .validation import clean_slug, clean_text


def _require_manager(actor: Member) -> None:
    if not actor.is_manager:
        raise PermissionDenied(N_("Only managers can do this."))


def visible_tenants_query(actor: Member):
    query = select(Tenant)
    if not actor.is_manager:
        query = query.where(Tenant.id == actor.tenant_id)
    return query


def list_tenants(
    actor: Member, *, include_inactive: bool = False, page: int = 1, per_page: int = 50
) -> Page[Tenant]:
    query = visible_tenants_query(actor)
    if not include_inactive:
        query = query.where(Tenant.status == TenantStatus.ACTIVE)
    return paginate(query.order_by(Tenant.name), page=page, per_page=per_page)


def get_tenant(actor: Member, tenant_id: int) -> Tenant:
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None or not (actor.is_manager or actor.tenant_id == tenant.id):
        raise NotFound(N_("No such tenant."))
    return tenant


# A month holds at most 31 x 24 hours: a plan can include at most all of them.
MAX_QUOTA_HOURS = 744


def clean_quota_hours(plan: Any) -> tuple[dict[str, int | float] | None, str | None]:
    """A quota plan `{kind: hours per month}` (None: no quota), or the reason it is wrong."""
    if plan is None:
        return None, None
    if not isinstance(plan, Mapping):
        return None, N_("Give the included hours per resource kind.")
    clean: dict[str, int | float] = {}
    for kind, hours in plan.items():
        kind = getattr(kind, "value", kind)
        if kind not in {k.value for k in ResourceKind}:
            return None, N_("Hours can be included for rooms, machines and kitchens only.")
        if isinstance(hours, bool) or not isinstance(hours, int | float | Decimal):
            return None, N_("Included hours must be a number from 0 to 744.")
        value = float(hours)
        if not math.isfinite(value) or not 0 <= value <= MAX_QUOTA_HOURS:
            return None, N_("Included hours must be a number from 0 to 744.")
        clean[str(kind)] = int(value) if value.is_integer() else value
    return clean, None


def _check_quota(quota_hours: Any, allow_overage: Any) -> dict[str, int | float] | None:
    errors: dict[str, str] = {}
    plan, error = clean_quota_hours(quota_hours)
    if error:
        errors["quota_hours"] = error
    if not isinstance(allow_overage, bool):
        errors["allow_overage"] = N_("This must be true or false.")
    if errors:
        raise ValidationFailed(errors)
    return plan


def _check_fields(
    *,
    tenant: Tenant | None,
    name: str,
    slug: str,
    sector: str,
    contract_start: dt.date | None,
    contract_end: dt.date | None,
) -> tuple[str, str, Sector]:
    errors: dict[str, str] = {}
    name, error = clean_text(name, max_length=120)
    if error:
        errors["name"] = error
    slug, error = clean_slug(slug)
    if error:
        errors["slug"] = error
    if sector not in {s.value for s in Sector}:
        errors["sector"] = N_("Choose one of the listed sectors.")
    if contract_start and contract_end and contract_end < contract_start:
        errors["contract_end"] = N_("The contract cannot end before it starts.")
    own_id = tenant.id if tenant else -1
    if "name" not in errors and db.session.scalar(
        select(Tenant.id).where(func.lower(Tenant.name) == name.lower(), Tenant.id != own_id)
    ):
        errors["name"] = N_("Another tenant already has this name.")
    if "slug" not in errors and db.session.scalar(
        select(Tenant.id).where(Tenant.slug == slug, Tenant.id != own_id)
    ):
        errors["slug"] = N_("Another tenant already uses this short name.")
    if errors:
        raise ValidationFailed(errors)
    return name, slug, Sector(sector)


def create_tenant(
    *,
    actor: Member,
    name: str,
    slug: str,
    sector: str,
    contract_start: dt.date | None = None,
    contract_end: dt.date | None = None,
    public_opt_in: bool = False,
    quota_hours: Mapping[str, int | float | Decimal] | None = None,
    allow_overage: bool = False,
) -> Tenant:
    """`quota_hours`: included hours per month per resource kind (`{"room": 8}`), None for
    no quota; `allow_overage`: bookings may go past the included hours."""
    _require_manager(actor)
    name, slug, sector_ = _check_fields(
        tenant=None,
        name=name,
        slug=slug,
        sector=sector,
        contract_start=contract_start,
        contract_end=contract_end,
    )
    plan = _check_quota(quota_hours, allow_overage)
    tenant = Tenant(
        name=name,
        slug=slug,
        sector=sector_,
        contract_start=contract_start,
        contract_end=contract_end,
        public_opt_in=public_opt_in,
        quota_hours=plan,
        allow_overage=allow_overage,
    )
    db.session.add(tenant)
    db.session.flush()
    audit.record(
        actor=actor,
        action="tenant.create",
        object_type="tenant",
        object_id=tenant.id,
        tenant_id=tenant.id,
        details={
            "name": name,
            "slug": slug,
            "sector": sector_.value,
            "quota_hours": plan,
            "allow_overage": allow_overage,
        },
    )
    return tenant


def update_tenant(
    tenant: Tenant,
    *,
    actor: Member,
    name: str = UNSET,
    slug: str = UNSET,
    sector: str = UNSET,
    contract_start: dt.date | None = UNSET,
    contract_end: dt.date | None = UNSET,
    public_opt_in: bool = UNSET,
    quota_hours: Mapping[str, int | float | Decimal] | None = UNSET,
    allow_overage: bool = UNSET,
    active: bool = UNSET,
    now: dt.datetime,
) -> Tenant:
    """Only the arguments given change; `quota_hours=None` removes the quota."""
    _require_manager(actor)
    start = tenant.contract_start if contract_start is UNSET else contract_start
    end = tenant.contract_end if contract_end is UNSET else contract_end
    clean_name, clean_slug_, sector_ = _check_fields(
        tenant=tenant,
        name=tenant.name if name is UNSET else name,
        slug=tenant.slug if slug is UNSET else slug,
        sector=tenant.sector.value if sector is UNSET else sector,
        contract_start=start,
        contract_end=end,
    )
    plan = _check_quota(
        tenant.quota_hours if quota_hours is UNSET else quota_hours,
        tenant.allow_overage if allow_overage is UNSET else allow_overage,
    )
    changed: dict[str, object] = {}
    for field, value in (
        ("name", clean_name),
        ("slug", clean_slug_),
        ("sector", sector_),
        ("contract_start", start),
        ("contract_end", end),
        ("public_opt_in", tenant.public_opt_in if public_opt_in is UNSET else public_opt_in),
    ):
        if getattr(tenant, field) != value:
            setattr(tenant, field, value)
            changed[field] = str(value) if value is not None else None
    if plan != tenant.quota_hours:
        tenant.quota_hours = plan
        changed["quota_hours"] = plan
    if allow_overage is not UNSET and allow_overage != tenant.allow_overage:
        tenant.allow_overage = allow_overage
        changed["allow_overage"] = allow_overage
    if active is not UNSET and active != tenant.is_active:
        if active:
            tenant.status = TenantStatus.ACTIVE
            tenant.deactivated_at = None
        else:
            _deactivate(tenant, now)
        changed["status"] = tenant.status.value
    if changed:
        audit.record(
            actor=actor,
            action="tenant.update",
            object_type="tenant",
            object_id=tenant.id,
            tenant_id=tenant.id,
            details=changed,
        )
    if {"status", "contract_start", "contract_end"} & set(changed):
        request_acl_refresh(reason="tenant.update")
    return tenant


def _deactivate(tenant: Tenant, now: dt.datetime) -> None:
    tenant.status = TenantStatus.INACTIVE
    tenant.deactivated_at = now
    # Its members' logins end now: their sessions stop matching.
    for member in tenant.members:
        member.rotate_session()


def deactivate_tenant(tenant: Tenant, *, actor: Member, now: dt.datetime) -> None:
    _require_manager(actor)
    if not tenant.is_active:
        return
    _deactivate(tenant, now)
    audit.record(
        actor=actor,
        action="tenant.deactivate",
        object_type="tenant",
        object_id=tenant.id,
        tenant_id=tenant.id,
    )
    request_acl_refresh(reason="tenant.deactivate")
