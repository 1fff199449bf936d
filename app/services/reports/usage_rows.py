"""A usage report's rows: the figures of one group, in seconds inside and hours outside."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from ..errors import N_
from .periods import Period

INCUBATOR = "incubator"
ENTRANCE = "entrance"
UNKNOWN = "unknown"
HOUR = Decimal(3600)
#: names of the groups that are not a record (message ids: the edge translates them)
NAMES = {
    INCUBATOR: N_("Incubator (own use)"),
    ENTRANCE: N_("Building entrance"),
    UNKNOWN: N_("Unknown"),
    "sector:traditional": N_("Traditional sector"),
    "sector:creative": N_("Creative and cultural sector"),
    "sector:tech": N_("Technology and IT"),
    "sector:knowledge": N_("Knowledge institution"),
    "sector:other": N_("Other"),
}
CENT = Decimal("0.01")


def hours(secs: float) -> Decimal:
    return (Decimal(repr(secs)) / HOUR).quantize(CENT)


@dataclass
class UsageRow:
    """One group's figures; seconds inside, hours (two decimals) outside."""

    key: str  # "tenant:3", "incubator", "resource:5", "member:7", "sector:creative", ...
    label: str
    #: True when `label` is a message id to translate (incubator, sectors, ...), not a name
    translate: bool = False
    booked_s: float = 0.0
    used_s: float = 0.0
    billable_s: float = 0.0
    busy_s: float = 0.0
    idle_s: float = 0.0
    machine_reported: bool = False
    sessions: int = 0
    no_shows: int = 0
    unbooked_sessions: int = 0
    door_entries: int | None = None
    occupied_s: float = 0.0
    capacity_s: float = 0.0

    @property
    def booked_hours(self) -> Decimal:
        return hours(self.booked_s)

    @property
    def used_hours(self) -> Decimal:
        return hours(self.used_s)

    @property
    def billable_hours(self) -> Decimal:
        return hours(self.billable_s)

    @property
    def busy_hours(self) -> Decimal | None:
        return hours(self.busy_s) if self.machine_reported else None

    @property
    def idle_hours(self) -> Decimal | None:
        return hours(self.idle_s) if self.machine_reported else None

    @property
    def opening_hours(self) -> Decimal:
        return hours(self.capacity_s)

    @property
    def utilisation(self) -> Decimal | None:
        """Occupied time over opening time, as a share (0.25 is 25 %)."""
        if self.capacity_s <= 0:
            return None
        return (Decimal(repr(self.occupied_s)) / Decimal(repr(self.capacity_s))).quantize(
            Decimal("0.0001")
        )

    def add(self, other: UsageRow) -> None:
        for name in ("booked_s", "used_s", "billable_s", "busy_s", "idle_s", "occupied_s"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.machine_reported = self.machine_reported or other.machine_reported
        self.sessions += other.sessions
        self.no_shows += other.no_shows
        self.unbooked_sessions += other.unbooked_sessions
        if other.door_entries is not None:
            self.door_entries = (self.door_entries or 0) + other.door_entries


@dataclass
class UsageReport:
    period: Period
    group_by: str
    tenant_id: int | None  # the one company the report is limited to, if any
    now: dt.datetime
    rows: list[UsageRow]
    total: UsageRow
    shows_door_entries: bool
    notes: list[str] = field(default_factory=list)
    #: days of the period read from the stored totals (the rest from the source rows)
    stored_days: int = 0
