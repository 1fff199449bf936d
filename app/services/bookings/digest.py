"""The daily e-mail to managers that lists the booking requests awaiting their decision."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.i18n import format_local, gettext_for
from app.models import Booking, BookingStatus, Member

from ..mail import queue_mail
from ..members import managers_wanting

if TYPE_CHECKING:
    from .lifecycle import Facility


def waiting_requests(now: dt.datetime) -> list[Booking]:
    """Pending requests that can still be decided (they have not begun)."""
    return list(
        db.session.scalars(
            select(Booking)
            .options(
                joinedload(Booking.resource),
                joinedload(Booking.tenant),
                joinedload(Booking.booked_for),
            )
            .where(Booking.status == BookingStatus.PENDING, Booking.start > now)
            .order_by(Booking.start, Booking.id)
        )
    )


def digest_readers() -> list[Member]:
    return managers_wanting(Member.notify_digest)


def _line(booking: Booking, reader: Member, facility: Facility) -> str:
    _ = gettext_for(reader.locale)
    who = booking.booked_for.name
    company = booking.tenant.name if booking.tenant is not None else _("the incubator")
    when = format_local(booking.start, facility.zone.key, reader.locale, "medium")
    line = f"- {when}: {booking.resource.name}, {company} ({who})"
    return line + (f" \u2013 {booking.title}" if booking.title else "")


def send_approval_digest(*, now: dt.datetime, facility: Facility) -> int:
    """Queue one e-mail per manager who wants it, when requests are waiting. Returns the count."""
    waiting = waiting_requests(now)
    if not waiting:
        return 0
    link = f"{facility.public_url.rstrip('/')}/bookings/approvals"
    sent = 0
    for reader in digest_readers():
        _ = gettext_for(reader.locale)
        lines = "\n".join(_line(booking, reader, facility) for booking in waiting)
        body = _(
            "Hello %(name)s,\n\nBooking requests waiting for a decision (%(count)s):\n\n"
            "%(lines)s\n\nApprove or reject them here: %(link)s\n\n"
            "You can turn this daily e-mail off on your profile page.\n",
            name=reader.name,
            count=len(waiting),
            lines=lines,
            link=link,
        )
        queue_mail(
            to=reader.email,
            subject=_("Booking requests waiting for approval: %(count)s", count=len(waiting)),
            body=body,
        )
        sent += 1
    return sent
