"""The usage report: per tenant, resource, member or sector, what a period held.

The sources (bookings, usage sessions, door entries) are summed per company (or
member) and resource into `Facts` (`app.services.reports.facts`): days the jobs
runner has already summed come from the stored per-day totals, the others (today,
a day changed since) straight from the source rows
(`app.services.reports.totals`), so a month costs a few hundred stored rows plus
today's sources, whatever the history holds. Per-person reports always read the
sources (the totals know companies, not people).

The per-resource rules (billed by booking or by its sessions? measured by a
device? do no-shows count there?) are then applied here in Python, with the
functions the quota check uses (`app.services.bookings.quota`: billable hours
have one definition), to the facts of each resource.

Columns (docs/reports.md has the details):

- booked hours: confirmed bookings, clipped to the period;
- used hours: usage sessions, clipped; an open session counts up to `now`;
- billable hours: `billable_booking_clause` bookings on resources billed by
  booking, plus session hours on the others (as `billable_session_hours`);
  the incubator's own use is not billed;
- busy and idle hours: what the interlock reported, shared out over the period
  in proportion to the part of the session inside it;
- sessions: those that started in the period;
- no-shows: bookings released because nobody checked in, that started in the
  period, on resources that require a check-in or have an access device;
- use without a booking: sessions that started in the period on a resource that
  may only be used with a booking, with no confirmed booking of the same company
  on it (or on its parent) at the session's start;
- door entries: granted decisions at door devices;
- utilisation: occupied time (sessions on resources whose machine device reports
  them, confirmed bookings elsewhere) as a share of opening time (closures out).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Device, DeviceKind, Member, Resource, Tenant

from ..bookings.quota import billed_by_booking
from ..errors import N_, PermissionDenied, ValidationFailed
from .capacity import opening_seconds
from .facts import EntryKey, Facts, Key, live_entries, live_facts
from .periods import Period
from .totals import gather
from .usage_rows import ENTRANCE, INCUBATOR, NAMES, UNKNOWN, UsageReport, UsageRow

GROUPS = ("tenant", "resource", "member", "sector")


@dataclass
class _Scope:
    tenant_id: int | None
    group_by: str
    period: Period
    now: dt.datetime
    resources: dict[int, Resource]
    #: the rules of each resource, decided by the quota's own functions and applied to
    #: its facts in `_fold`
    billed_by_booking: set[int]
    billed_by_session: set[int]
    measured: set[int]  # a machine device reports its sessions
    guarded: set[int]  # a no-show means something there
    required: set[int]  # may only be used with a booking
    doors: dict[str, int | None]  # door devices and the resource each guards (None: entrance)

    def row(self, rows: dict[str, UsageRow], value: Any) -> UsageRow:
        key = _group_key(self.group_by, value)
        if key not in rows:
            rows[key] = UsageRow(key=key, label="")
        return rows[key]


def _check(actor: Member, group_by: str, tenant_id: int | None) -> int | None:
    """The tenant the report is limited to: a company's people always get their own."""
    if group_by not in GROUPS:
        raise ValidationFailed(
            {"group_by": N_("Choose one of: tenant, resource, member, sector.")},
            N_("Unknown grouping."),
        )
    if actor.is_manager:
        return tenant_id
    if actor.tenant_id is None:
        raise PermissionDenied(N_("Only managers and members of a company can see reports."))
    if group_by == "member" and not actor.is_tenant_admin:
        raise PermissionDenied(N_("Only managers and company admins can see use per person."))
    return actor.tenant_id


def _scope(
    actor: Member, group_by: str, tenant_id: int | None, period: Period, now: dt.datetime
) -> _Scope:
    limited_to = _check(actor, group_by, tenant_id)
    resources = {r.id: r for r in db.session.scalars(select(Resource))}
    devices = db.session.execute(select(Device.id, Device.resource_id, Device.kind)).all()
    with_resource = [(rid, kind) for _id, rid, kind in devices if rid is not None]
    measured = {rid for rid, kind in with_resource if kind == DeviceKind.MACHINE}
    guarded = {rid for rid, _kind in with_resource} | {
        rid for rid, r in resources.items() if r.checkin_required
    }
    by_booking = {rid for rid, r in resources.items() if billed_by_booking(r)}
    return _Scope(
        tenant_id=limited_to,
        group_by=group_by,
        period=period,
        now=now,
        resources=resources,
        billed_by_booking=by_booking,
        billed_by_session=set(resources) - by_booking,
        measured=measured,
        guarded=guarded,
        required={rid for rid, r in resources.items() if r.booking_required_for_use},
        doors={did: rid for did, rid, kind in devices if kind == DeviceKind.DOOR},
    )


