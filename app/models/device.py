"""Raspberry Pis at doors and machines, what they must be told, and the commands they get."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin, utcnow

if TYPE_CHECKING:
    from .member import Member
    from .resource import Resource


def _enum(e: type) -> Enum:
    return Enum(e, native_enum=False, length=20, values_callable=lambda x: [m.value for m in x])


class DeviceKind(StrEnum):
    DOOR = "door"
    MACHINE = "machine"


class Device(TimestampMixin, Base):
    """A bridge. Its id is also its MQTT username and client id."""

    __tablename__ = "device"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[DeviceKind] = mapped_column(_enum(DeviceKind))
    # None on a door: a building entrance, governed by building hours.
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resource.id"), index=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    active: Mapped[bool] = mapped_column(default=True)
    deactivated_at: Mapped[dt.datetime | None]
    credential_rotated_at: Mapped[dt.datetime | None]
    # A door's unlock schedule (reception hours, an event), same shape as opening hours.
    unlock_schedule: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Presence, as the gateway last heard it.
    online: Mapped[bool] = mapped_column(default=False)
    last_seen_at: Mapped[dt.datetime | None]
    boot: Mapped[str | None] = mapped_column(String(8))
    versions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    outbox_count: Mapped[int] = mapped_column(default=0)
    dead_letter_count: Mapped[int] = mapped_column(default=0)
    acl_version_published: Mapped[int] = mapped_column(default=0)
    acl_version_applied: Mapped[int | None]

    resource: Mapped[Resource | None] = relationship()

    @property
    def is_entrance(self) -> bool:
        return self.kind == DeviceKind.DOOR and self.resource_id is None


class OutboxKind(StrEnum):
    ACL = "acl"  # rebuild and publish the device's allow-list
    COMMAND = "command"  # send a DeviceCommand
    ACCOUNT = "account"  # make the broker's accounts match the database


class AccountChange(StrEnum):
    """What an ``account`` outbox row asks of the broker (its ``reason``)."""

    #: create the device's broker account, or give it the new password in ``secret``
    UPSERT = "account.upsert"
    #: delete the account (the broker disconnects the device at once), clear its retained topics
    DELETE = "account.delete"


class DeviceOutbox(Base):
    """What the gateway must send, written in the same transaction as the change.

    `device_id` None on an ACL row means every device. An ``account`` row names
    its change in `reason` (`AccountChange`).
    """

    __tablename__ = "device_outbox"
    __table_args__ = (Index("ix_device_outbox_pending", "done_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OutboxKind] = mapped_column(_enum(OutboxKind))
    device_id: Mapped[str | None] = mapped_column(String(32))
    command_id: Mapped[str | None] = mapped_column(String(36))
    reason: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    done_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    # An ``account.upsert`` row's new MQTT password, sealed (Fernet, with a key derived
    # from SECRET_KEY: `app.services.device_secrets`), never in plain text. The gateway
    # sets it to None in the transaction that marks the row done, so it lives in the
    # database only until the broker has it.
    secret: Mapped[str | None] = mapped_column(String(300))


class CommandState(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    ACKED = "acked"
    REFUSED = "refused"
    EXPIRED = "expired"


class DeviceCommand(Base):
    __tablename__ = "device_command"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the command id (cid)
    device_id: Mapped[str] = mapped_column(ForeignKey("device.id"), index=True)
    command: Mapped[str] = mapped_column(String(20))
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[CommandState] = mapped_column(_enum(CommandState), default=CommandState.QUEUED)
    reason: Mapped[str | None] = mapped_column(String(60))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]
    answered_at: Mapped[dt.datetime | None]

    device: Mapped[Device] = relationship()
    created_by: Mapped[Member | None] = relationship()


class AccessEvent(Base):
    """Every event a device reported, stored once per (device, event id). Append-only."""

    __tablename__ = "access_event"
    __table_args__ = (
        Index("uq_access_event_device_event", "device_id", "event_id", unique=True),
        Index("ix_access_event_received", "received_at"),
        Index("ix_access_event_member_time", "member_id", "device_time"),
        Index("ix_access_event_resource_time", "resource_id", "device_time"),
        # A door's newest opened / closed / forced event, for the alerts (migration 0007).
        Index("ix_access_event_device_type", "device_id", "type", "id"),
        # The API's list, newest first, and its `before` cursor (migration 0011).
        Index("ix_access_event_time", "device_time", "id"),
        # The usage report's door entries of a period, from the index alone (migration 0009).
        Index(
            "ix_access_event_door",
            "device_id",
            "device_time",
            "type",
            "granted",
            "tenant_id",
            "member_id",
        ),
        # What the retention job still has to anonymise (app.services.retention).
        Index(
            "ix_access_event_retention",
            "received_at",
            sqlite_where=text("anonymised_at IS NULL"),
            postgresql_where=text("anonymised_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36))
    device_id: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(20))
    boot: Mapped[str] = mapped_column(String(8))
    seq: Mapped[int]
    badge_uid: Mapped[str | None] = mapped_column(String(64))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"), index=True)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resource.id"))
    granted: Mapped[bool | None]
    reason: Mapped[str | None] = mapped_column(String(40))
    mode: Mapped[str | None] = mapped_column(String(10))
    device_time: Mapped[dt.datetime]
    clock_synced: Mapped[bool] = mapped_column(default=True)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Set by the retention job when it cleared the badge, member and personal data.
    anonymised_at: Mapped[dt.datetime | None]


class QuarantinedEvent(Base):
    """An event the gateway refused, kept raw with the reason (the device was told)."""

    __tablename__ = "quarantined_event"
    __table_args__ = (
        Index(
            "ix_quarantined_event_retention",
            "received_at",
            sqlite_where=text("anonymised_at IS NULL"),
            postgresql_where=text("anonymised_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(String(32), index=True)
    event_id: Mapped[str | None] = mapped_column(String(36))
    reason: Mapped[str] = mapped_column(String(60))
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Set by the retention job when it took badge and member ids out of `payload`.
    anonymised_at: Mapped[dt.datetime | None]


class UsageSession(Base):
    """One use of a machine (or room), opened and closed on the device."""

    __tablename__ = "usage_session"
    __table_args__ = (
        Index("uq_usage_session_device_session", "device_id", "session_id", unique=True),
        Index("ix_usage_session_resource_start", "resource_id", "started_at"),
        Index("ix_usage_session_tenant_start", "tenant_id", "started_at"),
        Index("ix_usage_session_open", "ended_at", "last_event_at"),
        # The usage report's sessions of a period, from the index alone (migration 0009).
        Index(
            "ix_usage_session_report",
            "started_at",
            "ended_at",
            "tenant_id",
            "resource_id",
            "member_id",
            "busy_s",
            "idle_s",
        ),
        Index(
            "ix_usage_session_retention",
            "started_at",
            sqlite_where=text("anonymised_at IS NULL"),
            postgresql_where=text("anonymised_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(String(36))
    device_id: Mapped[str] = mapped_column(String(32))
    boot: Mapped[str] = mapped_column(String(8))
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resource.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), index=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"))
    started_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]
    last_tick_at: Mapped[dt.datetime | None]
    last_event_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    stop_reason: Mapped[str | None] = mapped_column(String(30))
    # True while the end was set by the gateway (orphaned) and not yet by the device.
    provisional_end: Mapped[bool] = mapped_column(default=False)
    busy_s: Mapped[int] = mapped_column(default=0)
    idle_s: Mapped[int] = mapped_column(default=0)
    # Set by the retention job when it cleared the member (tenant, times and durations stay).
    anonymised_at: Mapped[dt.datetime | None]

    resource: Mapped[Resource | None] = relationship()
    member: Mapped[Member | None] = relationship()

    def duration_until(self, now: dt.datetime) -> dt.timedelta:
        return (self.ended_at or now) - self.started_at
