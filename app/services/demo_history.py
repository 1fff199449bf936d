"""Ten weeks of made-up past for the demo, so reports, heatmaps and statements show something.

`seed_history` is called once, by `demo.seed`, when the demo data is created. It
writes, with a seeded random generator (the same history for the same `now`):

- confirmed bookings of the machines that need one, the kitchen and the
  multipurpose room, in opening hours (08:00-20:00 local, busier early in the
  week, little on Saturday, nothing on Sunday), with their claims exactly as
  the bookings service places them; a few cancelled ones and two no-shows on
  the multipurpose room (a check-in resource), neither holding a claim;
- usage sessions on the demo's two machine Pis: on the laser cutter inside its
  bookings, on 3D printer 1 (no booking needed) prints of up to nine hours,
  some running past midnight;
- granted `access.decision` events at the main entrance, the door entries.

Nothing ends later than an hour before `now`, so the bookings the demo makes
around now at every start (`demo.ensure_demo_bookings`) never collide with it.
Rows are inserted in bulk (a few thousand in well under a second).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from app.extensions import db
from app.models import (
    AccessEvent,
    Booking,
    BookingClaim,
    BookingStatus,
    Member,
    Resource,
    UsageSession,
)

from .bookings.claims import claim_window, claimed_resources

ZONE = ZoneInfo("Europe/Brussels")
DAYS = 70
OPENS, CLOSES = dt.time(8), dt.time(20)
#: how busy a weekday is, Monday first (Sunday: closed)
LOAD = (0.85, 0.95, 0.9, 0.8, 0.65, 0.3, 0.0)
#: nothing of the history ends later than this before `now`
MARGIN = dt.timedelta(hours=1)
SLOT = dt.timedelta(minutes=30)

#: resource slug: who books it (e-mails, their company books), booking lengths in minutes
BOOKED: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {
    "laser-cutter": (
        (
            "bram@houtatelier.example.org",
            "dries@studiokleur.example.org",
            "jonas@smederij.example.org",
            "ines@ontwerplab.example.org",
        ),
        (60, 90, 120, 180),
    ),
    "cnc-router": (
        (
            "bram@houtatelier.example.org",
            "jonas@smederij.example.org",
            "an@houtatelier.example.org",
        ),
        (60, 120, 180, 240),
    ),
    "kitchen": (
        (
            "greet@demolen.example.org",
            "hanne@vonk.example.org",
            "lotte@fotostudiolicht.example.org",
            "an@houtatelier.example.org",
        ),
        (120, 180, 240),
    ),
    "multipurpose-room": (
        (
            "dries@studiokleur.example.org",
            "chloe@studiokleur.example.org",
            "hanne@vonk.example.org",
            "emma@pixelsmid.example.org",
            "ines@ontwerplab.example.org",
            "lotte@fotostudiolicht.example.org",
        ),
        (60, 90, 120, 180),
    ),
}
#: the machine Pi whose sessions follow the bookings of its resource
SESSIONS_IN_BOOKINGS = {"laser-cutter": "laser-cutter"}
#: a 3D printer needs no booking: prints of its users, one after the other
PRINTER = ("printer-1", "printer-1")  # resource slug, device id
PRINTER_USERS = (
    "farid@pixelsmid.example.org",
    "emma@pixelsmid.example.org",
    "ines@ontwerplab.example.org",
)
ENTRANCE = "main-entrance"
NO_SHOWS = 2
CANCELLED_SHARE = 0.05
TITLES = {
    "laser-cutter": ("Cutting panels", "Engraving samples", "Prototype parts"),
    "cnc-router": ("Milling a tabletop", "Router jig", "Sign blanks"),
    "kitchen": ("Baking test batch", "Catering prep", "Recipe trial"),
    "multipurpose-room": ("Team meeting", "Workshop", "Client presentation", "Rehearsal"),
}


@dataclass
class _Rows:
    bookings: list[dict[str, Any]] = field(default_factory=list)
    claims: list[list[tuple[int, dt.datetime, dt.datetime]]] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Device:
    """A device's boot and event counter (a new boot each week, as after an update)."""

    id: str
    rng: random.Random
    week: int = -1
    boot: str = ""
    seq: int = 0

    def next(self, week: int) -> tuple[str, int]:
        if week != self.week:
            self.week, self.boot, self.seq = week, f"{self.rng.getrandbits(32):08x}", 0
        self.seq += 1
        return self.boot, self.seq


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _local(day: dt.date, at: dt.time, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, at, tzinfo=zone).astimezone(dt.UTC)


