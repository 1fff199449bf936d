"""What a test must prepare ahead: a booking that has begun (bookings cannot start in the past).

`stage_laser_cutter` makes the laser cutter (training and a booking needed), two
companies, a trained member of each, an untrained one, their badges, and a
booking of the first company from the next whole minute. The session's
fixtures make it as soon as the system runs, so by the time the laser cutter's
test comes the booking has usually begun (the test waits if not).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tests.support.system_rig import ALWAYS_OPEN, SystemRig


@dataclass(frozen=True)
class LaserStage:
    slug: str
    ours: dict[str, Any]
    theirs: dict[str, Any]
    trained: dict[str, Any]
    untrained: dict[str, Any]
    trained_elsewhere: dict[str, Any]
    badges: dict[int, str]  # member id -> badge uid
    booking: dict[str, Any]
    starts: dt.datetime


def next_minute(at_least_s: float = 3.0) -> dt.datetime:
    """The next whole minute at least `at_least_s` seconds from now (bookings start on a step)."""
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=at_least_s)
    return soon.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)


def stage_laser_cutter(system: SystemRig) -> LaserStage:
    slug = system.unique("laser-")
    system.api(
        "POST",
        "/resources",
        {
            "slug": slug,
            "name": f"Laser cutter {slug}",
            "kind": "machine",
            "bookable": True,
            "training_required": True,
            "booking_required_for_use": True,
            "slot_minutes": 1,
            "min_minutes": 1,
            "max_minutes": 240,
            "lead_minutes": 0,
            "opening_hours": ALWAYS_OPEN,
        },
        expect=201,
    )
    ours, theirs = system.new_tenant(), system.new_tenant()
    trained = system.new_member(ours["id"])
    untrained = system.new_member(ours["id"])
    trained_elsewhere = system.new_member(theirs["id"])
    for member in (trained, trained_elsewhere):
        system.api("POST", "/qualifications", {"member_id": member["id"], "resource": slug})
    badges = {
        m["id"]: system.new_badge(m["id"])[0] for m in (trained, untrained, trained_elsewhere)
    }
    starts = next_minute()
    booking = system.api(
        "POST",
        "/bookings",
        {
            "resource": slug,
            "start": starts.isoformat(),
            "end": (starts + dt.timedelta(minutes=30)).isoformat(),
            "booked_for": trained["id"],
            "title": "cutting",
        },
        expect=201,
    )
    return LaserStage(
        slug, ours, theirs, trained, untrained, trained_elsewhere, badges, booking, starts
    )
