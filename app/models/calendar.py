"""Calendar subscriptions (secret feed links) and imported external calendars."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Enum, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin, utcnow
from .booking import Booking, Closure
from .member import Member
from .resource import Resource
from .tenant import Tenant


class CalendarScope(StrEnum):
    MEMBER = "member"  # the bookings I made and the ones made for me
    TENANT = "tenant"  # my company's bookings
    RESOURCE = "resource"  # one room or machine, privacy-filtered
    SITE = "site"  # everything (managers)


class CalendarToken(Base):
    """A secret feed link (`/ical/<secret>.ics`), one per device. Only a SHA-256 is kept.

    `last_etag` and `last_modified` are the feed's HTTP state: when the bytes the
    feed renders change, `last_modified` moves to the moment that was noticed and
    never goes backwards, also when events disappear (a cancellation, a booking
    leaving the window).
    """

    __tablename__ = "calendar_token"
    __table_args__ = (
        CheckConstraint("(scope = 'resource') = (resource_id IS NOT NULL)", name="resource_scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    scope: Mapped[CalendarScope] = mapped_column(
        Enum(
            CalendarScope,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resource.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the secret, so a person can tell links apart.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]
    last_etag: Mapped[str | None] = mapped_column(String(80))
    last_modified: Mapped[dt.datetime | None]

    member: Mapped[Member] = relationship()
    resource: Mapped[Resource | None] = relationship()

    @property
    def resource_slug(self) -> str | None:
        return self.resource.slug if self.resource is not None else None


calendar_source_resource = Table(
    "calendar_source_resource",
    Base.metadata,
    Column(
        "source_id",
        ForeignKey("calendar_source.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("resource_id", ForeignKey("resource.id"), primary_key=True),
)


class CalendarSource(TimestampMixin, Base):
    """An external calendar (a URL, or an uploaded .ics) whose events close resources.

    Its closures are `Closure` rows with `source == closure_source` and the
    event's UID in `external_uid`. No resources: the whole building closes.
    """

    __tablename__ = "calendar_source"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    # None: uploaded once (a file), never refreshed.
    url: Mapped[str | None] = mapped_column(String(2000))
    active: Mapped[bool] = mapped_column(default=True)
    # The validators of the last download, sent back for a conditional GET.
    etag: Mapped[str | None] = mapped_column(String(255))
    http_last_modified: Mapped[str | None] = mapped_column(String(64))
    last_attempt_at: Mapped[dt.datetime | None]
    last_success_at: Mapped[dt.datetime | None]
    # Why the last refresh failed (the last good closures stay); None after a success.
    last_error: Mapped[str | None] = mapped_column(Text)
    closure_count: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))

    resources: Mapped[list[Resource]] = relationship(
        secondary=calendar_source_resource, order_by=Resource.name
    )

    @property
    def closure_source(self) -> str:
        return f"calendar:{self.id}"

    @property
    def is_uploaded(self) -> bool:
        return self.url is None


# Indexes on other areas' tables that exist for the calendars: the feeds' data
# version is the newest `updated_at` in a scope (every change to a booking
# touches it) and of the names a feed shows, read from an index instead of the
# rows; an import replaces the closures of one source.
Index("ix_booking_updated_at", Booking.updated_at)
Index("ix_booking_resource_updated", Booking.resource_id, Booking.updated_at)
Index("ix_booking_tenant_updated", Booking.tenant_id, Booking.updated_at)
Index("ix_member_updated_at", Member.updated_at)
Index("ix_resource_updated_at", Resource.updated_at)
Index("ix_tenant_updated_at", Tenant.updated_at)
Index("ix_closure_source", Closure.source)
