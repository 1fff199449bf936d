from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Enum, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin
from .enums import Privacy, ResourceKind, ResourceStatus

if TYPE_CHECKING:
    pass


def _enum(e: type) -> Enum:
    return Enum(e, native_enum=False, length=20, values_callable=lambda x: [m.value for m in x])


class Resource(TimestampMixin, Base):
    """A bookable or badge-gated place or machine. Machines hang under the Fablab."""

    __tablename__ = "resource"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[ResourceKind] = mapped_column(_enum(ResourceKind))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("resource.id"), index=True)
    status: Mapped[ResourceStatus] = mapped_column(
        _enum(ResourceStatus), default=ResourceStatus.AVAILABLE
    )
    active: Mapped[bool] = mapped_column(default=True)
    deactivated_at: Mapped[dt.datetime | None]

    # Booking rules (minutes unless named otherwise); enforced by the bookings issue.
    bookable: Mapped[bool] = mapped_column(default=True)
    min_minutes: Mapped[int] = mapped_column(default=30)
    max_minutes: Mapped[int] = mapped_column(default=480)
    slot_minutes: Mapped[int] = mapped_column(default=30)
    lead_minutes: Mapped[int] = mapped_column(default=0)
    horizon_days: Mapped[int] = mapped_column(default=90)
    change_notice_minutes: Mapped[int] = mapped_column(default=0)
    buffer_before_minutes: Mapped[int] = mapped_column(default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(default=0)
    approval_required: Mapped[bool] = mapped_column(default=False)
    training_required: Mapped[bool] = mapped_column(default=False)
    booking_required_for_use: Mapped[bool] = mapped_column(default=False)
    checkin_required: Mapped[bool] = mapped_column(default=False)
    checkin_window_minutes: Mapped[int] = mapped_column(default=15)
    # None: the building's hours apply. Same shape as SiteSettings.building_hours.
    opening_hours: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    privacy: Mapped[Privacy] = mapped_column(_enum(Privacy), default=Privacy.BUSY_ONLY)
    hourly_rate: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0.00"))
    # How long a qualification stays valid without use (None: no expiry).
    qualification_valid_days: Mapped[int | None]

    parent: Mapped[Resource | None] = relationship(
        remote_side="Resource.id", back_populates="children"
    )
    children: Mapped[list[Resource]] = relationship(back_populates="parent")

    @property
    def is_machine(self) -> bool:
        return self.kind == ResourceKind.MACHINE

    def __repr__(self) -> str:
        return f"<Resource {self.slug}>"
