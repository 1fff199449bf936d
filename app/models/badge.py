from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow

if TYPE_CHECKING:
    from .member import Member


class Badge(Base):
    """A badge (RFID card or fob) held by a member; `uid` is the canonical form."""

    __tablename__ = "badge"
    __table_args__ = (
        # A UID may be reissued after a revocation, but only one active badge holds it.
        Index(
            "uq_badge_active_uid",
            "uid",
            unique=True,
            sqlite_where=text("active = 1"),
            postgresql_where=text("active"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(64), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    label: Mapped[str] = mapped_column(String(80), default="")
    active: Mapped[bool] = mapped_column(default=True)
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]

    member: Mapped[Member] = relationship(back_populates="badges")

    def revoke(self, now: dt.datetime) -> None:
        self.active = False
        self.revoked_at = now
