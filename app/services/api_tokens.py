"""API bearer tokens: 256 random bits, shown once, stored as a SHA-256."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import ApiToken, Member

from . import audit
from .errors import N_, NotFound, ValidationFailed
from .secrets_ import hash_secret, new_secret
from .validation import clean_text

TOKEN_PREFIX = "inc_"  # noqa: S105 - a marker that makes leaked tokens easy to find
LAST_USED_PRECISION = dt.timedelta(hours=1)


def create_api_token(
    *, member: Member, name: str, expires_at: dt.datetime | None, now: dt.datetime
) -> tuple[ApiToken, str]:
    name, error = clean_text(name, max_length=80)
    if error:
        raise ValidationFailed({"name": error})
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed({"expires_at": N_("Choose a moment in the future.")})
    secret = new_secret(TOKEN_PREFIX, 32)
    token = ApiToken(
        member_id=member.id,
        name=name,
        token_hash=hash_secret(secret),
        prefix=secret[:12],
        created_at=now,
        expires_at=expires_at,
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        actor=member,
        action="api_token.create",
        object_type="api_token",
        object_id=token.id,
        tenant_id=member.tenant_id,
        details={"name": name, "prefix": token.prefix},
    )
    return token, secret


def authenticate_api_token(secret: str, *, now: dt.datetime) -> Member | None:
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = db.session.scalar(
        select(ApiToken)
        .options(joinedload(ApiToken.member).joinedload(Member.tenant))
        .where(ApiToken.token_hash == hash_secret(secret))
    )
    if token is None or not token.is_usable(now):
        return None
    # Written at most hourly, so a busy client does not turn every read into a write.
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        token.last_used_at = now
    return token.member


def list_api_tokens(member: Member) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.member_id == member.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc())
        )
    )


def revoke_api_token(*, member: Member, token_id: int, now: dt.datetime) -> None:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.member_id != member.id or token.revoked_at is not None:
        raise NotFound(N_("No such token."))
    token.revoked_at = now
    audit.record(
        actor=member,
        action="api_token.revoke",
        object_type="api_token",
        object_id=token.id,
        tenant_id=member.tenant_id,
    )
