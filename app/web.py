"""Small helpers every page blueprint shares (the edge: it commits)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, request
from flask_login import current_user, login_required

from app.extensions import db
from app.mailer import deliver_pending, mail_was_queued
from app.models import Member
from app.services.accounts import MailContext
from app.services.bookings.lifecycle import Facility

log = logging.getLogger(__name__)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def actor() -> Member:
    member: Member = current_user._get_current_object()
    return member


def mail_context() -> MailContext:
    return MailContext(
        public_url=current_app.config["PUBLIC_URL"],
        site_name=current_app.config["SITE_NAME"],
        invite_valid_hours=int(current_app.config["INVITE_VALID_HOURS"]),
    )


def guard(bp: Blueprint, allowed: Callable[[Member], bool] | None = None) -> None:
    """Every page of `bp` needs a logged-in member, and `allowed(member)` when given (else 403)."""

    @bp.before_request
    @login_required
    def _check_access() -> None:
        if allowed is not None and not allowed(actor()):
            abort(403)


def require(allowed: Callable[[Member], bool]) -> None:
    """For one page of a blueprint: 403 unless `allowed(member)`."""
    if not allowed(actor()):
        abort(403)


def is_manager(member: Member) -> bool:
    return member.is_manager


def manages_people(member: Member) -> bool:
    return member.is_manager or member.is_tenant_admin


def facility() -> Facility:
    """The building as the booking services need it: zone, hours, links.

    The building's hours are read when first needed (most resources have their own).
    """
    from zoneinfo import ZoneInfo

    from app.services.site import get_site_settings

    return Facility(
        zone=ZoneInfo(current_app.config["TIMEZONE"]),
        building_hours=lambda: get_site_settings().building_hours,
        public_url=current_app.config["PUBLIC_URL"],
        site_name=current_app.config["SITE_NAME"],
    )


def commit() -> None:
    """Commit the request's one transaction, then hand queued mail to the mailer.

    Only when the transaction queued mail: otherwise every write would open a second
    transaction just to find nothing to send (older failures wait for the jobs runner).
    """
    queued = mail_was_queued()
    db.session.commit()
    if not queued:
        return
    try:
        deliver_pending(current_app.config)
    except Exception:  # the jobs runner retries; the user's change is already safe
        db.session.rollback()
        log.exception("mail delivery after commit failed; it stays queued")


def page_arg() -> int:
    value = request.args.get("page", "1")
    return int(value) if value.isascii() and value.isdigit() and 0 < int(value) < 100000 else 1


def field_errors(form: Any, fields: dict[str, str], translate: Any) -> None:
    """Attach a service's field errors to the matching form fields (others go to the form)."""
    for name, message in fields.items():
        target = getattr(form, name, None)
        if target is not None and hasattr(target, "errors"):
            target.errors = [*list(target.errors), translate(message)]
        else:
            form.form_errors.append(translate(message))


def rollback() -> None:
    """Drop what a refused service call may have changed, before the form is shown again."""
    db.session.rollback()


def int_arg(name: str) -> int | None:
    """A positive whole number from the query string, or None when it is absent or not one."""
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and 0 < int(value) < 2**31 else None


def local_target(target: str | None, default: str) -> str:
    """`target` when it is a path on this site (never another host), else `default`."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and all(ch.isprintable() and not ch.isspace() for ch in target)
    ):
        return target
    return default
