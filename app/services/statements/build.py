"""A tenant's monthly statement: included quota, billable hours, overage and its amount.

Billable hours are the one definition in `app.services.bookings.quota`
(`billable_hours` for bookings, `billable_session_hours` for walk-in machine
use); the statement adds a line per booking and per machine session of the
month, and prices the overage when it is made: nothing about it is stored.

Pricing: per resource kind the plan includes some hours a month (none without
a plan). Lines use up the included hours in time order; whatever a line has
beyond them is overage, charged at the hourly rate of the line's resource
(`Resource.hourly_rate`), so overage hours x rate = amount on every line and
the kind's amount is the sum of its lines. Amounts are in euro, without VAT.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from app.extensions import db
from app.models import Booking, Member, Resource, ResourceKind, Tenant, UsageSession

from ..bookings.quota import (
    LONGEST_SESSION,
    billable_booking_clause,
    billable_hours,
    billable_session_hours,
    billed_by_booking,
    month_bounds,
)
from ..errors import N_, NotFound, PermissionDenied, ValidationFailed

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
CURRENCY = "EUR"
MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
KIND_ORDER = (ResourceKind.ROOM, ResourceKind.KITCHEN, ResourceKind.MACHINE)


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str | None, *, field: str = "month") -> Month:
        match = MONTH_PATTERN.match(text or "")
        if not match or not 1 <= int(match[2]) <= 12 or not 2000 <= int(match[1]) <= 2200:
            raise ValidationFailed({field: N_("Give a month as YYYY-MM, e.g. 2026-11.")})
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, moment: dt.datetime, zone: ZoneInfo) -> Month:
        local = moment.astimezone(zone)
        return cls(local.year, local.month)

    def bounds(self, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        """The month's first and following instants (UTC), in the facility's time zone."""
        return month_bounds(dt.datetime(self.year, self.month, 15, 12, tzinfo=zone), zone)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def next(self) -> Month:
        return Month(self.year + (self.month == 12), self.month % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class StatementLine:
    source: str  # "booking" or "session"
    source_id: int
    resource: str
    resource_slug: str
    kind: ResourceKind | None
    start: dt.datetime  # UTC, cut at the month's bounds
    end: dt.datetime
    member: str | None  # None when the person is no longer known (retention)
    title: str
    status: str
    hours: Decimal
    billable_hours: Decimal
    included_hours: Decimal
    overage_hours: Decimal
    rate: Decimal
    amount: Decimal
    ongoing: bool = False  # an open session, counted up to when the statement was made


@dataclass(frozen=True)
class KindTotal:
    kind: ResourceKind
    included_hours: Decimal
    billable_hours: Decimal
    overage_hours: Decimal
    rate: Decimal | None  # None when the kind's billed resources have different rates
    amount: Decimal


@dataclass(frozen=True)
class Statement:
    tenant_id: int
    tenant_name: str
    tenant_slug: str
    month: Month
    start: dt.datetime
    end: dt.datetime
    generated_at: dt.datetime
    has_plan: bool
    allow_overage: bool
    kinds: tuple[KindTotal, ...]
    lines: tuple[StatementLine, ...]
    total_amount: Decimal
    currency: str = CURRENCY

    @property
    def provisional(self) -> bool:
        """The month is not over yet: the numbers can still change."""
        return self.generated_at < self.end


# -- who may read what ---------------------------------------------------------


def may_read_statements(actor: Member) -> bool:
    return actor.is_manager or actor.is_tenant_admin


def statement_tenant(actor: Member, tenant_id: int) -> Tenant:
    """The tenant whose statement `actor` asks for: managers any, tenant admins their own."""
    if not may_read_statements(actor):
        raise PermissionDenied(N_("Only managers and tenant admins can read statements."))
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None or not (actor.is_manager or actor.tenant_id == tenant.id):
        raise NotFound(N_("No such tenant."))
    return tenant


def statement_tenants(actor: Member) -> list[Tenant]:
    """The tenants `actor` may pick (managers: all, inactive ones too)."""
    if not may_read_statements(actor):
        raise PermissionDenied(N_("Only managers and tenant admins can read statements."))
    query = select(Tenant).order_by(Tenant.name)
    if not actor.is_manager:
        query = query.where(Tenant.id == actor.tenant_id)
    return list(db.session.scalars(query))


# -- building ------------------------------------------------------------------


def _hours(start: dt.datetime, end: dt.datetime) -> Decimal:
    # the same rounding as the quota's, so the lines add up to its totals
    return (Decimal((end - start).total_seconds()) / Decimal(3600)).quantize(CENT)


@dataclass
class _Draft:
    source: str
    source_id: int
    resource: str
    resource_slug: str
    kind: ResourceKind | None
    start: dt.datetime
    end: dt.datetime
    member: str | None
    title: str
    status: str
    hours: Decimal
    billable: bool
    rate: Decimal
    ongoing: bool = False


def _resources() -> dict[int, Resource]:
    """Every resource by id (a few dozen rows): the lines read only columns, not objects."""
    return {r.id: r for r in db.session.scalars(select(Resource))}


def _booking_drafts(
    tenant_id: int, start: dt.datetime, end: dt.datetime, resources: dict[int, Resource]
) -> list[_Draft]:
    rows = db.session.execute(
        select(
            Booking.id,
            Booking.resource_id,
            Booking.start,
            Booking.end,
            Booking.title,
            Booking.status,
            Member.name,
        )
        .join(Member, Member.id == Booking.booked_for_id)
        .where(
            Booking.tenant_id == tenant_id,
            Booking.start < end,
            Booking.end > start,
            billable_booking_clause(),
        )
    )
    drafts = []
    for booking_id, resource_id, booking_start, booking_end, title, status, member in rows:
        resource = resources[resource_id]
        piece_start, piece_end = max(booking_start, start), min(booking_end, end)
        drafts.append(
            _Draft(
                source="booking",
                source_id=booking_id,
                resource=resource.name,
                resource_slug=resource.slug,
                kind=resource.kind,
                start=piece_start,
                end=piece_end,
                member=member,
                title=title,
                status=status.value,
                hours=_hours(piece_start, piece_end),
                billable=billed_by_booking(resource),
                rate=resource.hourly_rate,
            )
        )
    return drafts


def _session_drafts(
    tenant_id: int,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    resources: dict[int, Resource],
) -> list[_Draft]:
    rows = db.session.execute(
        select(
            UsageSession.id,
            UsageSession.device_id,
            UsageSession.resource_id,
            UsageSession.started_at,
            UsageSession.ended_at,
            Member.name,
        )
        .outerjoin(Member, Member.id == UsageSession.member_id)
        .where(
            UsageSession.tenant_id == tenant_id,
            UsageSession.started_at >= start - LONGEST_SESSION,
            UsageSession.started_at < end,
            or_(UsageSession.ended_at.is_(None), UsageSession.ended_at > start),
        )
    )
    drafts = []
    for session_id, device_id, resource_id, started, ended, member in rows:
        piece_start, piece_end = max(started, start), min(ended or now, end)
        if piece_end <= piece_start:
            continue
        resource = resources.get(resource_id) if resource_id is not None else None
        drafts.append(
            _Draft(
                source="session",
                source_id=session_id,
                resource=resource.name if resource else device_id,
                resource_slug=resource.slug if resource else "",
                kind=resource.kind if resource else None,
                start=piece_start,
                end=piece_end,
                member=member,  # None once retention anonymised the session
                title="",
                status="open" if ended is None else "ended",
                hours=_hours(piece_start, piece_end),
                # billed by its sessions only where the resource is not billed by booking
                billable=resource is not None and not billed_by_booking(resource),
                rate=resource.hourly_rate if resource else ZERO,
                ongoing=ended is None,
            )
        )
    return drafts


def _price(drafts: list[_Draft], included: dict[ResourceKind, Decimal]) -> list[StatementLine]:
    """Use up each kind's included hours in time order; the rest of a line is overage."""
    left = dict(included)
    lines = []
    for draft in sorted(drafts, key=lambda d: (d.start, d.source, d.source_id)):
        billable = draft.hours if draft.billable else ZERO
        covered = ZERO
        if billable and draft.kind is not None:
            covered = min(billable, left.get(draft.kind, ZERO))
            left[draft.kind] = left.get(draft.kind, ZERO) - covered
        overage = billable - covered
        lines.append(
            StatementLine(
                source=draft.source,
                source_id=draft.source_id,
                resource=draft.resource,
                resource_slug=draft.resource_slug,
                kind=draft.kind,
                start=draft.start,
                end=draft.end,
                member=draft.member,
                title=draft.title,
                status=draft.status,
                hours=draft.hours,
                billable_hours=billable,
                included_hours=covered,
                overage_hours=overage,
                rate=draft.rate,
                amount=(overage * draft.rate).quantize(CENT, rounding=ROUND_HALF_UP),
                ongoing=draft.ongoing,
            )
        )
    return lines


