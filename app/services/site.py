"""The building's settings (one row), created on first use."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Member, SiteSettings

from . import audit
from .device_outbox import request_acl_refresh
from .errors import N_, PermissionDenied, ValidationFailed
from .hours import check_opening_hours
from .validation import clean_text


def get_site_settings() -> SiteSettings:
    settings = db.session.get(SiteSettings, 1)
    if settings is not None:
        return settings
    # Concurrent first requests may all find no row: one inserts it, the others
    # (refused by the primary key) read the row it made.
    try:
        with db.session.begin_nested():
            settings = SiteSettings(id=1)
            db.session.add(settings)
    except IntegrityError:
        settings = db.session.get(SiteSettings, 1)
        if settings is None:
            raise
    return settings


def update_site_settings(
    *, actor: Member, name: str, building_hours: dict[str, Any]
) -> SiteSettings:
    if not actor.is_manager:
        raise PermissionDenied(N_("Only managers can do this."))
    errors: dict[str, str] = {}
    name, error = clean_text(name, max_length=120)
    if error:
        errors["name"] = error
    error = check_opening_hours(building_hours)
    if error:
        errors["building_hours"] = error
    if errors:
        raise ValidationFailed(errors)
    settings = get_site_settings()
    hours_changed = settings.building_hours != building_hours
    settings.name = name
    settings.building_hours = building_hours
    audit.record(
        actor=actor,
        action="site.update",
        object_type="site",
        object_id=1,
        details={"name": name, "building_hours": building_hours},
    )
    if hours_changed:
        request_acl_refresh(reason="site.building_hours")
    return settings
