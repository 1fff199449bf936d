"""A booking row as the booking services leave it, stored without their rules (past
months, any status): for tests whose fixture is the data itself."""

from __future__ import annotations

import datetime as dt
from typing import Any


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
    **fields: Any,
) -> Any:
    """Book `resource` by and for `member`; `tenant` is the member's company unless given
    (None for a manager's own booking). Committed, as the services commit."""
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
        **fields,
    )
    db_session.add(booking)
    db_session.commit()
    return booking