def included_hours(tenant: Tenant) -> dict[ResourceKind, Decimal]:
    """The plan's hours a month per kind; a tenant without a plan has none included."""
    plan = tenant.quota_hours or {}
    return {kind: Decimal(str(plan.get(kind.value, 0))).quantize(CENT) for kind in KIND_ORDER}


def _kind_total(
    kind: ResourceKind,
    *,
    tenant: Tenant,
    included: Decimal,
    lines: list[StatementLine],
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
) -> KindTotal:
    billable = billable_hours(
        tenant_id=tenant.id, kind=kind, start=start, end=end
    ) + billable_session_hours(tenant_id=tenant.id, kind=kind, start=start, end=end, now=now)
    own = [line for line in lines if line.kind == kind and line.billable_hours]
    rates = {line.rate for line in own}
    return KindTotal(
        kind=kind,
        included_hours=included,
        billable_hours=billable,
        overage_hours=max(ZERO, billable - included),
        rate=rates.pop() if len(rates) == 1 else None,
        amount=sum((line.amount for line in own), ZERO),
    )


def build_statement(
    actor: Member, *, tenant_id: int, month: Month, zone: ZoneInfo, now: dt.datetime
) -> Statement:
    """The statement of one tenant for one month (the month so far when it is not over)."""
    tenant = statement_tenant(actor, tenant_id)
    return compute_statement(tenant, month=month, zone=zone, now=now)


def compute_statement(
    tenant: Tenant, *, month: Month, zone: ZoneInfo, now: dt.datetime
) -> Statement:
    """The statement itself, without a permission check (the CLI runs as the system)."""
    start, end = month.bounds(zone)
    resources = _resources()
    drafts = _booking_drafts(tenant.id, start, end, resources)
    if now > start:
        drafts += _session_drafts(tenant.id, start, end, now, resources)
    included = included_hours(tenant)
    lines = _price(drafts, included)
    kinds = tuple(
        _kind_total(
            kind,
            tenant=tenant,
            included=included[kind],
            lines=lines,
            start=start,
            end=end,
            now=now,
        )
        for kind in KIND_ORDER
    )
    return Statement(
        tenant_id=tenant.id,
        tenant_name=tenant.name,
        tenant_slug=tenant.slug,
        month=month,
        start=start,
        end=end,
        generated_at=now,
        has_plan=tenant.quota_hours is not None,
        allow_overage=tenant.allow_overage,
        kinds=kinds,
        lines=tuple(lines),
        total_amount=sum((kind.amount for kind in kinds), ZERO),
    )
