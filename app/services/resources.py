"""Resources: rooms, the kitchen, the Fablab and its machines. Managers edit them.

Every logged-in member may read them (they book them); only managers change them.
Fields are checked against one table, `FIELDS`, so the form, the API and the
service agree on what each field accepts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Member, Privacy, Resource, ResourceKind, ResourceStatus

from . import audit
from .device_outbox import request_acl_refresh_for_resource
from .errors import N_, NotFound, PermissionDenied, ValidationFailed
from .hours import check_opening_hours
from .pagination import Page, paginate
from .validation import SLUG_RE, clean_slug, clean_text


def _text(
    max_length: int, required: bool = True, multiline: bool = False
) -> Callable[[Any], tuple[Any, str | None]]:
    def check(value: Any) -> tuple[Any, str | None]:
        if not isinstance(value, str):
            return value, N_("This must be text.")
        return clean_text(value, max_length=max_length, required=required, multiline=multiline)

    return check


def _choice(enum: type) -> Callable[[Any], tuple[Any, str | None]]:
    def check(value: Any) -> tuple[Any, str | None]:
        try:
            return enum(value), None
        except ValueError:
            return value, N_("Choose one of the listed values.")

    return check


def _whole(low: int, high: int) -> Callable[[Any], tuple[Any, str | None]]:
    def check(value: Any) -> tuple[Any, str | None]:
        if isinstance(value, bool) or not isinstance(value, int):
            return value, N_("This must be a whole number.")
        if not low <= value <= high:
            return value, N_("This number is out of range.")
        return value, None

    return check


def _optional_days(value: Any) -> tuple[Any, str | None]:
    if value is None:
        return None, None
    return _whole(1, 3650)(value)


def _flag(value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, bool):
        return value, N_("This must be true or false.")
    return value, None


def _money(value: Any) -> tuple[Any, str | None]:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return value, N_("This must be an amount such as 12.50.")
    if not amount.is_finite() or amount < 0 or amount > Decimal("100000"):
        return value, N_("This amount is out of range.")
    return amount.quantize(Decimal("0.01")), None


def _hours(value: Any) -> tuple[Any, str | None]:
    if value is None:
        return None, None
    error = check_opening_hours(value)
    return value, error


DAY = 24 * 60
#: fields whose change alters what the resource's devices admit
ACCESS_FIELDS = frozenset(
    {"status", "opening_hours", "training_required", "booking_required_for_use", "parent", "kind"}
)
FIELDS: dict[str, Callable[[Any], tuple[Any, str | None]]] = {
    "name": _text(120),
    "description": _text(2000, required=False, multiline=True),
    "kind": _choice(ResourceKind),
    "status": _choice(ResourceStatus),
    "privacy": _choice(Privacy),
    "bookable": _flag,
    "min_minutes": _whole(1, 14 * DAY),
    "max_minutes": _whole(1, 14 * DAY),
    "slot_minutes": _whole(1, DAY),
    "lead_minutes": _whole(0, 365 * DAY),
    "horizon_days": _whole(1, 3650),
    "change_notice_minutes": _whole(0, 30 * DAY),
    "buffer_before_minutes": _whole(0, DAY),
    "buffer_after_minutes": _whole(0, DAY),
    "approval_required": _flag,
    "training_required": _flag,
    "booking_required_for_use": _flag,
    "checkin_required": _flag,
    "checkin_window_minutes": _whole(1, DAY),
    "hourly_rate": _money,
    "opening_hours": _hours,
    "qualification_valid_days": _optional_days,
}


def list_resources(
    actor: Member,
    *,
    include_inactive: bool = False,
    kind: str | None = None,
    page: int = 1,
    per_page: int = 200,
) -> Page[Resource]:
    query = select(Resource)
    if not (include_inactive and actor.is_manager):
        query = query.where(Resource.active.is_(True))
    if kind:
        query = query.where(Resource.kind == kind)
    return paginate(query.order_by(Resource.name), page=page, per_page=per_page)


def get_resource(actor: Member, slug: str) -> Resource:
    if not SLUG_RE.fullmatch(slug):  # not a short name at all: never reaches the database
        raise NotFound(N_("No such resource."))
    resource = db.session.scalar(select(Resource).where(Resource.slug == slug))
    if resource is None or (not resource.active and not actor.is_manager):
        raise NotFound(N_("No such resource."))
    return resource


def _clean(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field, value in values.items():
        check = FIELDS.get(field)
        if check is None:
            errors[field] = N_("Unknown field.")
            continue
        clean[field], error = check(value)
        if error:
            errors[field] = error
    return clean, errors


def _resolve_parent(resource: Resource | None, parent_slug: str | None) -> Resource | None:
    if not parent_slug:
        return None
    parent = db.session.scalar(select(Resource).where(Resource.slug == parent_slug[:64]))
    if parent is None or not parent.active:
        raise ValidationFailed({"parent": N_("Unknown resource.")})
    if parent.parent_id is not None or parent.kind == ResourceKind.MACHINE:
        raise ValidationFailed({"parent": N_("A machine or a child cannot hold other resources.")})
    if resource is not None and (parent.id == resource.id or resource.children):
        raise ValidationFailed({"parent": N_("A resource with children cannot have a parent.")})
    return parent


def _check_lengths(resource: Resource) -> None:
    if resource.min_minutes > resource.max_minutes:
        raise ValidationFailed(
            {"min_minutes": N_("The minimum length cannot be above the maximum length.")}
        )


def create_resource(
    *,
    actor: Member,
    slug: str,
    parent: str | None = None,
    values: Mapping[str, Any],
) -> Resource:
    if not actor.is_manager:
        raise PermissionDenied(N_("Only managers can do this."))
    clean, errors = _clean(values)
    slug, error = clean_slug(slug)
    if error:
        errors["slug"] = error
    for required in ("name", "kind"):
        if required not in values:
            errors.setdefault(required, N_("This field is required."))
    if errors:
        raise ValidationFailed(errors)
    if db.session.scalar(select(Resource.id).where(Resource.slug == slug)):
        raise ValidationFailed({"slug": N_("Another resource already uses this short name.")})
    resource = Resource(slug=slug, parent=_resolve_parent(None, parent), **clean)
    _apply_defaults(resource)
    _check_lengths(resource)
    db.session.add(resource)
    db.session.flush()
    audit.record(
        actor=actor,
        action="resource.create",
        object_type="resource",
        object_id=resource.slug,
        details={"name": resource.name, "kind": resource.kind.value},
    )
    return resource


def _apply_defaults(resource: Resource) -> None:
    # Column defaults apply at INSERT; the rule checks below need them now.
    for column in Resource.__table__.columns:
        if getattr(resource, column.key, None) is None and column.default is not None:
            arg = column.default.arg
            if not callable(arg):
                setattr(resource, column.key, arg)


def update_resource(
    resource: Resource,
    *,
    actor: Member,
    values: Mapping[str, Any],
    parent: str | bool | None = False,
) -> Resource:
    """Change the given fields. `parent`: False leaves it, None clears it, a slug sets it."""
    if not actor.is_manager:
        raise PermissionDenied(N_("Only managers can do this."))
    clean, errors = _clean(values)
    if errors:
        raise ValidationFailed(errors)
    changed: dict[str, Any] = {}
    if parent is not False:
        new_parent = _resolve_parent(resource, parent if isinstance(parent, str) else None)
        if new_parent is not resource.parent:
            resource.parent = new_parent
            changed["parent"] = new_parent.slug if new_parent else None
    for field, value in clean.items():
        if getattr(resource, field) != value:
            setattr(resource, field, value)
            changed[field] = (
                value if isinstance(value, (int, bool, str, type(None))) else str(value)
            )
    _check_lengths(resource)
    if changed:
        audit.record(
            actor=actor,
            action="resource.update",
            object_type="resource",
            object_id=resource.slug,
            details=changed,
        )
    if ACCESS_FIELDS & set(changed):
        request_acl_refresh_for_resource(resource, reason="resource.update")
    return resource


def deactivate_resource(resource: Resource, *, actor: Member, now: dt.datetime) -> None:
    if not actor.is_manager:
        raise PermissionDenied(N_("Only managers can do this."))
    if not resource.active:
        return
    resource.active = False
    resource.deactivated_at = now
    audit.record(
        actor=actor, action="resource.deactivate", object_type="resource", object_id=resource.slug
    )
    request_acl_refresh_for_resource(resource, reason="resource.deactivate")


def reactivate_resource(resource: Resource, *, actor: Member) -> None:
    if not actor.is_manager:
        raise PermissionDenied(N_("Only managers can do this."))
    if resource.active:
        return
    resource.active = True
    resource.deactivated_at = None
    audit.record(
        actor=actor, action="resource.reactivate", object_type="resource", object_id=resource.slug
    )
    request_acl_refresh_for_resource(resource, reason="resource.reactivate")
