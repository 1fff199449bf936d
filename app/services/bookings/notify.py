"""E-mails about bookings changed by someone else, in the reader's language, with an .ics."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.i18n import format_local, gettext_for
from app.models import Booking, BookingStatus, Member
from calendars import EventRecord, single_event_ics

from ..errors import N_
from ..mail import queue_mail

if TYPE_CHECKING:
    from .lifecycle import Facility

# Sent even to members who turned booking e-mails off: they change plans.
ESSENTIAL = {"rejected", "cancelled"}

SUBJECTS = {
    "approved": N_("Your booking of %(resource)s is approved"),
    "rejected": N_("Your booking of %(resource)s is rejected"),
    "moved": N_("Your booking of %(resource)s was moved"),
    "cancelled": N_("Your booking of %(resource)s was cancelled"),
    "no_show": N_("Your booking of %(resource)s was released: nobody checked in"),
}

ICS_STATUS = {
    BookingStatus.PENDING: "TENTATIVE",
    BookingStatus.CONFIRMED: "CONFIRMED",
}


def booking_uid(booking: Booking, facility: Facility) -> str:
    host = facility.public_url.split("://")[-1].split("/")[0] or "incubator"
    return f"booking-{booking.id}@{host}"


def booking_ics(booking: Booking, facility: Facility) -> bytes:
    return single_event_ics(
        EventRecord(
            uid=booking_uid(booking, facility),
            start=booking.start,
            end=booking.end,
            summary=booking.title or booking.resource.name,
            sequence=booking.sequence,
            status=ICS_STATUS.get(booking.status, "CANCELLED"),
            location=f"{facility.site_name}: {booking.resource.name}".strip(": "),
            url=f"{facility.public_url.rstrip('/')}/bookings/{booking.id}",
            last_modified=booking.updated_at,
        ),
        zone=facility.zone,
    )


def _recipients(booking: Booking, actor: Member | None) -> list[Member]:
    people: dict[int, Member] = {}
    for member in (booking.booked_by, booking.booked_for):
        if member is not None and member.active and (actor is None or member.id != actor.id):
            people[member.id] = member
    return list(people.values())


def booking_changed(
    booking: Booking, *, event: str, actor: Member | None, facility: Facility
) -> None:
    """Queue the e-mails for a change that `actor` (None: the system) made."""
    for member in _recipients(booking, actor):
        if event not in ESSENTIAL and not member.notify_bookings:
            continue
        _ = gettext_for(member.locale)
        when = format_local(booking.start, facility.zone.key, member.locale, "full")
        body = _(
            "Hello %(name)s,\n\n%(what)s\n\n%(resource)s, %(when)s.\n\n%(link)s\n",
            name=member.name,
            what=_(SUBJECTS[event], resource=booking.resource.name),
            resource=booking.resource.name,
            when=when,
            link=f"{facility.public_url.rstrip('/')}/bookings/{booking.id}",
        )
        if booking.note and event == "rejected":
            body += "\n" + _("Reason: %(reason)s", reason=booking.note) + "\n"
        queue_mail(
            to=member.email,
            subject=_(SUBJECTS[event], resource=booking.resource.name),
            body=body,
            attachment=(
                f"booking-{booking.id}.ics",
                "text/calendar",
                booking_ics(booking, facility).decode(),
            ),
        )