def usage_report(
    actor: Member,
    *,
    period: Period,
    group_by: str,
    now: dt.datetime,
    building_hours: dict[str, Any],
    tenant_id: int | None = None,
    use_totals: bool = True,
) -> UsageReport:
    """The report `actor` may see. Managers: everyone, or `tenant_id`; anyone else:
    their own company, whatever `tenant_id` says. Plain members do not get per-person
    rows or door entries (tenant admins get door entries as company counts only).

    Days the jobs runner has summed are read from the stored totals unless
    `use_totals` is False (the tests compare both ways)."""
    scope = _scope(actor, group_by, tenant_id, period, now)
    found: dict[str, UsageRow] = {}
    stored_days = 0
    shows_entries = actor.is_manager or (actor.is_tenant_admin and group_by != "member")
    doors = scope.doors if shows_entries else {}
    if group_by == "member":  # the stored totals know companies, not people
        facts = live_facts(
            period,
            now,
            by="member",
            resources=scope.resources,
            unbooked_on=scope.required,
            tenant_id=scope.tenant_id,
        )
        raw_entries = (
            live_entries(period, by="member", devices=doors, tenant_id=scope.tenant_id)
            if doors
            else {}
        )
    else:
        gathered = gather(
            period,
            now,
            resources=scope.resources,
            unbooked_on=scope.required,
            doors=doors,
            tenant_id=scope.tenant_id,
            use_totals=use_totals,
        )
        facts, raw_entries = gathered.facts, gathered.entries
        stored_days = gathered.stored_days
    _fold(scope, found, facts)
    entries = _fold_entries(scope, raw_entries, doors)

    open_resources = _open_resources(scope.resources.values(), period)
    capacity = opening_seconds(open_resources, period, building_hours)
    if group_by == "resource":  # every resource that was open has a row, used or not
        for resource in open_resources:
            scope.row(found, resource.id)
    rows = _merge(scope, found, entries, shows_entries)
    total = UsageRow(key="total", label="")
    for row in rows:
        total.add(row)
    total.capacity_s = sum(capacity.values())
    if not shows_entries:
        total.door_entries = None
    elif total.door_entries is None:
        total.door_entries = 0
    for row in rows:
        if group_by == "resource" and row.key.startswith("resource:"):
            row.capacity_s = capacity.get(int(row.key.split(":")[1]), 0.0)
        elif group_by != "resource":
            row.capacity_s = total.capacity_s
    return UsageReport(
        period=period,
        group_by=group_by,
        tenant_id=scope.tenant_id,
        now=now,
        rows=rows,
        total=total,
        shows_door_entries=shows_entries,
        stored_days=stored_days,
    )


# -- the facts, folded into rows ------------------------------------------------------


def _fold(scope: _Scope, rows: dict[str, UsageRow], facts: dict[Key, Facts]) -> None:
    """Apply each resource's rules to its facts and add them to the row of their group."""
    by_booking, by_session = scope.billed_by_booking, scope.billed_by_session
    measured, guarded, required = scope.measured, scope.guarded, scope.required
    for (who, resource_id), part in facts.items():
        if not part.counts:
            continue
        row = scope.row(rows, resource_id if scope.group_by == "resource" else who)
        row.booked_s += part.booked_s
        row.used_s += part.used_s
        if resource_id in measured:  # occupied: what the devices measured, where they do
            row.occupied_s += part.used_s
        else:  # elsewhere the confirmed bookings
            row.occupied_s += part.booked_s
        if resource_id in by_booking:
            row.billable_s += part.billable_booked_s
        elif resource_id in by_session:  # walk-in use; the incubator's own is not billed
            row.billable_s += part.company_used_s
        if resource_id in guarded:
            row.no_shows += part.no_shows
        if resource_id in required:
            row.unbooked_sessions += part.unbooked
        row.busy_s += part.busy_s
        row.idle_s += part.idle_s
        row.machine_reported = row.machine_reported or part.reported > 0
        row.sessions += part.sessions


