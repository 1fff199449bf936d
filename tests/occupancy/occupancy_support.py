"""Builders the occupancy and public-report tests share: sessions and bookings as stored."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")


def local(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0
) -> dt.datetime:
    """A Brussels wall time in UTC (fold=1: the later 02:xx in autumn)."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=BRUSSELS, fold=fold).astimezone(
        dt.UTC
    )


def add_session(
    db_session: Any,
    resource: Any,
    start: dt.datetime,
    end: dt.datetime | None,
    *,
    member: Any = None,
    tenant: Any = None,
) -> Any:
    """A usage session as the gateway stores it; `end=None` leaves it running."""
    from app.models import UsageSession

    row = UsageSession(
        session_id=str(uuid.uuid4()),
        device_id="machine-pi",
        boot="0badc0de",
        resource_id=resource.id,
        member_id=member.id if member is not None else None,
        tenant_id=(
            tenant.id if tenant is not None else member.tenant_id if member is not None else None
        ),
        started_at=start,
        ended_at=end,
        last_event_at=end or start,
    )
    db_session.add(row)
    db_session.commit()
    return row


def add_booking(
    db_session: Any,
    resource: Any,
    member: Any,
    start: dt.datetime,
    end: dt.datetime,
    *,
    status: str = "confirmed",
    title: str = "",
    tenant: Any = "member",
) -> Any:
    """A booking row as the booking services leave it (no rules: the fixture is the data)."""
    from app.models import Booking, BookingStatus

    booking = Booking(
        resource=resource,
        tenant=member.tenant if tenant == "member" else tenant,
        booked_by=member,
        booked_for=member,
        title=title,
        start=start,
        end=end,
        status=BookingStatus(status),
    )
    db_session.add(booking)
    db_session.commit()
    return booking
