"""Logging in, invitations, password resets and password changes."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.i18n import gettext_for
from app.models import LinkPurpose, LoginLink, Member

from . import passwords
from .errors import N_, NotFound, ValidationFailed
from .mail import queue_mail
from .secrets_ import hash_secret, new_secret

log = logging.getLogger(__name__)


class LoginOutcome(StrEnum):
    OK = "ok"
    BAD_CREDENTIALS = "bad_credentials"
    DEACTIVATED = "deactivated"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    member: Member | None = None


@dataclass(frozen=True)
class MailContext:
    """What a service needs to write a link into an e-mail, from the edge's config."""

    public_url: str
    site_name: str
    invite_valid_hours: int = 72


def find_member_by_email(email: str) -> Member | None:
    return db.session.scalar(
        select(Member)
        .options(joinedload(Member.tenant))
        .where(func.lower(Member.email) == email.strip().lower())
    )


def authenticate(email: str, password: str) -> LoginResult:
    member = find_member_by_email(email) if len(email) <= 254 else None
    ok = passwords.verify_password(member.password_hash if member else None, password)
    if member is None or not ok:
        return LoginResult(LoginOutcome.BAD_CREDENTIALS)
    if not member.can_log_in:
        return LoginResult(LoginOutcome.DEACTIVATED)
    if member.password_hash and passwords.needs_rehash(member.password_hash):
        member.password_hash = passwords.hash_password(password)
    return LoginResult(LoginOutcome.OK, member)


def _issue_link(member: Member, purpose: LinkPurpose, *, now: dt.datetime, hours: int) -> str:
    # A new link makes the older unused ones of the same kind worthless.
    db.session.execute(
        update(LoginLink)
        .where(
            LoginLink.member_id == member.id,
            LoginLink.purpose == purpose,
            LoginLink.used_at.is_(None),
        )
        .values(used_at=now)
    )
    secret = new_secret("", 32)
    db.session.add(
        LoginLink(
            member_id=member.id,
            purpose=purpose,
            token_hash=hash_secret(secret),
            created_at=now,
            expires_at=now + dt.timedelta(hours=hours),
        )
    )
    return secret


def send_invitation(member: Member, *, context: MailContext, now: dt.datetime) -> None:
    valid_hours = context.invite_valid_hours
    secret = _issue_link(member, LinkPurpose.INVITE, now=now, hours=valid_hours)
    _ = gettext_for(member.locale)
    link = f"{context.public_url.rstrip('/')}/account/set-password/{secret}"
    queue_mail(
        to=member.email,
        subject=_("Your account at %(site)s", site=context.site_name),
        body=_(
            "Hello %(name)s,\n\nAn account was made for you at %(site)s. Choose your "
            "password with this link (valid for %(hours)s hours, usable once):\n\n%(link)s\n",
            name=member.name,
            site=context.site_name,
            hours=valid_hours,
            link=link,
        ),
    )
    log.info("invitation queued for member %s", member.id)


def request_password_reset(
    email: str, *, context: MailContext, now: dt.datetime, valid_hours: int = 1
) -> None:
    """Send a reset link if the address belongs to an active member; say nothing either way."""
    member = find_member_by_email(email) if len(email) <= 254 else None
    if member is None or not member.can_log_in:
        log.info("password reset asked for an address with no active account")
        return
    secret = _issue_link(member, LinkPurpose.RESET, now=now, hours=valid_hours)
    _ = gettext_for(member.locale)
    link = f"{context.public_url.rstrip('/')}/account/set-password/{secret}"
    queue_mail(
        to=member.email,
        subject=_("Reset your password at %(site)s", site=context.site_name),
        body=_(
            "Hello %(name)s,\n\nSomeone asked to reset your password. If it was you, "
            "choose a new one with this link (valid for %(hours)s hour, usable once):\n\n"
            "%(link)s\n\nIf it was not you, ignore this message.\n",
            name=member.name,
            hours=valid_hours,
            link=link,
        ),
    )
    log.info("password reset queued for member %s", member.id)


def find_usable_link(secret: str, *, now: dt.datetime) -> LoginLink | None:
    if not secret or len(secret) > 128:
        return None
    link = db.session.scalar(select(LoginLink).where(LoginLink.token_hash == hash_secret(secret)))
    if link is None or not link.is_usable(now) or not link.member.active:
        return None
    return link


def set_password_with_link(secret: str, new_password: str, *, now: dt.datetime) -> Member:
    link = find_usable_link(secret, now=now)
    if link is None:
        raise NotFound(N_("This link is not valid any more. Ask for a new one."))
    passwords.check_new_password(new_password)
    link.used_at = now
    member = link.member
    member.password_hash = passwords.hash_password(new_password)
    member.rotate_session()
    return member


def change_password(member: Member, *, current: str, new: str) -> None:
    if not passwords.verify_password(member.password_hash, current):
        raise ValidationFailed({"current_password": N_("This is not your current password.")})
    passwords.check_new_password(new, field="new_password")
    member.password_hash = passwords.hash_password(new)
    member.rotate_session()
