from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Enum, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin
from .enums import Sector, TenantStatus

if TYPE_CHECKING:
    from .member import Member


class Tenant(TimestampMixin, Base):
    __tablename__ = "tenant"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    sector: Mapped[Sector] = mapped_column(
        Enum(Sector, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    contract_start: Mapped[dt.date | None]
    contract_end: Mapped[dt.date | None]
    status: Mapped[TenantStatus] = mapped_column(
        Enum(
            TenantStatus,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=TenantStatus.ACTIVE,
    )
    # Shown by name on the public report only when the company agrees.
    public_opt_in: Mapped[bool] = mapped_column(default=False)
    deactivated_at: Mapped[dt.datetime | None]
    # The quota plan: included hours per month per resource kind, e.g.
    # {"room": 8, "kitchen": 10}. None: no quota is enforced. A kind missing
    # from the plan has no included hours.
    quota_hours: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # May bookings go beyond the included hours (billed as overage)?
    allow_overage: Mapped[bool] = mapped_column(default=False)

    members: Mapped[list[Member]] = relationship(back_populates="tenant")

    @property
    def is_active(self) -> bool:
        return self.status == TenantStatus.ACTIVE

    def contract_running(self, today: dt.date) -> bool:
        if self.contract_start and today < self.contract_start:
            return False
        return not (self.contract_end and today > self.contract_end)

    def __repr__(self) -> str:
        return f"<Tenant {self.slug}>"
