"""Builders the occupancy and public-report tests share: sessions and bookings as stored
(the booking builder lives in tests/support/booking_rows.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from tests.support.booking_rows import add_booking  # noqa: F401 - the tests import it here
from tests.support.brussels import BRUSSELS, local  # noqa: F401 - the tests import them here


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
