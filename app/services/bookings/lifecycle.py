"""Creating, moving, cancelling, approving, rejecting and checking in bookings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Booking, BookingSeries, BookingStatus, Member, Resource, Role

from .. import audit
from ..device_outbox import request_acl_refresh, request_acl_refresh_for_resource
from ..errors import N_, NotFound, PermissionDenied, RuleViolation, ValidationFailed
from ..validation import clean_text
from . import notify
from .claims import (
    conflict_error,
    drop_claims,
    find_conflicts,
    insert_booking,
    place_claims,
    survey_slot,
)
from .facility import Facility
from .localtime import localize
from .quota import check_quota
from .recurrence import Occurrence, expand
from .rules import Phase, Request, check_closures, check_notice, check_rules


class Scope(StrEnum):
    THIS = "this"
    FOLLOWING = "following"
    SERIES = "series"


@dataclass
class CreateResult:
    bookings: list[Booking]
    skipped: list[Occurrence] = field(default_factory=list)


def _who_for(actor: Member, booked_for: Member | None) -> Member:
    if booked_for is None or booked_for.id == actor.id:
        return actor
    if actor.is_manager:
        return booked_for
    if (
        actor.is_tenant_admin
        and booked_for.tenant_id == actor.tenant_id
        and booked_for.role != Role.MANAGER
    ):
        return booked_for
    raise ValidationFailed({"booked_for": N_("Unknown member.")})


def _request(
    *,
    actor: Member,
    resource: Resource,
    member: Member,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    facility: Facility,
    phase: Phase,
) -> Request:
    return Request(
        actor=actor,
        resource=resource,
        tenant=member.tenant,
        booked_for=member,
        start=start,
        end=end,
        now=now,
        facility=facility,
        phase=phase,
    )


def release_overdue(
    resource: Resource,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    facility: Facility,
    *,
    ignore_booking_ids: frozenset[int] = frozenset(),
) -> list[Booking]:
    """Bookings past their check-in deadline are free slots already; make it so in the table.

    Returns the bookings still in the way (one conflict query serves both purposes).
    """
    found = find_conflicts(resource, start, end, ignore_booking_ids=set(ignore_booking_ids))
    return _still_in_the_way(found, now, facility)


def _still_in_the_way(
    bookings: Iterable[Booking], now: dt.datetime, facility: Facility
) -> list[Booking]:
    """The bookings that keep their slot; the ones past their check-in deadline are
    released as no-shows on the way."""
    in_the_way: list[Booking] = []
    for booking in bookings:
        if booking.is_overdue_for_checkin(now):
            _mark_no_show(booking, now, facility)
        else:
            in_the_way.append(booking)
    return in_the_way


def _bookings_in_the_way(ids: list[int], now: dt.datetime, facility: Facility) -> list[Booking]:
    if not ids:
        return []
    found = db.session.scalars(select(Booking).where(Booking.id.in_(ids)).order_by(Booking.start))
    return _still_in_the_way(found, now, facility)


def _mark_no_show(booking: Booking, now: dt.datetime, facility: Facility) -> None:
    booking.status = BookingStatus.NO_SHOW
    drop_claims(booking)
    booking.touch(now)
    notify.booking_changed(booking, event="no_show", actor=None, facility=facility)
    request_acl_refresh_for_resource(booking.resource_id, reason="booking.no_show")


def _clean_title(title: str) -> str:
    title, error = clean_text(title or "", max_length=200, required=False)
    if error:
        raise ValidationFailed({"title": error})
    return title


def create_booking(
    *,
    actor: Member,
    resource: Resource,
    start: dt.datetime,
    end: dt.datetime,
    title: str = "",
    booked_for: Member | None = None,
    recurrence: str | None = None,
    skip_conflicts: bool = False,
    now: dt.datetime,
    facility: Facility,
) -> CreateResult:
    title = _clean_title(title)
    member = _who_for(actor, booked_for)
    if member.tenant is None and not actor.is_manager:
        raise PermissionDenied(N_("Only managers book for the incubator itself."))
    if end <= start:
        raise RuleViolation(N_("The end must be after the start."), rule="interval")
    series: BookingSeries | None = None
    if recurrence:
        local_start = start.astimezone(facility.zone).replace(tzinfo=None)
        local_end = end.astimezone(facility.zone).replace(tzinfo=None)
        occurrences = expand(
            recurrence,
            local_start=local_start,
            duration=local_end - local_start,
            zone=facility.zone,
        )
        series = BookingSeries(
            rrule=recurrence.strip(),
            local_start=local_start.isoformat(timespec="minutes"),
            timezone=facility.zone.key,
            created_by_id=actor.id,
        )
        db.session.add(series)
    else:
        occurrences = [Occurrence(start, end)]

    status = (
        BookingStatus.PENDING
        if resource.approval_required and not actor.is_manager
        else BookingStatus.CONFIRMED
    )
    result = CreateResult(bookings=[])
    conflicts: list[tuple[dt.datetime, dt.datetime]] = []
    devices: list[str] | None = None  # learnt with the first look at a slot
    for occurrence in occurrences:
        request = _request(
            actor=actor,
            resource=resource,
            member=member,
            start=occurrence.start,
            end=occurrence.end,
            now=now,
            facility=facility,
            phase=Phase.CREATE,
        )
        check_rules(request, skip=("check_closures",))
        survey = survey_slot(
            resource, occurrence.start, occurrence.end, with_devices=devices is None
        )
        if devices is None:
            devices = survey.device_ids
        blocking = _bookings_in_the_way(survey.booking_ids, now, facility)
        closed = bool(survey.closure_ids)
        if closed or blocking:
            if series is not None and skip_conflicts:
                result.skipped.append(occurrence)
                continue
            if closed:
                check_closures(request)  # raises the friendly "closed" answer
            conflicts.extend((b.start, b.end) for b in blocking)
            continue
        check_quota(
            tenant=member.tenant,
            resource=resource,
            start=occurrence.start,
            end=occurrence.end,
            zone=facility.zone,
        )
        if series is not None and series.id is None:
            db.session.flush()
        booking = insert_booking(
            resource,
            tenant_id=member.tenant_id,
            booked_by_id=actor.id,
            booked_for_id=member.id,
            title=title,
            start=occurrence.start,
            end=occurrence.end,
            status=status,
            series_id=series.id if series is not None else None,
            created_at=now,
            updated_at=now,
        )
        result.bookings.append(booking)
    if conflicts:
        raise conflict_error(conflicts)
    if not result.bookings:
        raise RuleViolation(
            N_("Every occurrence of this series conflicts with another booking."),
            rule="conflict",
        )
    for device_id in devices or ():
        request_acl_refresh(reason="booking.create", device_id=device_id)
    if actor.is_manager and member.id != actor.id:
        audit.record(
            actor=actor,
            action="booking.create_for",
            object_type="booking",
            object_id=result.bookings[0].id,
            tenant_id=member.tenant_id,
            details={"resource": resource.slug, "for": member.id, "count": len(result.bookings)},
        )
    return result


def get_booking(actor: Member, booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None or not booking.is_visible_to(actor):
        raise NotFound(N_("No such booking."))
    return booking


def _require_changeable(booking: Booking, actor: Member) -> None:
    if not booking.is_visible_to(actor):
        raise NotFound(N_("No such booking."))
    if not booking.can_change(actor):
        raise RuleViolation(
            N_("This booking is no longer active and cannot be changed."), rule="not_active"
        )


def _targets(booking: Booking, scope: Scope, now: dt.datetime) -> list[Booking]:
    if scope == Scope.THIS or booking.series_id is None:
        return [booking]
    query = select(Booking).where(
        Booking.series_id == booking.series_id,
        Booking.status.in_([BookingStatus.PENDING, BookingStatus.CONFIRMED]),
        Booking.end > now,
    )
    if scope == Scope.FOLLOWING:
        query = query.where(Booking.start >= booking.start)
    return list(db.session.scalars(query.order_by(Booking.start)))


def move_booking(
    booking: Booking,
    *,
    actor: Member,
    start: dt.datetime,
    end: dt.datetime,
    title: str | None = None,
    scope: Scope = Scope.THIS,
    override_notice: bool = False,
    now: dt.datetime,
    facility: Facility,
) -> list[Booking]:
    """Move one occurrence, or shift this and the following, or the whole series.

    A shift is applied in local wall time, so every occurrence keeps the same
    local hour across daylight-saving changes. Every moved occurrence is
    checked against every rule again.

    With the times unchanged it is a rename (`rename_booking`): the rules and the notice
    period are about the slot, and a new title leaves the slot as it was.
    """
    _require_changeable(booking, actor)
    new_title = _clean_title(title) if title is not None else None
    if start == booking.start and end == booking.end:
        if new_title is None:
            return []
        return rename_booking(booking, actor=actor, title=new_title, scope=scope, now=now)
    zone = facility.zone
    old_local = booking.start.astimezone(zone).replace(tzinfo=None)
    new_local = start.astimezone(zone).replace(tzinfo=None)
    shift = new_local - old_local
    length = end.astimezone(zone).replace(tzinfo=None) - new_local
    targets = _targets(booking, scope, now)
    ids = frozenset(b.id for b in targets)
    planned: list[tuple[Booking, dt.datetime, dt.datetime]] = []
    for target in targets:
        late = check_notice(
            resource=target.resource,
            start=target.start,
            now=now,
            actor=actor,
            override=override_notice,
        )
        target_local = target.start.astimezone(zone).replace(tzinfo=None) + shift
        new_start = localize(target_local, zone)
        new_end = localize(target_local + length, zone, field="end")
        planned.append((target, new_start, new_end))
        if late:
            target.late_change = True
    for target in targets:
        drop_claims(target)
    db.session.flush()
    conflicts: list[tuple[dt.datetime, dt.datetime]] = []
    for target, new_start, new_end in planned:
        request = _request(
            actor=actor,
            resource=target.resource,
            member=target.booked_for,
            start=new_start,
            end=new_end,
            now=now,
            facility=facility,
            phase=Phase.MOVE,
        )
        check_rules(request)
        found = release_overdue(
            target.resource, new_start, new_end, now, facility, ignore_booking_ids=ids
        )
        conflicts.extend((b.start, b.end) for b in found)
        check_quota(
            tenant=target.tenant,
            resource=target.resource,
            start=new_start,
            end=new_end,
            zone=zone,
            replacing=ids,
        )
    if conflicts:
        raise conflict_error(conflicts)
    for target, new_start, new_end in planned:
        target.start, target.end = new_start, new_end
        if new_title is not None:
            target.title = new_title
        target.touch(now)
        place_claims(target)
        notify.booking_changed(target, event="moved", actor=actor, facility=facility)
    for resource_id in {t.resource_id for t, _s, _e in planned}:
        request_acl_refresh_for_resource(resource_id, reason="booking.move")
    _audit_if_staff(actor, booking, "booking.move", {"scope": scope.value, "count": len(planned)})
    return [t for t, _s, _e in planned]


def rename_booking(
    booking: Booking, *, actor: Member, title: str, scope: Scope = Scope.THIS, now: dt.datetime
) -> list[Booking]:
    """A new title for a booking (or its series). No rule about the slot applies (notice
    period, times, the resource's state): the slot stays as it was. Returns the
    bookings whose title changed."""
    _require_changeable(booking, actor)
    title = _clean_title(title)
    renamed = [t for t in _targets(booking, scope, now) if t.title != title]
    for target in renamed:
        target.title = title
        target.touch(now)
    if renamed:
        _audit_if_staff(
            actor, booking, "booking.rename", {"scope": scope.value, "count": len(renamed)}
        )
    return renamed


def cancel_booking(
    booking: Booking,
    *,
    actor: Member,
    scope: Scope = Scope.THIS,
    override_notice: bool = False,
    now: dt.datetime,
    facility: Facility,
) -> list[Booking]:
    _require_changeable(booking, actor)
    targets = _targets(booking, scope, now)
    for target in targets:
        late = check_notice(
            resource=target.resource,
            start=target.start,
            now=now,
            actor=actor,
            override=override_notice,
        )
        target.status = BookingStatus.CANCELLED
        target.cancelled_at = now
        target.cancelled_by_id = actor.id
        target.late_change = late
        drop_claims(target)
        target.touch(now)
        notify.booking_changed(target, event="cancelled", actor=actor, facility=facility)
    for resource_id in {t.resource_id for t in targets}:
        request_acl_refresh_for_resource(resource_id, reason="booking.cancel")
    _audit_if_staff(
        actor,
        booking,
        "booking.cancel",
        {"scope": scope.value, "count": len(targets), "override": override_notice},
    )
    return targets


def approve_booking(
    booking: Booking, *, actor: Member, now: dt.datetime, facility: Facility
) -> None:
    if not actor.is_manager:
        raise PermissionDenied(N_("Only managers approve bookings."))
    if booking.status != BookingStatus.PENDING:
        raise RuleViolation(N_("Only pending bookings can be approved."), rule="not_pending")
    request = _request(
        actor=actor,
        resource=booking.resource,
        member=booking.booked_for,
        start=booking.start,
        end=booking.end,
        now=now,
        facility=facility,
        phase=Phase.APPROVE,
    )
    check_rules(request)
    check_quota(
        tenant=booking.tenant,
        resource=booking.resource,
        start=booking.start,
        end=booking.end,
        zone=facility.zone,
        replacing=frozenset({booking.id}),
    )
    booking.status = BookingStatus.CONFIRMED
    booking.decided_by_id = actor.id
    booking.decided_at = now
    booking.touch(now)
    notify.booking_changed(booking, event="approved", actor=actor, facility=facility)
    request_acl_refresh_for_resource(booking.resource_id, reason="booking.approve")
    _audit_if_staff(actor, booking, "booking.approve", {})


def reject_booking(
    booking: Booking, *, actor: Member, reason: str = "", now: dt.datetime, facility: Facility
) -> None:
    if not actor.is_manager:
        raise PermissionDenied(N_("Only managers reject bookings."))
    if booking.status != BookingStatus.PENDING:
        raise RuleViolation(N_("Only pending bookings can be rejected."), rule="not_pending")
    booking.status = BookingStatus.REJECTED
    booking.decided_by_id = actor.id
    booking.decided_at = now
    booking.note = _clean_title(reason)
    drop_claims(booking)
    booking.touch(now)
    notify.booking_changed(booking, event="rejected", actor=actor, facility=facility)
    request_acl_refresh_for_resource(booking.resource_id, reason="booking.reject")
    _audit_if_staff(actor, booking, "booking.reject", {"reason": booking.note})


CHECKIN_EARLY = dt.timedelta(minutes=15)


def check_in(booking: Booking, *, actor: Member, now: dt.datetime) -> None:
    if not booking.is_visible_to(actor):
        raise NotFound(N_("No such booking."))
    if booking.status != BookingStatus.CONFIRMED:
        raise RuleViolation(N_("Only confirmed bookings can be checked in."), rule="not_confirmed")
    if booking.checked_in_at is not None:
        return
    deadline = booking.checkin_deadline() or booking.end
    if not booking.start - CHECKIN_EARLY <= now <= deadline:
        raise RuleViolation(
            N_("Check in from 15 minutes before the start until the check-in deadline."),
            rule="checkin_window",
        )
    booking.checked_in_at = now
    booking.touch(now)


def release_no_shows(*, now: dt.datetime, facility: Facility) -> int:
    """Jobs runner: release confirmed bookings whose check-in deadline has passed."""
    from app.models import Resource as ResourceModel

    candidates = db.session.scalars(
        select(Booking)
        .join(ResourceModel, Booking.resource_id == ResourceModel.id)
        .where(
            Booking.status == BookingStatus.CONFIRMED,
            Booking.checked_in_at.is_(None),
            ResourceModel.checkin_required.is_(True),
            Booking.start < now,
            Booking.start > now - dt.timedelta(days=2),
        )
    )
    released = 0
    for booking in candidates:
        if booking.is_overdue_for_checkin(now):
            _mark_no_show(booking, now, facility)
            released += 1
    return released


def _audit_if_staff(actor: Member, booking: Booking, action: str, details: dict[str, Any]) -> None:
    if actor.is_manager:
        audit.record(
            actor=actor,
            action=action,
            object_type="booking",
            object_id=booking.id,
            tenant_id=booking.tenant_id,
            details=details,
        )
