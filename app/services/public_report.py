"""The live public report: how the shared facilities are used, anonymously.

`public_stats(session, now)` is this month's picture. Its hours and visits are the
usage report's facts (`app.services.reports.facts`): the days the jobs runner has
summed come from the stored per-day totals, today (and any day changed since)
straight from the sessions and bookings, so its cost follows a month's companies
and resources, not its rows nor the history. `session` is the app's `db.session`.

Anonymity rules (docs/public-report.md explains them to readers):

- no person's name, e-mail, badge or booking title, ever;
- a company's name only when it opted in (`Tenant.public_opt_in`);
- a count of companies under MIN_COUNT (1 or 2) is given as None ("fewer than 3");
- a sector with fewer than MIN_COUNT companies in the building, or fewer than
  MIN_COUNT among a facility's users, is merged into "other";
- what is in use right now only while the building is open.

Only codes and numbers leave here; the page translates sector codes itself.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.models import (
    DEFAULT_BUILDING_HOURS,
    Booking,
    BookingStatus,
    Resource,
    ResourceKind,
    Sector,
    SiteSettings,
    Tenant,
    UsageSession,
)

from .bookings.hours import open_intervals
from .occupancy import (
    ROOM_KINDS,
    SESSION_LOOKBACK,
    Session,
    booking_lookback,
    month_hours,
    months_back,
    trend,
    utc_param,
)
from .reports.totals import facts_until

MIN_COUNT = 3
OTHER = Sector.OTHER.value
DEFAULT_ZONE = ZoneInfo("Europe/Brussels")


@dataclass(frozen=True)
class _Unit:
    """A resource as the report needs it: which facility it belongs to and what it is."""

    id: int
    facility_id: int
    kind: ResourceKind
    is_machine_unit: bool  # a machine counted in "N of M machines running"


def _shown_count(count: int) -> int | None:
    """Counts of 1 or 2 companies are not shown (None); 0 and 3+ are."""
    return None if 0 < count < MIN_COUNT else count


def _building_hours(session: Session) -> dict[str, Any]:
    settings = session.get(SiteSettings, 1)
    return settings.building_hours if settings is not None else dict(DEFAULT_BUILDING_HOURS)


def building_open(session: Session, now: dt.datetime, zone: ZoneInfo) -> bool:
    day = now.astimezone(zone).date()
    hours = _building_hours(session)
    return any(
        start <= now < end
        for start, end in open_intervals(hours, zone, day - dt.timedelta(days=1), day)
    )


def _units(session: Session) -> tuple[list[Resource], list[_Unit], dict[int, Resource]]:
    resources = list(
        session.scalars(
            sa.select(Resource).where(Resource.active.is_(True)).order_by(Resource.name)
        )
    )
    facilities = [r for r in resources if r.parent_id is None]
    top = {r.id for r in facilities}
    units = []
    for r in resources:
        facility_id = r.id if r.parent_id is None else r.parent_id
        if facility_id not in top:
            continue  # a machine under a deactivated facility
        units.append(_Unit(r.id, facility_id, r.kind, r.parent_id is not None and r.is_machine))
    return facilities, units, {r.id: r for r in resources}


def _open_sessions(session: Session, ids: Sequence[int], now: dt.datetime) -> set[int]:
    rows = session.scalars(
        sa.select(UsageSession.resource_id)
        .where(
            UsageSession.ended_at.is_(None),
            UsageSession.resource_id.in_(ids),
            UsageSession.started_at <= utc_param(now),
            UsageSession.started_at >= utc_param(now - SESSION_LOOKBACK),
        )
        .distinct()
    )
    return {r for r in rows if r is not None}


def _booked_now(
    session: Session, ids: Sequence[int], now: dt.datetime, lookback: dt.timedelta
) -> set[int]:
    rows = session.scalars(
        sa.select(Booking.resource_id)
        .where(
            Booking.resource_id.in_(ids),
            Booking.status == BookingStatus.CONFIRMED,
            Booking.start >= utc_param(now - lookback),
            Booking.start <= utc_param(now),
            Booking.end > utc_param(now),
        )
        .distinct()
    )
    return set(rows)


@dataclass(frozen=True)
class _TenantFacts:
    sector: str
    opted_in_name: str | None


def _tenants(session: Session, ids: Iterable[int]) -> tuple[dict[int, _TenantFacts], set[str]]:
    """What the report may know of the tenants that appear, and the sectors too small to name."""
    wanted = set(ids)
    by_sector: dict[str, int] = defaultdict(int)
    facts: dict[int, _TenantFacts] = {}
    for tenant_id, sector, opted_in, name, active in session.execute(
        sa.select(Tenant.id, Tenant.sector, Tenant.public_opt_in, Tenant.name, Tenant.status)
    ):
        if active == "active":
            by_sector[str(sector)] += 1
        if tenant_id in wanted:
            facts[tenant_id] = _TenantFacts(str(sector), name if opted_in else None)
    small = {sector for sector in Sector if by_sector.get(sector.value, 0) < MIN_COUNT}
    return facts, {s.value for s in small}


def _sector_rows(sectors: Iterable[str], small: set[str]) -> list[dict[str, Any]]:
    """Companies per sector, small sectors merged into "other", counts under 3 hidden."""
    counts: dict[str, int] = defaultdict(int)
    for sector in sectors:
        counts[OTHER if sector in small else sector] += 1
    for sector in [s for s, n in counts.items() if s != OTHER and n < MIN_COUNT]:
        counts[OTHER] += counts.pop(sector)
    order = [s.value for s in Sector]
    return [
        {"sector": sector, "companies": _shown_count(counts[sector])}
        for sector in sorted(counts, key=order.index)
    ]


def _mixed_days(visits: Iterable[tuple[int, int]], sector_of: dict[int, str]) -> int:
    """Days on which companies of at least two sectors used the same facility."""
    sectors_per_day: dict[int, set[str]] = defaultdict(set)
    for day, tenant_id in visits:
        sectors_per_day[day].add(sector_of[tenant_id])
    return sum(1 for sectors in sectors_per_day.values() if len(sectors) >= 2)


def public_stats(
    session: Session, now: dt.datetime, *, zone: ZoneInfo = DEFAULT_ZONE
) -> dict[str, Any]:
    """This month's anonymous picture of the facilities (see the module's rules)."""
    ((first_month, (lo, month_end)),) = months_back(now, zone, 1)
    hi = min(month_end, now)
    facilities, units, resources = _units(session)
    ids = [u.id for u in units]
    lookback = booking_lookback(session)
    is_open = building_open(session, now, zone)
    running = _open_sessions(session, ids, now) if is_open and ids else set()
    booked_now = _booked_now(session, ids, now, lookback) if is_open and ids else set()
    # The month's facts up to now, a day's visits marked per day (bit n-1: day n).
    first_day = lo.astimezone(zone).date()
    facts = (
        facts_until(first_day, hi, zone=zone, now=now, resources=resources, by_day=True)
        if units and hi > lo
        else {}
    )
    by_id = {u.id: u for u in units}
    machine_s: dict[int, float] = defaultdict(float)
    room_s: dict[int, float] = defaultdict(float)
    visits: dict[int, set[tuple[int, int]]] = defaultdict(set)  # (day of the month, company)
    for (tenant_id, resource_id), part in facts.items():
        unit = by_id.get(resource_id) if resource_id is not None else None
        if unit is None:  # a resource that is no longer active
            continue
        if unit.kind == ResourceKind.MACHINE:
            machine_s[unit.facility_id] += max(part.used_s, 0.0)
        elif unit.kind in ROOM_KINDS:
            room_s[unit.facility_id] += max(part.booked_s, 0.0)
        if tenant_id is not None:
            visits[unit.facility_id].update(
                (day, tenant_id) for day in range(1, 32) if part.visit_days >> (day - 1) & 1
            )
    tenants, small = _tenants(session, {t for seen in visits.values() for _, t in seen})
    sector_of = {tid: facts.sector for tid, facts in tenants.items()}

    rows: list[dict[str, Any]] = []
    all_companies: set[int] = set()
    machine_total = room_total = 0.0
    mixed_total = 0
    for facility in facilities:
        mine = [u for u in units if u.facility_id == facility.id]
        machines = [u for u in mine if u.is_machine_unit]
        visits_here = visits.get(facility.id, set())
        companies = {t for _, t in visits_here}
        all_companies |= companies
        if machines:
            in_use = sum(1 for u in machines if u.id in running)
            total = len(machines)
        else:
            in_use = int(any(u.id in running or u.id in booked_now for u in mine))
            total = 1
        machine, room = machine_s[facility.id], room_s[facility.id]
        mixed = _mixed_days(visits_here, sector_of)
        machine_total, room_total, mixed_total = (
            machine_total + machine,
            room_total + room,
            mixed_total + mixed,
        )
        rows.append(
            {
                "slug": facility.slug,
                "name": facility.name,
                "has_machines": bool(machines),
                "units": total,
                "in_use": in_use if is_open else None,
                "machine_hours": round(machine / 3600, 1),
                "room_hours": round(room / 3600, 1),
                "companies": _shown_count(len(companies)),
                "sectors": _sector_rows((sector_of[t] for t in companies), small),
                "named_companies": sorted(
                    name for t in companies if (name := tenants[t].opted_in_name) is not None
                ),
                "active_days": len({day for day, _ in visits_here}),
                "mixed_days": mixed,
            }
        )
    return {
        "generated_at": now.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "month": first_month.strftime("%Y-%m"),
        "building_open": is_open,
        "min_count": MIN_COUNT,
        "facilities": rows,
        "totals": {
            "machine_hours": round(machine_total / 3600, 1),
            "room_hours": round(room_total / 3600, 1),
            "companies": _shown_count(len(all_companies)),
            "sectors": _sector_rows((sector_of[t] for t in all_companies), small),
            "mixed_days": mixed_total,
        },
    }


def public_trend(
    session: Session, now: dt.datetime, *, zone: ZoneInfo = DEFAULT_ZONE, months: int = 12
) -> list[dict[str, Any]]:
    """Machine and room hours of the whole building per month, the last `months` months."""
    return [
        {
            "month": point.month.strftime("%Y-%m"),
            "machine_hours": point.machine_hours,
            "room_hours": point.room_hours,
        }
        for point in trend(session, now=now, zone=zone, months=months)
    ]


@functools.lru_cache(maxsize=8)
def zone_named(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def report(
    session: Session,
    now: dt.datetime,
    *,
    zone: ZoneInfo = DEFAULT_ZONE,
    trend_key: Any = None,
    trend_max_age: float = 0,
) -> dict[str, Any]:
    """This month's stats and the 12-month trend; past months come from the cache when keyed."""
    stats = public_stats(session, now, zone=zone)
    month = stats["month"]
    past = CACHE.get(
        ("trend", trend_key, month),
        trend_max_age if trend_key is not None else 0,
        lambda: public_trend(session, now, zone=zone, months=12)[:-1],
    )
    ((_, (lo, hi)),) = months_back(now, zone, 1)
    machine, room = month_hours(session, lo, hi, now=now, zone=zone)
    stats["trend"] = [*past, {"month": month, "machine_hours": machine, "room_hours": room}]
    return stats


def cached_report(
    session: Session,
    now: dt.datetime,
    *,
    zone: ZoneInfo,
    cache_key: Any,
    max_age: float,
) -> dict[str, Any]:
    """`report`, computed at most once per `max_age` seconds per process and key.

    Finished months change only when late events arrive: they are kept 15 times longer.
    """
    return CACHE.get(
        cache_key,
        max_age,
        lambda: report(session, now, zone=zone, trend_key=cache_key, trend_max_age=max_age * 15),
    )


# -- a small in-process cache ----------------------------------------------------

T = TypeVar("T")


class TtlCache:
    """Values kept for `seconds` per key, per process: the public report is read often."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._values: dict[Any, tuple[float, Any]] = {}

    def get(self, key: Any, seconds: float, compute: Callable[[], T]) -> T:
        if seconds <= 0:
            return compute()
        moment = self._clock()
        with self._lock:
            hit = self._values.get(key)
            if hit is not None and hit[0] > moment:
                return hit[1]
        value = compute()
        with self._lock:
            self._values[key] = (moment + seconds, value)
            if len(self._values) > 64:  # keys are few; drop the expired ones now and then
                self._values = {k: v for k, v in self._values.items() if v[0] > moment}
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


CACHE = TtlCache()
