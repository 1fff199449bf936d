"""Bookings, the claims that guard them, series and closures."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin, utcnow
from .enums import HOLDING_STATUSES, BookingStatus

if TYPE_CHECKING:
    from .member import Member
    from .resource import Resource
    from .tenant import Tenant


def _status_enum() -> Enum:
    return Enum(
        BookingStatus,
        native_enum=False,
        length=20,
        values_callable=lambda e: [m.value for m in e],
    )


class BookingSeries(TimestampMixin, Base):
    """A recurring booking: the rule as asked, stored once; each occurrence is a Booking."""

    __tablename__ = "booking_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    rrule: Mapped[str] = mapped_column(String(300))
    # The local wall-clock start the rule repeats (e.g. 14:00 Europe/Brussels).
    local_start: Mapped[str] = mapped_column(String(19))
    timezone: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))


class Booking(TimestampMixin, Base):
    __tablename__ = "booking"
    __table_args__ = (
        CheckConstraint('start < "end"', name="interval"),
        Index("ix_booking_resource_start", "resource_id", "start"),
        Index("ix_booking_tenant_start", "tenant_id", "start"),
        # Overlap queries (the quota's hours of a month) range over the end: only the
        # bookings ending after the month began are read, not the company's history.
        # resource_id lets PostgreSQL pick the resources of one kind in the same scan.
        Index("ix_booking_tenant_end", "tenant_id", "end", "resource_id"),
        # The usage report's bookings of a period, from the index alone (migration 0009).
        Index(
            "ix_booking_report",
            "start",
            "end",
            "status",
            "tenant_id",
            "resource_id",
            "booked_for_id",
            "late_change",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"))
    # None: the incubator's own event (booked by staff, uses no quota).
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"))
    booked_by_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    booked_for_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    start: Mapped[dt.datetime]
    end: Mapped[dt.datetime]
    status: Mapped[BookingStatus] = mapped_column(_status_enum(), default=BookingStatus.CONFIRMED)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("booking_series.id"), index=True)
    # Bumped on every change, so calendar clients see the newest version.
    sequence: Mapped[int] = mapped_column(default=0)
    checked_in_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    decided_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    # Set when a booking was cancelled or moved too late (billable all the same).
    late_change: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(Text, default="")

    resource: Mapped[Resource] = relationship()
    tenant: Mapped[Tenant | None] = relationship()
    booked_by: Mapped[Member] = relationship(foreign_keys=[booked_by_id])
    booked_for: Mapped[Member] = relationship(foreign_keys=[booked_for_id])
    series: Mapped[BookingSeries | None] = relationship()
    claims: Mapped[list[BookingClaim]] = relationship(
        back_populates="booking", cascade="all, delete-orphan"
    )

    @property
    def holds_slot(self) -> bool:
        return self.status in HOLDING_STATUSES

    @property
    def duration(self) -> dt.timedelta:
        return self.end - self.start

    def touch(self, now: dt.datetime) -> None:
        """Every change: a new sequence number and modification time (iCal relies on it)."""
        self.sequence += 1
        self.updated_at = now

    # -- permission rules, in one place --
    def is_visible_to(self, actor: Member) -> bool:
        if actor.is_manager:
            return True
        if actor.is_tenant_admin:
            return self.tenant_id is not None and self.tenant_id == actor.tenant_id
        return actor.id in (self.booked_by_id, self.booked_for_id)

    def can_change(self, actor: Member) -> bool:
        """May `actor` move or cancel this booking (notice rules aside)?"""
        if not self.holds_slot:
            return False
        return self.is_visible_to(actor)

    def can_decide(self, actor: Member) -> bool:
        return actor.is_manager and self.status == BookingStatus.PENDING

    def checkin_deadline(self) -> dt.datetime | None:
        if not self.resource.checkin_required:
            return None
        return self.start + dt.timedelta(minutes=self.resource.checkin_window_minutes)

    def is_overdue_for_checkin(self, now: dt.datetime) -> bool:
        deadline = self.checkin_deadline()
        return (
            deadline is not None
            and self.status == BookingStatus.CONFIRMED
            and self.checked_in_at is None
            and now > deadline
        )


class BookingClaim(Base):
    """One guarded interval of one resource held by a pending or confirmed booking.

    The database refuses two overlapping claims on one resource: an exclusion
    constraint on PostgreSQL, a trigger on SQLite (see the migration).
    """

    __tablename__ = "booking_claim"
    __table_args__ = (
        CheckConstraint("block_start < block_end", name="interval"),
        # The overlap check (`block_start < end AND block_end > start`) ranges over
        # block_end: it reads only the claims that end after the requested start (the
        # resource's future, bounded by its horizon), never the history of the resource.
        Index("ix_booking_claim_resource_end", "resource_id", "block_end", "block_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("booking.id", ondelete="CASCADE"), index=True
    )
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"))
    block_start: Mapped[dt.datetime]
    block_end: Mapped[dt.datetime]

    booking: Mapped[Booking] = relationship(back_populates="claims")


class Closure(Base):
    """A period in which a resource (or, with no resource, the building) cannot be booked."""

    __tablename__ = "closure"
    __table_args__ = (
        CheckConstraint('start < "end"', name="interval"),
        Index("ix_closure_resource_start", "resource_id", "start"),
        Index("ix_closure_resource_end", "resource_id", "end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resource.id"))
    start: Mapped[dt.datetime]
    end: Mapped[dt.datetime]
    reason: Mapped[str] = mapped_column(String(200), default="")
    # Where it came from: "manual", or "calendar:<id>" for an imported feed.
    source: Mapped[str] = mapped_column(String(40), default="manual")
    external_uid: Mapped[str | None] = mapped_column(String(255))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    resource: Mapped[Resource | None] = relationship()
