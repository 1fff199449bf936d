"""Stored per-day totals of the facts, so a month's report reads a few hundred rows.

A report over a month used to add up that month's sessions and bookings, tens of
thousands of rows, each time it was asked. Days that are over change rarely, so
the jobs runner (`roll_up`, every few minutes) writes, per local day, company and
resource, the very `Facts` a report would compute for that day, as running totals
from the first of the month: days a..b of a month are then the row of b less the
row of a - 1 (or the row of b when a is the 1st), about 2 x 500 rows whatever the
month holds. Door entries are kept the same way per device.

Staying right when the past changes:

- Only days before the *horizon* are written, and the horizon moves (to today's
  local midnight) at the end of a roll-up, so a day is written at the earliest one
  pass after it ended: writes that were under way when it ended have landed.
- Triggers on the sources (migration 0010) log every insert, delete or relevant
  update reaching below the horizon in `usage_change`: a late event from a device
  that was offline, a session closed by the gateway, a booking cancelled after the
  fact, a resource moved under another parent, the retention job. Readers take the
  days a logged change touches from the source rows (`plan`); the next roll-up
  writes them again from that day to the end of their month and removes the log
  rows it has dealt with.
- Days reached by a session that is still open are not written until it ends
  (its busy and idle shares move with the clock).
- A change of the site's time zone drops every total; they are written again.

Running totals of a month are always rebuilt from a day onward on top of the
previous day's stored row, so the rows of one month are one consistent chain:
the difference of two of them is the sum of the stored days between, and a day
that is logged as changed is the only one whose stored figures may be stale.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import case, delete, func, insert, select

from app.extensions import db
from app.models import (
    Booking,
    Device,
    DoorTotal,
    Resource,
    UsageChange,
    UsageSession,
    UsageTotal,
    UsageTotalDay,
    UsageTotalState,
)

from ..bookings.quota import LONGEST_SESSION
from .facts import (
    FACT_NAMES,
    EntryKey,
    Facts,
    Key,
    Span,
    add_facts,
    live_entries,
    live_facts,
)
from .periods import Period, local_midnight

log = logging.getLogger(__name__)

STATE_ID = 1
DAY = dt.timedelta(days=1)


# -- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """Consecutive days of a period, read from the totals (`stored`) or from the sources."""

    first_day: dt.date
    last_day: dt.date
    stored: bool


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _local_day(moment: dt.datetime, zone: ZoneInfo) -> dt.date:
    return moment.astimezone(zone).date()


def _days(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    day = first
    while day <= last:
        yield day
        day += DAY


def plan(period: Period, now: dt.datetime | None = None) -> list[Run]:
    """The period cut into runs of stored days (within one month each) and of source days.

    A day is read from the totals when it is written, in the period's time zone, no
    logged change touches it, and (given `now`) it ended before `now`: a report asked
    about an earlier moment than the totals were written at reads the sources.
    """
    state = db.session.get(UsageTotalState, STATE_ID)
    if state is None or state.zone != period.zone.key:
        return [Run(period.first_day, period.last_day, stored=False)]
    written = set(
        db.session.scalars(
            select(UsageTotalDay.day).where(
                UsageTotalDay.day >= period.first_day, UsageTotalDay.day <= period.last_day
            )
        )
    )
    if not written:
        return [Run(period.first_day, period.last_day, stored=False)]
    changed = _changed_days(period.first_day, period.last_day, period.zone)
    runs: list[Run] = []
    if now is not None:
        written = {d for d in written if local_midnight(d + DAY, period.zone) <= now}
    for day in _days(period.first_day, period.last_day):
        stored = day in written and day not in changed
        last = runs[-1] if runs else None
        if (
            last is not None
            and last.stored == stored
            and (not stored or _month_start(last.first_day) == _month_start(day))
        ):
            runs[-1] = Run(last.first_day, day, stored)
        else:
            runs.append(Run(day, day, stored))
    return runs


def _changed_days(
    first: dt.date,
    last: dt.date,
    zone: ZoneInfo,
    changes: list[tuple[dt.datetime, dt.datetime]] | None = None,
) -> set[dt.date]:
    lower, upper = local_midnight(first, zone), local_midnight(last + DAY, zone)
    if changes is None:
        changes = [
            (lo, hi)
            for lo, hi in db.session.execute(
                select(UsageChange.lo, UsageChange.hi).where(
                    UsageChange.lo < upper, UsageChange.hi >= lower
                )
            )
        ]
    days: set[dt.date] = set()
    for lo, hi in changes:
        start = max(_local_day(max(lo, lower), zone), first)
        end = min(_local_day(min(hi, upper - dt.timedelta(microseconds=1)), zone), last)
        days.update(_days(start, end))
    return days


def stored_facts(
    first: dt.date, last: dt.date, *, tenant_id: int | None
) -> tuple[dict[Key, Facts], dict[EntryKey, int]]:
    """The facts of days first..last of one month, from the running totals."""
    before = first - DAY if first.day > 1 else None
    days = [last] if before is None else [before, last]
    # which of the two days a row is of, worked out in SQL: a date read back costs a parse
    columns = [getattr(UsageTotal, name) for name in FACT_NAMES]
    query = select(
        case((UsageTotal.day == last, 1), else_=0),
        UsageTotal.tenant_key,
        UsageTotal.resource_key,
        *columns,
    ).where(UsageTotal.day.in_(days))
    doors = select(
        case((DoorTotal.day == last, 1), else_=-1),
        DoorTotal.tenant_key,
        DoorTotal.device_key,
        DoorTotal.entries,
    ).where(DoorTotal.day.in_(days))
    if tenant_id is not None:
        query = query.where(UsageTotal.tenant_key == tenant_id)
        doors = doors.where(DoorTotal.tenant_key == tenant_id)
    at_last: dict[Key, Facts] = {}
    at_before: dict[Key, Facts] = {}
    for is_last, tenant, resource, *values in db.session.connection().execute(query):
        (at_last if is_last else at_before)[(tenant or None, resource or None)] = Facts(*values)
    found: dict[Key, Facts] = {}
    span = _bits(first.day, last.day)
    for key, facts in at_last.items():
        part = facts.less(at_before[key]) if key in at_before else facts
        part.visit_days &= span
        found[key] = part
    entries: dict[EntryKey, int] = {}
    for sign, tenant, device, count in db.session.connection().execute(doors):
        entry_key: EntryKey = (tenant or None, device)
        entries[entry_key] = entries.get(entry_key, 0) + sign * count
    return found, {k: v for k, v in entries.items() if v}


def _bits(first: int, last: int) -> int:
    """Bits first-1 .. last-1 set: days first..last of a month."""
    return ((1 << last) - 1) & ~((1 << (first - 1)) - 1)


@dataclass
class Gathered:
    facts: dict[Key, Facts] = field(default_factory=dict)
    entries: dict[EntryKey, int] = field(default_factory=dict)
    stored_days: int = 0


def gather(
    period: Period,
    now: dt.datetime,
    *,
    resources: Mapping[int, Resource],
    unbooked_on: Collection[int],
    doors: Collection[str],
    tenant_id: int | None = None,
    use_totals: bool = True,
) -> Gathered:
    """The period's facts per (company, resource) and its entries per (company, device):
    stored days from the totals, the others from the sources."""
    result = Gathered()
    runs = plan(period, now) if use_totals else [Run(period.first_day, period.last_day, False)]
    for run in runs:
        if run.stored:
            facts, entries = stored_facts(run.first_day, run.last_day, tenant_id=tenant_id)
            result.stored_days += (run.last_day - run.first_day).days + 1
        else:
            piece = Period(run.first_day, run.last_day, period.zone)
            facts = live_facts(
                piece,
                now,
                by="tenant",
                resources=resources,
                unbooked_on=unbooked_on,
                tenant_id=tenant_id,
            )
            entries = live_entries(piece, by="tenant", devices=doors, tenant_id=tenant_id)
        add_facts(result.facts, facts)
        for key, count in entries.items():
            result.entries[key] = result.entries.get(key, 0) + count
    wanted = set(doors)  # the stored totals count every device
    result.entries = {k: v for k, v in result.entries.items() if k[1] in wanted}
    return result


def facts_until(
    first_day: dt.date,
    until: dt.datetime,
    *,
    zone: ZoneInfo,
    now: dt.datetime,
    resources: Mapping[int, Resource],
    tenant_id: int | None = None,
    by_day: bool = False,
) -> dict[Key, Facts]:
    """The facts per (company, resource) from `first_day`'s local midnight up to the
    instant `until` (bookings after it do not count: "so far"), stored days from the
    totals. `by_day`: the days read from the sources one at a time, each marking its bit
    in `visit_days` where a company was there (the stored rows carry theirs)."""
    last = (until - dt.timedelta(microseconds=1)).astimezone(zone).date()
    found: dict[Key, Facts] = {}
    if last < first_day:
        return found
    for run in plan(Period(first_day, last, zone), now):
        if run.stored:
            add_facts(found, stored_facts(run.first_day, run.last_day, tenant_id=tenant_id)[0])
            continue
        pieces = (
            [Period(day, day, zone) for day in _days(run.first_day, run.last_day)]
            if by_day
            else [Period(run.first_day, run.last_day, zone)]
        )
        for piece in pieces:
            span = Span(piece.start, min(piece.end, until))
            part = live_facts(
                span, now, by="tenant", resources=resources, unbooked_on=(), tenant_id=tenant_id
            )
            if by_day:
                bit = 1 << (piece.first_day.day - 1)
                for facts in part.values():
                    facts.visit_days = bit if facts.present else 0
            add_facts(found, part)
    return found


# -- writing ------------------------------------------------------------------------------


@dataclass
class RollUp:
    written_days: int = 0
    months: list[str] = field(default_factory=list)
    changes: int = 0
    horizon: dt.datetime | None = None
    held_back: dt.date | None = None  # the first day an open session keeps unwritten
    reset: bool = False
    horizon_was_empty: bool = False  # a first pass: it only set the horizon

    def describe(self) -> str:
        parts = [f"{self.written_days} days written"]
        if len(self.months) > 3:
            parts.append(f"{len(self.months)} months {self.months[0]} to {self.months[-1]}")
        elif self.months:
            parts.append("months " + ", ".join(self.months))
        if self.changes:
            parts.append(f"{self.changes} changes applied")
        if self.held_back:
            parts.append(f"held back from {self.held_back} by an open session")
        if self.reset:
            parts.append("time zone changed: totals dropped")
        return "; ".join(parts)


def _first_day(zone: ZoneInfo) -> dt.date | None:
    """The first day of the history (door entries alone do not start it: days before
    the first session or booking are simply not written, and read from the sources)."""
    firsts = [
        db.session.scalar(select(func.min(UsageSession.started_at))),
        db.session.scalar(select(func.min(Booking.start))),
    ]
    known = [_local_day(moment, zone) for moment in firsts if moment is not None]
    return min(known) if known else None


def _open_since(now: dt.datetime) -> dt.datetime | None:
    """The start of the oldest open session that the reports still count on a day that
    could be written (yesterday looks back `LONGEST_SESSION` from its own midnight)."""
    return db.session.scalar(
        select(func.min(UsageSession.started_at)).where(
            UsageSession.ended_at.is_(None),
            UsageSession.started_at >= now - LONGEST_SESSION - 2 * DAY,
        )
    )


def _drop_from(day: dt.date) -> None:
    """Forget the written days from `day` to the end of its month (and their rows)."""
    following = (_month_start(day) + dt.timedelta(days=32)).replace(day=1)
    for model in (UsageTotal, DoorTotal, UsageTotalDay):
        db.session.execute(delete(model).where(model.day >= day, model.day < following))


def _running(day: dt.date) -> tuple[dict[Key, Facts], dict[EntryKey, int]]:
    """The stored running totals at `day` (nothing before a month's first day)."""
    if day.day == 1:
        return {}, {}
    before = day - DAY
    columns = [getattr(UsageTotal, name) for name in FACT_NAMES]
    query = select(UsageTotal.tenant_key, UsageTotal.resource_key, *columns)
    facts = {
        (tenant or None, resource or None): Facts(*values)
        for tenant, resource, *values in db.session.execute(query.where(UsageTotal.day == before))
    }
    doors = select(DoorTotal.tenant_key, DoorTotal.device_key, DoorTotal.entries)
    entries: dict[EntryKey, int] = {
        (tenant or None, device): count
        for tenant, device, count in db.session.execute(doors.where(DoorTotal.day == before))
    }
    return facts, entries


def _write_days(first: dt.date, last: dt.date, zone: ZoneInfo, now: dt.datetime) -> int:
    """Days first..last (one month) written again on top of the day before `first`."""
    resources = {r.id: r for r in db.session.scalars(select(Resource))}
    devices = list(db.session.scalars(select(Device.id)))
    _drop_from(first)
    facts, entries = _running(first)
    for day in _days(first, last):
        piece = Period(day, day, zone)
        daily = live_facts(piece, now, by="tenant", resources=resources, unbooked_on=resources)
        bit = 1 << (day.day - 1)
        for part in daily.values():
            if part.present:
                part.visit_days = bit
        add_facts(facts, daily)
        for key, count in live_entries(piece, by="tenant", devices=devices).items():
            entries[key] = entries.get(key, 0) + count
        if facts:
            db.session.execute(
                insert(UsageTotal),
                [
                    {
                        "day": day,
                        "tenant_key": tenant or 0,
                        "resource_key": resource or 0,
                        **{name: getattr(value, name) for name in FACT_NAMES},
                    }
                    for (tenant, resource), value in facts.items()
                ],
            )
        if entries:
            db.session.execute(
                insert(DoorTotal),
                [
                    {"day": day, "tenant_key": tenant or 0, "device_key": device, "entries": n}
                    for (tenant, device), n in entries.items()
                ],
            )
        db.session.add(UsageTotalDay(day=day, computed_at=now))
    db.session.flush()
    return (last - first).days + 1


def drop_totals() -> None:
    """Forget every stored total (they are derived data); the next passes write them again."""
    for model in (UsageTotal, DoorTotal, UsageTotalDay, UsageChange, UsageTotalState):
        db.session.execute(delete(model))


def roll_up(
    *,
    now: dt.datetime,
    zone: ZoneInfo,
    months: int | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    checkpoint: Callable[[], None] | None = None,
) -> RollUp:
    """Write the days that ended before the horizon and the days changed since; move the
    horizon to today's midnight. `months` limits the months written in one pass (the
    oldest first); the rest follow in later passes. `progress(done, total, month)` is
    called before each month is written and `checkpoint()` after it: the edge commits
    there, so that a long back-fill holds SQLite's write lock (and PostgreSQL's row
    locks) a month at a time, not for the whole pass. Nothing is committed here."""
    result = RollUp()
    state = db.session.get(UsageTotalState, STATE_ID)
    if state is None:
        state = UsageTotalState(id=STATE_ID, zone=zone.key, horizon=None, updated_at=now)
        db.session.add(state)
    elif state.zone != zone.key:
        for model in (UsageTotal, DoorTotal, UsageTotalDay, UsageChange):
            db.session.execute(delete(model))
        state.zone, state.horizon, result.reset = zone.key, None, True
    horizon = state.horizon
    result.horizon_was_empty = horizon is None
    changes = list(db.session.execute(select(UsageChange.id, UsageChange.lo, UsageChange.hi)))
    written = set(db.session.scalars(select(UsageTotalDay.day)))
    # From the first day of the history, or of the written days if that is earlier (the
    # oldest sources were deleted: those days are written again, empty).
    starts = [d for d in (_first_day(zone), min(written, default=None)) if d is not None]
    first = min(starts, default=None)
    if horizon is not None and first is not None:
        last = min(_local_day(horizon, zone), _local_day(now, zone)) - DAY
        open_since = _open_since(now)
        if open_since is not None and _local_day(open_since, zone) <= last:
            result.held_back = _local_day(open_since, zone)
            last = result.held_back - DAY
        changed = _changed_days(
            first,
            max(first, _local_day(horizon, zone)),
            zone,
            [(lo, hi) for _id, lo, hi in changes],
        )
        # Written days past `last` that changed (an open session reached them): unwritten.
        for day in sorted(d for d in changed if d > last and d in written):
            _drop_from(day)
            written -= {d for d in written if d >= day and _month_start(d) == _month_start(day)}
        # Months with changed days are always written again in this pass (so the log can
        # be emptied); months never written yet (a back-fill) at most `months` at a time.
        plan_: list[tuple[dt.date, dt.date, dt.date]] = []  # (month, first day to write, last)
        backfilled = 0
        month = _month_start(first)
        while month <= last:
            month_end = min((month + dt.timedelta(days=32)).replace(day=1) - DAY, last)
            todo = [d for d in _days(month, month_end) if d not in written or d in changed]
            is_change = any(d in changed for d in todo)
            if todo and (is_change or months is None or backfilled < months):
                backfilled += 0 if is_change else 1
                plan_.append((month, todo[0], month_end))
            month = (month + dt.timedelta(days=32)).replace(day=1)
        for done, (month, from_day, month_end) in enumerate(plan_):
            if progress is not None:
                progress(done, len(plan_), month.strftime("%Y-%m"))
            result.written_days += _write_days(from_day, month_end, zone, now)
            result.months.append(month.strftime("%Y-%m"))
            if checkpoint is not None:
                checkpoint()
        if changes:  # every changed day is written again or unwritten: the log is dealt with
            db.session.execute(
                delete(UsageChange).where(UsageChange.id.in_([c[0] for c in changes]))
            )
            result.changes = len(changes)
    elif changes:
        db.session.execute(delete(UsageChange).where(UsageChange.id.in_([c[0] for c in changes])))
    state = db.session.get(UsageTotalState, STATE_ID)
    assert state is not None
    # never backwards (a clock set back): changes below the old horizon must stay logged
    midnight = local_midnight(_local_day(now, zone), zone)
    state.horizon = max(midnight, state.horizon) if state.horizon is not None else midnight
    state.updated_at = now
    result.horizon = state.horizon
    db.session.flush()
    log.info("usage totals: %s", result.describe())
    return result
