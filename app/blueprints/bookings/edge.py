"""What the booking pages share: refusals shown on forms, local times, the clock.

The clock and the facility are read through `app.web` as a module, so tests
can fix the time with one monkeypatch (`app.web.now`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_datetime

from app import web
from app.errors import translate
from app.services.bookings.localtime import localize, repeated
from app.services.errors import N_, Conflict, RuleViolation, ValidationFailed

# The refusals a booking form shows in place; anything else goes to the error pages.
REFUSALS = (ValidationFailed, RuleViolation, Conflict)

# Service field names -> form field names.
FIELD_NAMES = {"start": "start_time", "end": "end_time"}


@dataclass
class Refusal:
    """Which rule refused and why, in the reader's language."""

    status: int
    message: str
    rule: str | None = None
    conflicts: list[tuple[dt.datetime, dt.datetime]] = field(default_factory=list)


def refuse(
    form: Any,
    exc: ValidationFailed | RuleViolation | Conflict,
    *,
    names: dict[str, str] | None = None,
) -> Refusal:
    """Roll back what the service did, put its field errors on the form, describe the refusal."""
    web.rollback()
    names = {**FIELD_NAMES, **(names or {})}
    fields = {names.get(k, k): v for k, v in exc.fields.items()}
    if form is not None:
        web.field_errors(form, fields, translate)
    return Refusal(
        status=exc.status,
        message=translate(exc.message, exc.params),
        rule=exc.rule,
        conflicts=list(getattr(exc, "conflicts", [])),
    )


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def now() -> dt.datetime:
    return web.now()


def today() -> dt.date:
    return now().astimezone(zone()).date()


def instants(local_start: dt.datetime, local_end: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """UTC instants of typed local times; refuses times that DST skips or repeats."""
    return _instant(local_start, "start"), _instant(local_end, "end")


def _instant(local: dt.datetime, field: str) -> dt.datetime:
    try:
        return localize(local, zone(), field=field)
    except RuleViolation:
        if not repeated(local, zone()):
            raise
        # The service's answer asks for a UTC offset, which a form has no field for.
        raise RuleViolation(
            N_(
                "%(time)s happens twice on that day: the clocks go back an hour, so the "
                "form cannot tell which of the two you mean. Choose a time outside that "
                "hour, or book it through the API with the UTC offset."
            ),
            params={"time": local.strftime("%Y-%m-%d %H:%M")},
            rule="local_time",
            fields={field: N_("This local time happens twice that day.")},
        ) from None


def local_iso(instant: dt.datetime, in_zone: ZoneInfo | None = None) -> str:
    """2026-12-02T10:00+01:00: a local time with its offset, unambiguous in a link."""
    return instant.astimezone(in_zone or zone()).isoformat(timespec="minutes")


def clock(instant: dt.datetime, in_zone: ZoneInfo | None = None) -> str:
    """14:30 in the facility's zone: the same in every language, and cheap for the grid."""
    return instant.astimezone(in_zone or zone()).strftime("%H:%M")


def when(start: dt.datetime, end: dt.datetime) -> str:
    """Start and end, as "Wed 2 Dec 2026, 10:00-11:00" in the reader's language and zone."""
    local_start, local_end = start.astimezone(zone()), end.astimezone(zone())
    first = format_datetime(start, "EEE d MMM y, HH:mm")
    if local_start.date() == local_end.date() or local_end.time() == dt.time(0):
        return f"{first}\u2013{format_datetime(end, 'HH:mm')}"
    return f"{first} \u2013 {format_datetime(end, 'EEE d MMM y, HH:mm')}"
