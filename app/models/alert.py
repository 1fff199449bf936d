"""Incidents at the devices that managers are told about by e-mail: one row per incident."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .device import Device


class AlertKind(StrEnum):
    FORCED_DOOR = "forced_door"  # a door opened while its strike was locked
    HELD_OPEN = "held_open"  # a door open longer than the configured minutes
    OFFLINE = "offline"  # a device not heard from for the configured minutes


class DeviceAlert(Base):
    """One incident, found by the jobs runner and mailed to managers once.

    `incident_key` tells incidents of one kind at one device apart (the event that
    opened the door, the moment an offline device was last seen), so a second pass
    over the same incident finds its row and sends nothing. `cleared_at` is set
    when the incident is over (the door closed, the device came back).
    """

    __tablename__ = "device_alert"
    __table_args__ = (
        Index("uq_device_alert_incident", "device_id", "kind", "incident_key", unique=True),
        Index("ix_device_alert_open", "cleared_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("device.id"))
    kind: Mapped[AlertKind] = mapped_column(
        Enum(
            AlertKind, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]
        )
    )
    incident_key: Mapped[str] = mapped_column(String(80))
    # When the incident began: the door opened, the device was last heard from.
    opened_at: Mapped[dt.datetime]
    detected_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    notified_at: Mapped[dt.datetime | None]
    cleared_at: Mapped[dt.datetime | None]
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    device: Mapped[Device] = relationship()

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None

    def clear(self, now: dt.datetime) -> None:
        if self.cleared_at is None:
            self.cleared_at = now
