"""Usage totals: what the usage sessions, bookings and door entries add up to, per local day.

The usage report and the public report read these instead of a month of source
rows (app.services.reports.totals explains the scheme). Each row holds the sums
of one company (``tenant_key``, 0 for the incubator's own use) on one resource
(``resource_key``, 0 for none) *from the first day of its local month through
``day``*: the figures of days a..b of a month are the row of b less the row of
a - 1, whatever the month holds.

The rows are derived data: the jobs runner writes them from the source tables,
and the database itself records every later change to a day they cover
(`UsageChange`, written by triggers from migration 0010), so a reader never
trusts a day that changed since.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Float, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

#: the facts summed per company, resource and day (floats are seconds)
FACT_FIELDS = (
    "booked_s",  # confirmed bookings
    "billable_booked_s",  # bookings that count for billing by their status, of a company
    "no_shows",  # bookings released because nobody came, by their start
    "used_s",  # usage sessions, clipped to the day
    "company_used_s",  # the same, of a company's sessions (the incubator's own are not billed)
    "busy_s",  # machine time the device reported busy, shared out over the days
    "idle_s",
    "reported",  # sessions whose device reported busy or idle time
    "sessions",  # sessions that started on the day
    "unbooked",  # sessions that started without a covering booking
)


class UsageTotal(Base):
    __tablename__ = "usage_total"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    tenant_key: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    resource_key: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    booked_s: Mapped[float] = mapped_column(Float, default=0.0)
    billable_booked_s: Mapped[float] = mapped_column(Float, default=0.0)
    no_shows: Mapped[int] = mapped_column(default=0)
    used_s: Mapped[float] = mapped_column(Float, default=0.0)
    company_used_s: Mapped[float] = mapped_column(Float, default=0.0)
    busy_s: Mapped[float] = mapped_column(Float, default=0.0)
    idle_s: Mapped[float] = mapped_column(Float, default=0.0)
    reported: Mapped[int] = mapped_column(default=0)
    sessions: Mapped[int] = mapped_column(default=0)
    unbooked: Mapped[int] = mapped_column(default=0)
    #: bit n-1 set: the company used or booked the resource on day n of the month
    visit_days: Mapped[int] = mapped_column(default=0)


class DoorTotal(Base):
    """Granted entries at each device per company, from the month's first day through `day`."""

    __tablename__ = "door_total"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    tenant_key: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    device_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    entries: Mapped[int] = mapped_column(default=0)


class UsageTotalDay(Base):
    """A local day whose totals are written (settled): a month's settled days run from its 1st."""

    __tablename__ = "usage_total_day"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    computed_at: Mapped[dt.datetime]


class UsageTotalState(Base):
    """One row: the time zone of the days, and the horizon below which changes are logged."""

    __tablename__ = "usage_total_state"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    zone: Mapped[str] = mapped_column(String(64))
    #: the triggers log a change to any source row reaching below this instant
    horizon: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime]


class UsageChange(Base):
    """A change to the sources reaching into [lo, hi], logged by a trigger (migration 0010)."""

    __tablename__ = "usage_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    lo: Mapped[dt.datetime]
    hi: Mapped[dt.datetime]
