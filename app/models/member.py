from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin
from .enums import Role

if TYPE_CHECKING:
    from .badge import Badge
    from .tenant import Tenant


def _new_nonce() -> str:
    return secrets.token_urlsafe(12)


class Member(TimestampMixin, Base):
    """A person who can log in: incubator staff (no tenant) or a tenant's member."""

    __tablename__ = "member"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"), index=True)
    locale: Mapped[str | None] = mapped_column(String(5))
    active: Mapped[bool] = mapped_column(default=True)
    deactivated_at: Mapped[dt.datetime | None]
    # Part of the login session id: rotating it logs the member out everywhere.
    session_nonce: Mapped[str] = mapped_column(String(32), default=_new_nonce)
    # E-mails one may turn off: booking approved, moved or released as a no-show,
    # and (managers) the daily digest of pending approvals. Rejections and
    # cancellations by someone else are always sent.
    notify_bookings: Mapped[bool] = mapped_column(default=True)
    notify_digest: Mapped[bool] = mapped_column(default=True)
    # Managers: e-mails about forced doors, doors held open and devices offline.
    notify_alerts: Mapped[bool] = mapped_column(default=True)

    tenant: Mapped[Tenant | None] = relationship(back_populates="members")
    badges: Mapped[list[Badge]] = relationship(back_populates="member")

    # -- what Flask-Login expects, written out so models stay free of Flask --
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    @property
    def is_active(self) -> bool:
        return self.can_log_in

    def get_id(self) -> str:
        return f"{self.id}.{self.session_nonce}"

    def rotate_session(self) -> None:
        self.session_nonce = _new_nonce()

    # -- state and rules --
    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def is_tenant_admin(self) -> bool:
        return self.role == Role.TENANT_ADMIN

    @property
    def can_log_in(self) -> bool:
        if not self.active:
            return False
        return self.tenant is None or self.tenant.is_active

    def can_view_member(self, other: Member) -> bool:
        if self.is_manager or other.id == self.id:
            return True
        return self.is_tenant_admin and other.tenant_id == self.tenant_id

    def can_manage_member(self, other: Member) -> bool:
        """May this actor edit, deactivate or give badges to `other`?"""
        if self.is_manager:
            return True
        return (
            self.is_tenant_admin
            and other.tenant_id == self.tenant_id
            and other.role != Role.MANAGER
        )

    def roles_grantable(self) -> tuple[Role, ...]:
        if self.is_manager:
            return (Role.MEMBER, Role.TENANT_ADMIN, Role.MANAGER)
        if self.is_tenant_admin:
            return (Role.MEMBER, Role.TENANT_ADMIN)
        return ()

    def __repr__(self) -> str:
        return f"<Member {self.id} {self.role}>"
