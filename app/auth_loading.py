"""How a login session cookie turns back into a member."""

from __future__ import annotations

from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Member


def load_user(session_id: str) -> Member | None:
    member_id, _, nonce = session_id.partition(".")
    if not member_id.isdigit() or not nonce:
        return None
    member = db.session.get(Member, int(member_id), options=[joinedload(Member.tenant)])
    if member is None or member.session_nonce != nonce or not member.can_log_in:
        return None
    return member
