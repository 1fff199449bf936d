"""The booking rules, each with a stable code (the API's `rule`) and a human message.

Checked on create, on every move and again on approval, so a rule can never be
dodged by editing a booking after it was made.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, or_, select

from app.extensions import db
from app.models import Closure, Member, Qualification, Resource, ResourceStatus, Tenant

from ..errors import N_, RuleViolation
from .facility import Facility
from .hours import within_hours

MAX_YEARS_AHEAD = 5


class Phase(StrEnum):
    CREATE = "create"
    MOVE = "move"
    APPROVE = "approve"


@dataclass(frozen=True)
class Request:
    """What is checked: who books what, for whom, when."""

    actor: Member
    resource: Resource
    tenant: Tenant | None
    booked_for: Member
    start: dt.datetime
    end: dt.datetime
    now: dt.datetime
    facility: Facility
    phase: Phase

    @property
    def zone(self) -> ZoneInfo:
        return self.facility.zone

    @property
    def building_hours(self) -> dict[str, Any]:
        return self.facility.building_hours


def violation(rule: str, message: str, **params: Any) -> RuleViolation:
    return RuleViolation(message, params=params or None, rule=rule)


def check_interval(request: Request) -> None:
    if request.end <= request.start:
        raise violation("interval", N_("The end must be after the start."))
    if request.start.year > request.now.year + MAX_YEARS_AHEAD:
        raise violation("horizon", N_("This is too far ahead."))


def check_resource(request: Request) -> None:
    resource = request.resource
    if not resource.active or not resource.bookable:
        raise violation("not_bookable", N_("%(name)s cannot be booked."), name=resource.name)
    if resource.status != ResourceStatus.AVAILABLE:
        raise violation(
            "resource_unavailable",
            N_("%(name)s is not available (maintenance or locked)."),
            name=resource.name,
        )


def check_tenant(request: Request) -> None:
    tenant = request.tenant
    if tenant is None:
        return
    if not tenant.is_active:
        raise violation("tenant_inactive", N_("This company is deactivated."))
    if not tenant.contract_running(request.start.astimezone(request.zone).date()):
        raise violation("contract_ended", N_("The company's contract does not cover this date."))
    if not request.booked_for.active:
        raise violation("member_inactive", N_("This member is deactivated."))


def check_length(request: Request) -> None:
    resource = request.resource
    minutes = (request.end - request.start).total_seconds() / 60
    if minutes < resource.min_minutes:
        raise violation(
            "min_length",
            N_("A booking lasts at least %(minutes)s minutes."),
            minutes=resource.min_minutes,
        )
    if minutes > resource.max_minutes:
        raise violation(
            "max_length",
            N_("A booking lasts at most %(minutes)s minutes."),
            minutes=resource.max_minutes,
        )
    step = resource.slot_minutes
    for moment in (request.start, request.end):
        local = moment.astimezone(request.zone)
        since_midnight = local.hour * 60 + local.minute
        if local.second or local.microsecond or since_midnight % step:
            raise violation(
                "granularity",
                N_("Bookings start and end on steps of %(minutes)s minutes."),
                minutes=step,
            )


def check_timing(request: Request) -> None:
    """Lead time and horizon: when the request is made, relative to when it starts."""
    if request.start < request.now:
        raise violation("in_past", N_("This time has already begun."))
    if request.phase == Phase.APPROVE:
        return
    resource = request.resource
    if request.start < request.now + dt.timedelta(minutes=resource.lead_minutes):
        raise violation(
            "lead_time",
            N_("Book at least %(minutes)s minutes ahead."),
            minutes=resource.lead_minutes,
        )
    if request.start > request.now + dt.timedelta(days=resource.horizon_days):
        raise violation(
            "horizon", N_("Book at most %(days)s days ahead."), days=resource.horizon_days
        )


def check_opening_hours(request: Request) -> None:
    resource = request.resource
    hours = resource.opening_hours
    if hours is None and resource.parent is not None:
        hours = resource.parent.opening_hours
    if hours is None:
        hours = request.building_hours
    if not within_hours(hours, request.zone, request.start, request.end):
        raise violation("opening_hours", N_("%(name)s is closed at that time."), name=resource.name)


def closure_reach(resource: Resource) -> list[int]:
    """The resources whose closures close `resource`: itself, its parent and its children
    (closures of the whole building, with no resource, too)."""
    ids = [resource.id] + ([resource.parent_id] if resource.parent_id else [])
    return ids + [child.id for child in resource.children]


def closing(resource: Resource, start: dt.datetime, end: dt.datetime) -> ColumnElement[bool]:
    """The closures that make `resource` closed at some moment of [start, end)."""
    return closing_any(closure_reach(resource), start, end)


def closing_any(resource_ids: Any, start: Any, end: Any) -> ColumnElement[bool]:
    """Closures of the building or of `resource_ids` overlapping [start, end): values or
    bound parameters."""
    return and_(
        or_(Closure.resource_id.is_(None), Closure.resource_id.in_(resource_ids)),
        Closure.start < end,
        Closure.end > start,
    )


def find_closure(resource: Resource, start: dt.datetime, end: dt.datetime) -> Closure | None:
    return db.session.scalar(
        select(Closure).where(closing(resource, start, end)).order_by(Closure.start).limit(1)
    )


def check_closures(request: Request) -> None:
    closure = find_closure(request.resource, request.start, request.end)
    if closure is not None:
        raise violation(
            "closed",
            N_("%(name)s is closed then: %(reason)s."),
            name=request.resource.name,
            reason=closure.reason or "-",
        )


def check_training(request: Request) -> None:
    if not request.resource.training_required:
        return
    member = request.booked_for
    valid = db.session.scalar(
        select(Qualification.id).where(
            Qualification.member_id == member.id,
            Qualification.resource_id == request.resource.id,
            Qualification.revoked_at.is_(None),
            or_(Qualification.expires_at.is_(None), Qualification.expires_at > request.end),
        )
    )
    if valid is None:
        raise violation(
            "training_required",
            N_("%(member)s has no valid training for %(name)s."),
            member=member.name,
            name=request.resource.name,
        )


CHECKS = (
    check_interval,
    check_resource,
    check_tenant,
    check_length,
    check_timing,
    check_opening_hours,
    check_closures,
    check_training,
)


def check_rules(request: Request, *, skip: tuple[str, ...] = ()) -> None:
    for check in CHECKS:
        if check.__name__ not in skip:
            check(request)


def check_notice(
    *, resource: Resource, start: dt.datetime, now: dt.datetime, actor: Member, override: bool
) -> bool:
    """Is a change or cancellation late? Refused for members; managers may override.

    Returns True when the change is late (and allowed through an override).
    """
    deadline = start - dt.timedelta(minutes=resource.change_notice_minutes)
    if now <= deadline:
        return False
    if actor.is_manager and override:
        return True
    raise violation(
        "change_notice",
        N_("Changes and cancellations need %(minutes)s minutes' notice."),
        minutes=resource.change_notice_minutes,
    )
