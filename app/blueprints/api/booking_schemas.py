"""Request and response models of the bookings API (see `schemas` for the shared bases).

Times in requests are text, read by the booking services' own parser, so the
API and the pages refuse the same inputs with the same messages (a local time
that the daylight-saving change skips or repeats is a 422 with rule
`local_time`). Times in answers carry the facility's UTC offset, so the local
wall time reads directly: `2026-12-02T10:00:00+01:00`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from flask import current_app
from pydantic import AfterValidator, AliasChoices, BaseModel, ConfigDict, Field, field_validator

from app.models import Booking, BookingStatus
from app.services.bookings.lifecycle import Scope
from app.services.errors import N_

from .schemas import ABSENT, Body, Id, ListQuery, Out, PageOf, PatchBody, Slug


def _facility_time(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))


Local = Annotated[
    dt.datetime,
    AfterValidator(_facility_time),
    Field(description="ISO-8601 with the facility's UTC offset, e.g. 2026-12-02T10:00:00+01:00."),
]
TimeText = Annotated[
    str,
    Field(
        max_length=64,
        description="ISO-8601. With an offset (`2026-12-02T10:00:00+01:00`, `...Z`) it is that "
        "instant; without one (`2026-12-02T10:00`) it is facility-local wall time. A local "
        "time that does not exist or happens twice (daylight-saving changes) is refused: "
        '422 with `rule: "local_time"`.',
        examples=["2026-12-02T10:00", "2026-12-02T10:00:00+01:00"],
    ),
]
Title = Annotated[str, Field(max_length=200)]


# -- answers -------------------------------------------------------------------


class Period(Out):
    start: Local
    end: Local


class BookingOut(Out):
    id: int
    status: BookingStatus
    resource: str = Field(description="The resource's slug.")
    title: str
    start: Local
    end: Local
    tenant_id: int | None = Field(description="Null: the incubator's own event.")
    booked_by: int = Field(
        validation_alias=AliasChoices("booked_by_id", "booked_by"),
        description="The id of the member who made the booking.",
    )
    booked_for: int = Field(
        validation_alias=AliasChoices("booked_for_id", "booked_for"),
        description="The id of the member it is for (tenant admins and managers may book "
        "for someone else).",
    )
    series_id: int | None = Field(description="Set for the occurrences of a recurring booking.")
    sequence: int = Field(description="Grows with every change (calendars rely on it).")
    checked_in_at: Local | None
    cancelled_at: Local | None
    note: str = Field(description="The manager's reason, for a rejected booking.")
    created_at: Local
    updated_at: Local

    @field_validator("resource", mode="before")
    @classmethod
    def _resource_slug(cls, value: Any) -> Any:
        return getattr(value, "slug", value)


class BookingCreated(BookingOut):
    """The booking made (the first occurrence of a series), with every occurrence."""

    occurrences: list[BookingOut] = Field(
        description="Every booking made, in time order: the booking itself alone, or each "
        "occurrence of the series (the first is the one described at the top level)."
    )
    skipped: list[Period] = Field(
        description='Occurrences of the series left out because they clash ("skip_conflicts").'
    )

    @classmethod
    def of(cls, bookings: Sequence[Booking], skipped: Sequence[Any]) -> BookingCreated:
        occurrences = [BookingOut.model_validate(b) for b in bookings]
        # Every part is validated already: assembled, not validated a second time.
        return cls.model_construct(
            **dict(occurrences[0]),
            occurrences=occurrences,
            skipped=[Period.model_validate(s) for s in skipped],
        )


class BookingChanged(BookingOut):
    """The booking as it is now, with every booking the change touched."""

    changed: list[BookingOut] = Field(
        description="Every booking moved by this change, in time order (with a `scope` of "
        "`following` or `series`, the other occurrences too)."
    )

    @classmethod
    def of(cls, booking: Booking, changed: Sequence[Booking]) -> BookingChanged:
        this = BookingOut.model_validate(booking).model_dump()
        return cls(**this, changed=[BookingOut.model_validate(b) for b in changed])


class BookingPage(PageOf[BookingOut]):
    pass


class BusyOut(Out):
    start: Local
    end: Local
    kind: Literal["booked", "closed"]
    label: str = Field(
        description="What the caller may know of it: the title for their own (or, for a "
        "tenant admin, their company's) bookings; otherwise as the resource's privacy "
        'allows: "" (busy_only), the company, or the company and the member; "incubator" '
        'for the incubator\'s own events; "" for closures.'
    )
    booking_id: int | None = Field(description="Only for bookings the caller may read.")


class AvailabilityOut(Out):
    resource: str = Field(description="The resource's slug.")
    start: Local
    end: Local
    free: list[Period] = Field(description="Open (opening hours) and not taken, buffers included.")
    busy: list[BusyOut] = Field(description="Bookings that hold the resource, and closures.")


# -- requests ------------------------------------------------------------------


class BookingCreate(Body):
    resource: Slug = Field(description="The resource's slug.")
    start: TimeText
    end: TimeText
    title: Title = ""
    recurrence: str | None = Field(
        default=None,
        max_length=300,
        description="An RRULE (RFC 5545) for a series, repeated in local time: FREQ "
        "DAILY, WEEKLY or MONTHLY, optional INTERVAL (1-52) and BYDAY (weekly only), and "
        "either COUNT or UNTIL; at most 200 occurrences. E.g. `FREQ=WEEKLY;BYDAY=MO;COUNT=4`.",
    )
    booked_for: Id | None = Field(
        default=None,
        description="A member id: tenant admins book for their own members, managers for "
        "anyone. Leave out to book for yourself (a manager: for the incubator itself).",
    )
    skip_conflicts: bool = Field(
        default=False,
        description="For a series: leave out the occurrences that clash (listed in "
        "`skipped`) instead of refusing the whole series.",
    )


class BookingUpdate(PatchBody):
    start: TimeText = Field(default=ABSENT, description="Sent alone, the length is kept.")
    end: TimeText = Field(default=ABSENT)
    title: Title = Field(default=ABSENT)
    scope: Scope = Field(
        default=Scope.THIS,
        description="For an occurrence of a series: this one, this and the following ones, "
        "or the whole series (its occurrences not yet over); the shift is applied in local "
        "wall time.",
    )
    override_notice: bool = Field(
        default=False, description="Managers only: change even after the notice period."
    )


class RejectBody(Body):
    reason: Title = Field(default="", description="Told to the member.")


class CancelQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    scope: Scope = Field(default=Scope.THIS, description="this, following or series.")
    override_notice: bool = Field(
        default=False, description="Managers only: cancel even after the notice period."
    )


class AvailabilityQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    start: TimeText
    end: TimeText = Field(description="At most a year after `start`.")


class BookingListQuery(ListQuery):
    resource: Slug | None = Field(default=None, description="Only this resource's (its slug).")
    start: TimeText | None = Field(default=None, description="Only bookings ending after this.")
    end: TimeText | None = Field(default=None, description="Only bookings starting before this.")
    tenant: Id | None = Field(default=None, description="Only this tenant's (its id).")
    status: str | None = Field(
        default=None,
        max_length=100,
        description="Only these statuses, comma-separated: pending, confirmed, cancelled, "
        "rejected, no_show.",
    )

    @field_validator("status")
    @classmethod
    def _known_statuses(cls, value: str | None) -> str | None:
        known = {status.value for status in BookingStatus}
        if value is not None and not set(value.split(",")) <= known:
            raise ValueError(N_("Choose one of the listed values."))
        return value

    @property
    def statuses(self) -> tuple[BookingStatus, ...] | None:
        return tuple(BookingStatus(s) for s in self.status.split(",")) if self.status else None