def _round_up(moment: dt.datetime, day_start: dt.datetime) -> dt.datetime:
    """Up to the next half hour after `day_start` (a booking starts on a slot)."""
    steps = -((day_start - moment) // SLOT)
    return day_start + steps * SLOT


def _days(now: dt.datetime, zone: ZoneInfo) -> list[dt.date]:
    today = now.astimezone(zone).date()
    return [today - dt.timedelta(days=n) for n in range(DAYS, -1, -1)]


def seed_history(
    *,
    now: dt.datetime,
    people: dict[str, Member],
    resources: dict[str, Resource],
    zone: ZoneInfo = ZONE,
) -> dict[str, int]:
    """Write the demo's past (see the module). Returns how many rows of each kind."""
    rng = random.Random(f"demo-history-{now.astimezone(zone).date().isoformat()}")
    latest = now - MARGIN
    days = _days(now, zone)
    rows = _Rows()
    for slug, (emails, lengths) in BOOKED.items():
        _book(rows, rng, resources[slug], [people[e] for e in emails], lengths, days, latest, zone)
    _no_shows(rows, rng, resources["multipurpose-room"])
    devices = {
        device_id: _Device(device_id, random.Random(f"{rng.random()}-{device_id}"))
        for device_id in (*SESSIONS_IN_BOOKINGS.values(), PRINTER[1], ENTRANCE)
    }
    by_id = {member.id: member for member in people.values()}
    week_of = {day: (day - days[0]).days // 7 for day in days}
    for slug, device_id in SESSIONS_IN_BOOKINGS.items():
        device = devices[device_id]
        _sessions_in_bookings(rows, rng, resources[slug], device, by_id, week_of, zone)
    printer, device_id = PRINTER
    users = [people[e] for e in PRINTER_USERS]
    _prints(rows, rng, resources[printer], devices[device_id], users, days, latest, week_of, zone)
    tenant_people = [m for m in people.values() if m.tenant_id is not None]
    _entries(rows, rng, devices[ENTRANCE], tenant_people, days, latest, week_of, zone)
    _insert(rows)
    return {
        "bookings": len(rows.bookings),
        "sessions": len(rows.sessions),
        "entries": len(rows.events),
    }


def _book(
    rows: _Rows,
    rng: random.Random,
    resource: Resource,
    users: Sequence[Member],
    lengths: Sequence[int],
    days: Sequence[dt.date],
    latest: dt.datetime,
    zone: ZoneInfo,
) -> None:
    """One resource's bookings, day by day, one after the other with their buffers between."""
    before = dt.timedelta(minutes=resource.buffer_before_minutes)
    longest = resource.max_minutes or 24 * 60
    for day in days:
        load = LOAD[day.weekday()]
        if not load:
            continue
        opens, closes = _local(day, OPENS, zone), _local(day, CLOSES, zone)
        cursor = opens + rng.choice((0, 1, 2, 3)) * SLOT
        while cursor < closes:
            if rng.random() > load:
                cursor += rng.choice((2, 3, 4)) * SLOT
                continue
            end = cursor + dt.timedelta(minutes=min(rng.choice(lengths), longest))
            if end > closes:
                break
            block_start, block_end = claim_window(resource, cursor, end)
            if block_end > latest:
                return
            member = rng.choice(users)
            status = BookingStatus.CONFIRMED
            if rng.random() < CANCELLED_SHARE:
                status = BookingStatus.CANCELLED
            created = cursor - dt.timedelta(days=rng.randint(1, 14), hours=rng.randint(0, 8))
            rows.bookings.append(
                {
                    "resource_id": resource.id,
                    "tenant_id": member.tenant_id,
                    "booked_by_id": member.id,
                    "booked_for_id": member.id,
                    "title": rng.choice(TITLES.get(resource.slug, ("",))),
                    "start": cursor,
                    "end": end,
                    "status": status,
                    "sequence": 1 if status == BookingStatus.CANCELLED else 0,
                    "checked_in_at": (
                        cursor + dt.timedelta(minutes=rng.randint(0, 10))
                        if resource.checkin_required and status == BookingStatus.CONFIRMED
                        else None
                    ),
                    "cancelled_at": (
                        cursor - dt.timedelta(days=2) if status == BookingStatus.CANCELLED else None
                    ),
                    "cancelled_by_id": member.id if status == BookingStatus.CANCELLED else None,
                    "created_at": created,
                    "updated_at": created,
                }
            )
            rows.claims.append(
                [(r.id, block_start, block_end) for r in claimed_resources(resource)]
                if status == BookingStatus.CONFIRMED
                else []
            )
            cursor = _round_up(block_end + before + rng.choice((0, 1, 2)) * SLOT, opens)


def _no_shows(rows: _Rows, rng: random.Random, resource: Resource) -> None:
    """Turn two checked-in bookings of a check-in resource into no-shows (claims released)."""
    mine = [
        i
        for i, row in enumerate(rows.bookings)
        if row["resource_id"] == resource.id and row["checked_in_at"] is not None
    ]
    for i in rng.sample(mine, min(NO_SHOWS, len(mine))):
        row = rows.bookings[i]
        deadline = row["start"] + dt.timedelta(minutes=resource.checkin_window_minutes)
        row.update(
            status=BookingStatus.NO_SHOW, checked_in_at=None, sequence=1, updated_at=deadline
        )
        rows.claims[i] = []


def _session(
    rng: random.Random,
    device: _Device,
    week: int,
    resource: Resource,
    member: Member,
    start: dt.datetime,
    end: dt.datetime,
    busy_share: float,
) -> dict[str, Any]:
    boot, _seq = device.next(week)
    total = int((end - start).total_seconds())
    busy = int(total * busy_share)
    return {
        "session_id": _uuid(rng),
        "device_id": device.id,
        "boot": boot,
        "resource_id": resource.id,
        "member_id": member.id,
        "tenant_id": member.tenant_id,
        "started_at": start,
        "ended_at": end,
        "last_tick_at": end,
        "last_event_at": end,
        "stop_reason": rng.choice(("badge_out", "badge_out", "badge_out", "idle_timeout")),
        "provisional_end": False,
        "busy_s": busy,
        "idle_s": total - busy,
    }


def _sessions_in_bookings(
    rows: _Rows,
    rng: random.Random,
    resource: Resource,
    device: _Device,
    members: dict[int, Member],
    week_of: dict[dt.date, int],
    zone: ZoneInfo,
) -> None:
    """A session inside most confirmed bookings of the resource, by whom it was booked for."""
    for row in rows.bookings:
        if row["resource_id"] != resource.id or row["status"] != BookingStatus.CONFIRMED:
            continue
        if rng.random() < 0.08:  # booked, never used
            continue
        member = members[row["booked_for_id"]]
        start = row["start"] + dt.timedelta(minutes=rng.randint(2, 15))
        end = row["end"] - dt.timedelta(minutes=rng.randint(0, 25))
        week = week_of[row["start"].astimezone(zone).date()]
        rows.sessions.append(
            _session(rng, device, week, resource, member, start, end, rng.uniform(0.55, 0.85))
        )


def _prints(
    rows: _Rows,
    rng: random.Random,
    resource: Resource,
    device: _Device,
    users: Sequence[Member],
    days: Sequence[dt.date],
    latest: dt.datetime,
    week_of: dict[dt.date, int],
    zone: ZoneInfo,
) -> None:
    """3D prints one after the other; a long one started late runs past midnight."""
    free_from = _local(days[0], OPENS, zone)
    for day in days:
        load = LOAD[day.weekday()]
        if not load:
            continue
        cursor = max(
            free_from, _local(day, OPENS, zone) + rng.randint(0, 90) * dt.timedelta(minutes=1)
        )
        last_start = _local(day, dt.time(18), zone)
        while cursor < last_start:
            if rng.random() > load:
                cursor += dt.timedelta(minutes=rng.randint(60, 180))
                continue
            end = cursor + dt.timedelta(minutes=rng.choice((45, 90, 150, 240, 360, 540)))
            if end > latest:
                return
            member = rng.choice(users)
            rows.sessions.append(
                _session(
                    rng,
                    device,
                    week_of[day],
                    resource,
                    member,
                    cursor,
                    end,
                    rng.uniform(0.85, 0.97),
                )
            )
            free_from = end + dt.timedelta(minutes=rng.randint(5, 40))
            cursor = free_from


def _entries(
    rows: _Rows,
    rng: random.Random,
    device: _Device,
    members: Sequence[Member],
    days: Sequence[dt.date],
    latest: dt.datetime,
    week_of: dict[dt.date, int],
    zone: ZoneInfo,
) -> None:
    """The tenants' people badging in at the main entrance: mornings, some after lunch."""
    badge = {m.id: _badge_uid(m) for m in members}
    for day in days:
        load = LOAD[day.weekday()]
        if not load:
            continue
        moments: list[tuple[dt.datetime, Member]] = []
        for member in members:
            if rng.random() > load * 0.8:
                continue
            arrive = _local(day, dt.time(7, 30), zone) + dt.timedelta(minutes=rng.randint(0, 150))
            moments.append((arrive, member))
            if rng.random() < 0.45:
                back = _local(day, dt.time(12, 45), zone) + dt.timedelta(minutes=rng.randint(0, 75))
                moments.append((back, member))
        for at, member in sorted(moments, key=lambda item: (item[0], item[1].id)):
            if at > latest:
                return
            boot, seq = device.next(week_of[day])
            uid = badge[member.id]
            rows.events.append(
                {
                    "event_id": _uuid(rng),
                    "device_id": device.id,
                    "type": "access.decision",
                    "boot": boot,
                    "seq": seq,
                    "badge_uid": uid,
                    "member_id": member.id,
                    "tenant_id": member.tenant_id,
                    "resource_id": None,
                    "granted": True,
                    "reason": "ok",
                    "mode": "online",
                    "device_time": at,
                    "clock_synced": True,
                    "received_at": at + dt.timedelta(milliseconds=rng.randint(80, 900)),
                    "data": {
                        "badge": uid,
                        "member": member.id,
                        "granted": True,
                        "reason": "ok",
                        "mode": "online",
                    },
                }
            )


def _badge_uid(member: Member) -> str | None:
    return next((badge.uid for badge in member.badges if badge.active), None)


def _insert(rows: _Rows) -> None:
    if rows.bookings:
        ids = db.session.scalars(
            insert(Booking).returning(Booking.id, sort_by_parameter_order=True), rows.bookings
        ).all()
        claims = [
            {"booking_id": booking_id, "resource_id": r, "block_start": s, "block_end": e}
            for booking_id, held in zip(ids, rows.claims, strict=True)
            for r, s, e in held
        ]
        if claims:
            db.session.execute(insert(BookingClaim), claims)
    if rows.sessions:
        db.session.execute(insert(UsageSession), rows.sessions)
    if rows.events:
        db.session.execute(insert(AccessEvent), rows.events)
