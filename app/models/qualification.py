from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow

if TYPE_CHECKING:
    from .member import Member
    from .resource import Resource


class Qualification(Base):
    """A member's training for one resource (a machine), granted by a manager."""

    __tablename__ = "qualification"
    __table_args__ = (
        Index(
            "uq_qualification_current",
            "member_id",
            "resource_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"), index=True)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]

    member: Mapped[Member] = relationship(foreign_keys=[member_id])
    resource: Mapped[Resource] = relationship()
    granted_by: Mapped[Member | None] = relationship(foreign_keys=[granted_by_id])

    def is_valid(self, now: dt.datetime) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > now