def _fold_entries(
    scope: _Scope, entries: dict[EntryKey, int], doors: dict[str, int | None]
) -> dict[str, int]:
    found: dict[str, int] = defaultdict(int)
    for (who, device_id), count in entries.items():
        if device_id not in doors:
            continue
        if scope.group_by == "resource":  # the door's resource; none: the building's entrance
            resource_id = doors[device_id]
            name = ENTRANCE if resource_id is None else f"resource:{resource_id}"
        else:
            name = _group_key(scope.group_by, who)
        found[name] += count
    return found


# -- resources and labels -----------------------------------------------------------------


def _open_resources(resources: Iterable[Resource], period: Period) -> list[Resource]:
    """Resources that could be used in the period: active, or deactivated during it."""
    return [
        r
        for r in resources
        if (r.active or (r.deactivated_at is not None and r.deactivated_at > period.start))
        and (r.bookable or r.kind.value == "machine")
    ]


def _group_key(group_by: str, value: Any) -> str:
    if group_by in ("tenant", "sector"):
        return INCUBATOR if value is None else f"tenant:{value}"
    if value is None:
        return UNKNOWN
    return f"{group_by}:{value}"


def _merge(
    scope: _Scope,
    found: dict[str, UsageRow],
    entries: dict[str, int],
    shows_entries: bool,
) -> list[UsageRow]:
    """The rows with their labels and door entries (companies added up into sectors)."""
    tenant_ids = {int(k.split(":")[1]) for k in found if k.startswith("tenant:")}
    tenant_ids |= {int(k.split(":")[1]) for k in entries if k.startswith("tenant:")}
    tenants = {
        t.id: t
        for t in (
            db.session.execute(
                select(Tenant.id, Tenant.name, Tenant.sector).where(Tenant.id.in_(tenant_ids))
            )
            if tenant_ids
            else ()
        )
    }
    member_ids = {int(k.split(":")[1]) for k in found if k.startswith("member:")}
    member_ids |= {int(k.split(":")[1]) for k in entries if k.startswith("member:")}
    members = {
        m.id: m
        for m in (
            db.session.execute(select(Member.id, Member.name).where(Member.id.in_(member_ids)))
            if member_ids
            else ()
        )
    }

    def final_key(key: str) -> str:
        if scope.group_by == "sector" and key.startswith("tenant:"):
            tenant = tenants.get(int(key.split(":")[1]))
            return f"sector:{tenant.sector.value}" if tenant else UNKNOWN
        return key

    def label(key: str) -> str:
        kind, _, ident = key.partition(":")
        if kind == "tenant":
            return tenants[int(ident)].name if int(ident) in tenants else key
        if kind == "member":
            member = members.get(int(ident))
            return member.name if member else key
        if kind == "resource":
            resource = scope.resources.get(int(ident))
            return resource.name if resource else key
        return NAMES.get(key, key)  # incubator, entrance, sectors: message ids

    merged: dict[str, UsageRow] = {}
    for key, part in found.items():
        name = final_key(key)
        if name not in merged:
            merged[name] = UsageRow(key=name, label=label(name), translate=name in NAMES)
        merged[name].add(part)
    for key, count in entries.items():
        name = final_key(key)
        if name not in merged:
            merged[name] = UsageRow(key=name, label=label(name), translate=name in NAMES)
        merged[name].door_entries = (merged[name].door_entries or 0) + count
    for row in merged.values():
        if shows_entries and row.door_entries is None:
            row.door_entries = 0
    special = (INCUBATOR, ENTRANCE, UNKNOWN)
    return sorted(merged.values(), key=lambda r: (r.key in special, r.label.lower(), r.key))
