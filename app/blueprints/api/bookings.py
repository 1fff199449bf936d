"""/api/v1/bookings and /api/v1/resources/{slug}/availability: booking rooms, the kitchen
and the machines, with the very rules, claims and scopes the pages use.

Members book for themselves and see their own bookings; tenant admins also book for
and see their own company's members; managers book for anyone, or for the incubator
itself, and approve or reject requests. Another company's booking answers 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, url_for

from app.models import Booking, Member, Resource
from app.services import resources
from app.services.bookings import lifecycle, queries
from app.services.bookings.localtime import parse_instant
from app.services.errors import N_, NotFound, ValidationFailed
from app.services.pagination import Page
from app.web import commit, facility, now

from .auth import actor
from .booking_schemas import (
    AvailabilityOut,
    AvailabilityQuery,
    BookingChanged,
    BookingCreate,
    BookingCreated,
    BookingListQuery,
    BookingOut,
    BookingPage,
    BookingUpdate,
    CancelQuery,
    RejectBody,
)
from .references import member_ref, resource_ref
from .routing import ID, SLUG, Created, api_route, page_size

TAG = "bookings"
ONE = f"/bookings/<{ID}:booking_id>"

# The write handlers shape their answer before the commit: the commit expires every
# object, and reading them back would take another transaction (on SQLite, another
# turn at the write lock) for what is already known.


def _instant(value: str, field: str) -> dt.datetime:
    """Text to a UTC instant; without an offset it is facility-local wall time."""
    return parse_instant(value, ZoneInfo(current_app.config["TIMEZONE"]), field=field)


def _resource_to_book(slug: str) -> Resource:
    """`resource_ref`, with what the booking rules read of the resource in one query."""
    try:
        return queries.resource_to_book(actor(), slug)
    except NotFound:
        raise ValidationFailed({"resource": N_("Unknown resource.")}) from None


def _optional_instant(value: str | None, field: str) -> dt.datetime | None:
    return _instant(value, field) if value is not None else None


def _free_busy(
    resource: Resource, start: dt.datetime, end: dt.datetime, viewer: Member
) -> dict[str, Any]:
    queries.check_range(start, end)
    moment, building = now(), facility()
    free = queries.free_intervals(
        resource,
        start,
        end,
        now=moment,
        zone=building.zone,
        building_hours=building.building_hours,
    )
    busy = [
        {
            "start": interval.start,
            "end": interval.end,
            "kind": interval.kind,
            "label": queries.label_for(interval.booking, viewer) if interval.booking else "",
            "booking_id": (
                interval.booking.id
                if interval.booking and interval.booking.is_visible_to(viewer)
                else None
            ),
        }
        for interval in queries.busy_intervals(resource, start, end, now=moment)
    ]
    return {
        "resource": resource.slug,
        "start": start,
        "end": end,
        "free": [{"start": s, "end": e} for s, e in free],
        "busy": busy,
    }


@api_route(
    f"/resources/<{SLUG}:slug>/availability",
    "GET",
    query=AvailabilityQuery,
    response=AvailabilityOut,
    tag=TAG,
    summary="Free and busy times of a resource",
)
def availability(slug: str, query: AvailabilityQuery) -> dict[str, Any]:
    """Everyone may read it. Busy periods of other companies show only what the resource's
    privacy setting allows; a booking past its check-in deadline counts as free."""
    resource = resources.get_resource(actor(), slug)
    start, end = _instant(query.start, "start"), _instant(query.end, "end")
    return _free_busy(resource, start, end, actor())


@api_route(
    "/bookings",
    "GET",
    query=BookingListQuery,
    response=BookingPage,
    tag=TAG,
    summary="List bookings",
)
def list_bookings(query: BookingListQuery) -> Page[Booking]:
    """Managers see every booking, tenant admins their company's, members their own
    (made by them or for them); in time order."""
    start, end = _optional_instant(query.start, "start"), _optional_instant(query.end, "end")
    if start and end and end <= start:
        raise ValidationFailed({"end": N_("The end must be after the start.")})
    return queries.list_bookings(
        actor(),
        resource=resource_ref(query.resource) if query.resource else None,
        tenant_id=query.tenant,
        start=start,
        end=end,
        statuses=query.statuses,
        page=query.page,
        per_page=page_size(query),
    )


@api_route(
    "/bookings",
    "POST",
    body=BookingCreate,
    response=BookingCreated,
    status=201,
    tag=TAG,
    summary="Book a resource, once or as a series",
    errors=(403, 409),
)
def create_booking(body: BookingCreate) -> Created:
    """Every rule of the resource applies (422 with `rule`); a clash is a 409 listing the
    periods in the way. A request for a resource that needs approval is `pending`: it
    holds its slot until a manager decides. A series is all or nothing, unless
    `skip_conflicts` leaves out the occurrences that clash."""
    result = lifecycle.create_booking(
        actor=actor(),
        resource=_resource_to_book(body.resource),
        start=_instant(body.start, "start"),
        end=_instant(body.end, "end"),
        title=body.title,
        booked_for=member_ref(body.booked_for, field="booked_for") if body.booked_for else None,
        recurrence=body.recurrence,
        skip_conflicts=body.skip_conflicts,
        now=now(),
        facility=facility(),
    )
    answer = BookingCreated.of(result.bookings, result.skipped)
    commit()
    return Created(answer, url_for(".get_booking", booking_id=answer.id, _external=True))


@api_route(ONE, "GET", response=BookingOut, tag=TAG, summary="Read a booking")
def get_booking(booking_id: int) -> Booking:
    return lifecycle.get_booking(actor(), booking_id)


def _new_times(booking: Booking, values: dict[str, Any]) -> tuple[dt.datetime, dt.datetime]:
    start = _instant(values["start"], "start") if "start" in values else booking.start
    if "end" in values:
        return start, _instant(values["end"], "end")
    return start, start + booking.duration


@api_route(
    ONE,
    "PATCH",
    body=BookingUpdate,
    response=BookingChanged,
    tag=TAG,
    summary="Move or rename a booking",
    errors=(409,),
)
def update_booking(booking_id: int, body: BookingUpdate) -> BookingChanged:
    """Send `start` and/or `end` to move, `title` to rename. A move is checked against
    every rule again, and the notice period applies (managers may `override_notice`). A
    title alone (or with the times unchanged) renames, notice or not: the slot stays."""
    booking = lifecycle.get_booking(actor(), booking_id)
    values = body.given()
    if not {"start", "end", "title"} & set(values):
        return BookingChanged.of(booking, [])
    start, end = _new_times(booking, values)
    changed = lifecycle.move_booking(
        booking,
        actor=actor(),
        start=start,
        end=end,
        title=values.get("title"),
        scope=body.scope,
        override_notice=body.override_notice,
        now=now(),
        facility=facility(),
    )
    answer = BookingChanged.of(booking, changed)
    commit()
    return answer


@api_route(
    ONE,
    "DELETE",
    query=CancelQuery,
    status=204,
    tag=TAG,
    summary="Cancel a booking",
)
def delete_booking(booking_id: int, query: CancelQuery) -> None:
    """The booking is cancelled, not erased; its slot is free again. `?scope=` cancels the
    following occurrences or the whole series; the notice period applies (managers may
    `?override_notice=true`, which is audited)."""
    booking = lifecycle.get_booking(actor(), booking_id)
    lifecycle.cancel_booking(
        booking,
        actor=actor(),
        scope=query.scope,
        override_notice=query.override_notice,
        now=now(),
        facility=facility(),
    )
    commit()


@api_route(
    f"{ONE}/approve",
    "POST",
    response=BookingOut,
    tag=TAG,
    summary="Approve a pending booking",
    errors=(403, 422),
)
def approve_booking(booking_id: int) -> BookingOut:
    """Managers only. Every rule is checked again (lead time aside)."""
    booking = lifecycle.get_booking(actor(), booking_id)
    lifecycle.approve_booking(booking, actor=actor(), now=now(), facility=facility())
    answer = BookingOut.model_validate(booking)
    commit()
    return answer


@api_route(
    f"{ONE}/reject",
    "POST",
    body=RejectBody,
    body_required=False,
    response=BookingOut,
    tag=TAG,
    summary="Reject a pending booking",
    errors=(403,),
)
def reject_booking(booking_id: int, body: RejectBody) -> BookingOut:
    """Managers only. The body (with a `reason` for the member) may be left out."""
    booking = lifecycle.get_booking(actor(), booking_id)
    lifecycle.reject_booking(
        booking, actor=actor(), reason=body.reason, now=now(), facility=facility()
    )
    answer = BookingOut.model_validate(booking)
    commit()
    return answer


@api_route(
    f"{ONE}/check-in",
    "POST",
    response=BookingOut,
    tag=TAG,
    summary="Check in to a booking",
    errors=(422,),
)
def check_in(booking_id: int) -> BookingOut:
    """From 15 minutes before the start until the resource's check-in deadline. Checking in
    twice changes nothing."""
    booking = lifecycle.get_booking(actor(), booking_id)
    lifecycle.check_in(booking, actor=actor(), now=now())
    answer = BookingOut.model_validate(booking)
    commit()
    return answer
