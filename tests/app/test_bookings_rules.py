"""The booking rules, each with its edges, on create, on move and on approve."""

import datetime as dt
from decimal import Decimal

import pytest

from app.models import BookingStatus, Closure, Qualification, ResourceKind, ResourceStatus
from app.services.bookings.lifecycle import (
    approve_booking,
    cancel_booking,
    create_booking,
    move_booking,
)
from app.services.bookings.quota import billable_hours
from app.services.errors import Conflict, RuleViolation

pytestmark = pytest.mark.db

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # Tuesday 09:00 in Brussels
TOMORROW_10 = dt.datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # Wednesday 10:00 in Brussels


def at(hours_from_tomorrow_10: float) -> dt.datetime:
    return TOMORROW_10 + dt.timedelta(hours=hours_from_tomorrow_10)


@pytest.fixture
def member(make_member):
    return make_member()


def attempt(member, resource, facility, start, end, **kwargs):
    return create_booking(
        actor=member,
        resource=resource,
        start=start,
        end=end,
        now=kwargs.pop("now", NOW),
        facility=facility,
        **kwargs,
    )


# (resource settings, start offset h, length h, rule expected or None)
CASES = [
    ({"min_minutes": 60}, 0, 1, None),
    ({"min_minutes": 60}, 0, 0.5, "min_length"),
    ({"max_minutes": 120}, 0, 2, None),
    ({"max_minutes": 120}, 0, 2.5, "max_length"),
    ({"slot_minutes": 30}, 0.5, 1, None),
    ({"slot_minutes": 60}, 0.5, 1, "granularity"),
    ({"slot_minutes": 15}, 0.25, 0.75, None),
    ({"lead_minutes": 25 * 60}, 0, 1, None),
    ({"lead_minutes": 26 * 60}, 0, 1, "lead_time"),
    ({"horizon_days": 2}, 0, 1, None),
    ({"horizon_days": 1}, 24, 1, "horizon"),
    ({"bookable": False}, 0, 1, "not_bookable"),
    ({"status": ResourceStatus.MAINTENANCE}, 0, 1, "resource_unavailable"),
    ({"status": ResourceStatus.LOCKED_OUT}, 0, 1, "resource_unavailable"),
    ({"opening_hours": {"wed": [["10:00", "11:00"]]}}, 0, 1, None),
    ({"opening_hours": {"wed": [["10:00", "11:00"]]}}, 0, 1.5, "opening_hours"),
    ({"opening_hours": {"wed": [["08:00", "12:00"], ["12:00", "18:00"]]}}, 1, 4, None),
    ({"opening_hours": {"tue": [["08:00", "18:00"]]}}, 0, 1, "opening_hours"),
    ({}, -26, 1, "in_past"),
]


@pytest.mark.parametrize(("settings", "offset", "length", "rule"), CASES)
def test_rule_on_create(member, make_resource, facility, settings, offset, length, rule):
    resource = make_resource(**settings)
    start = at(offset)
    end = start + dt.timedelta(hours=length)
    if rule is None:
        result = attempt(member, resource, facility, start, end)
        assert result.bookings[0].status == BookingStatus.CONFIRMED
    else:
        with pytest.raises(RuleViolation) as caught:
            attempt(member, resource, facility, start, end)
        assert caught.value.rule == rule


@pytest.mark.parametrize(("settings", "offset", "length", "rule"), CASES)
def test_rule_on_move(member, make_resource, facility, db_session, settings, offset, length, rule):
    resource = make_resource()
    # Made elsewhere, so that every case is a real move (the same times would be a rename).
    booking = attempt(member, resource, facility, at(4), at(5)).bookings[0]
    db_session.commit()
    for key, value in settings.items():
        setattr(resource, key, value)
    db_session.commit()
    start = at(offset)
    end = start + dt.timedelta(hours=length)
    if rule is None:
        move_booking(booking, actor=member, start=start, end=end, now=NOW, facility=facility)
        assert (booking.start, booking.end) == (start, end)
    else:
        with pytest.raises(RuleViolation) as caught:
            move_booking(booking, actor=member, start=start, end=end, now=NOW, facility=facility)
        assert caught.value.rule == rule


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"status": ResourceStatus.MAINTENANCE}, "resource_unavailable"),
        ({"training_required": True}, "training_required"),
        ({"opening_hours": {"mon": [["08:00", "18:00"]]}}, "opening_hours"),
        ({}, None),
    ],
)
def test_rules_again_on_approve(make_member, make_resource, facility, db_session, change, rule):
    member = make_member()
    manager = make_member(role="manager")
    resource = make_resource(approval_required=True)
    booking = attempt(member, resource, facility, at(0), at(1)).bookings[0]
    assert booking.status == BookingStatus.PENDING
    for key, value in change.items():
        setattr(resource, key, value)
    db_session.commit()
    if rule is None:
        approve_booking(booking, actor=manager, now=NOW, facility=facility)
        assert booking.status == BookingStatus.CONFIRMED
    else:
        with pytest.raises(RuleViolation) as caught:
            approve_booking(booking, actor=manager, now=NOW, facility=facility)
        assert caught.value.rule == rule


def test_lead_time_does_not_block_approval_of_a_request_made_in_time(
    make_member, make_resource, facility
):
    member, manager = make_member(), make_member(role="manager")
    resource = make_resource(approval_required=True, lead_minutes=24 * 60)
    booking = attempt(member, resource, facility, at(0), at(1)).bookings[0]
    later = NOW + dt.timedelta(hours=12)
    approve_booking(booking, actor=manager, now=later, facility=facility)
    assert booking.status == BookingStatus.CONFIRMED


def test_training_required_needs_a_valid_qualification(member, make_resource, facility, db_session):
    laser = make_resource(kind=ResourceKind.MACHINE, training_required=True)
    with pytest.raises(RuleViolation) as caught:
        attempt(member, laser, facility, at(0), at(1))
    assert caught.value.rule == "training_required"
    qualification = Qualification(member=member, resource=laser, expires_at=at(0.5))
    db_session.add(qualification)
    db_session.commit()
    with pytest.raises(RuleViolation):  # expires during the booking
        attempt(member, laser, facility, at(0), at(1))
    qualification.expires_at = None
    db_session.commit()
    assert attempt(member, laser, facility, at(0), at(1)).bookings


def test_closure_blocks_booking_with_its_reason(member, make_resource, facility, db_session):
    room = make_resource()
    db_session.add(Closure(resource=room, start=at(-1), end=at(0.5), reason="Cleaning"))
    db_session.commit()
    with pytest.raises(RuleViolation) as caught:
        attempt(member, room, facility, at(0), at(1))
    assert caught.value.rule == "closed"
    assert "Cleaning" in str(caught.value)
    assert attempt(member, room, facility, at(0.5), at(1.5)).bookings


def test_building_closure_blocks_every_resource(member, make_resource, facility, db_session):
    room = make_resource()
    db_session.add(Closure(resource=None, start=at(0), end=at(8), reason="Holiday"))
    db_session.commit()
    with pytest.raises(RuleViolation) as caught:
        attempt(member, room, facility, at(1), at(2))
    assert caught.value.rule == "closed"


def test_overlap_is_a_conflict_naming_the_interval(member, make_member, make_resource, facility):
    room = make_resource()
    attempt(member, room, facility, at(0), at(2))
    other = make_member()
    with pytest.raises(Conflict) as caught:
        attempt(other, room, facility, at(1), at(3))
    assert caught.value.conflicts == [(at(0), at(2))]
    assert attempt(other, room, facility, at(2), at(3)).bookings  # touching is fine


def test_buffers_widen_the_claim(member, make_member, make_resource, facility):
    kitchen = make_resource(kind=ResourceKind.KITCHEN, buffer_after_minutes=30)
    attempt(member, kitchen, facility, at(0), at(1))
    with pytest.raises(Conflict):
        attempt(make_member(), kitchen, facility, at(1), at(2))
    assert attempt(make_member(), kitchen, facility, at(1.5), at(2)).bookings


def test_parent_blocks_children_and_children_block_parent(make_member, make_resource, facility):
    fablab = make_resource()
    laser = make_resource(kind=ResourceKind.MACHINE, parent=fablab)
    printer = make_resource(kind=ResourceKind.MACHINE, parent=fablab)
    attempt(make_member(), laser, facility, at(0), at(1))
    assert attempt(make_member(), printer, facility, at(0), at(1)).bookings  # siblings: fine
    with pytest.raises(Conflict):
        attempt(make_member(), fablab, facility, at(0.5), at(2))
    attempt(make_member(), fablab, facility, at(3), at(5))
    with pytest.raises(Conflict):
        attempt(make_member(), laser, facility, at(4), at(4.5))


def test_notice_refuses_late_changes_but_managers_may_override(
    member, make_member, make_resource, facility, db_session
):
    room = make_resource(change_notice_minutes=24 * 60)
    booking = attempt(member, room, facility, at(0), at(1)).bookings[0]
    late = at(-10)
    with pytest.raises(RuleViolation) as caught:
        cancel_booking(booking, actor=member, now=late, facility=facility)
    assert caught.value.rule == "change_notice"
    manager = make_member(role="manager")
    cancel_booking(booking, actor=manager, now=late, override_notice=True, facility=facility)
    assert booking.status == BookingStatus.CANCELLED
    assert booking.late_change is True


def test_every_change_bumps_sequence_and_updated_at(member, make_resource, facility):
    room = make_resource()
    booking = attempt(member, room, facility, at(0), at(1)).bookings[0]
    before = (booking.sequence, booking.updated_at)
    later = NOW + dt.timedelta(minutes=5)
    move_booking(booking, actor=member, start=at(2), end=at(3), now=later, facility=facility)
    assert booking.sequence == before[0] + 1
    assert booking.updated_at == later
    cancel_booking(booking, actor=member, now=later + dt.timedelta(minutes=1), facility=facility)
    assert booking.sequence == before[0] + 2


def test_quota_refuses_with_what_is_left(make_member, make_tenant, make_resource, facility):
    tenant = make_tenant(quota_hours={"room": 3})
    member = make_member(tenant=tenant)
    room = make_resource()
    attempt(member, room, facility, at(0), at(2))
    with pytest.raises(RuleViolation) as caught:
        attempt(member, room, facility, at(3), at(5))
    assert caught.value.rule == "quota_exceeded"
    assert caught.value.params["left"] == Decimal("1.00")
    assert attempt(member, room, facility, at(3), at(4)).bookings


def test_quota_allows_overage_when_the_plan_does(make_member, make_tenant, make_resource, facility):
    tenant = make_tenant(quota_hours={"room": 1}, allow_overage=True)
    member = make_member(tenant=tenant)
    assert attempt(member, make_resource(), facility, at(0), at(3)).bookings


def test_quota_counts_per_kind_and_per_local_month(
    make_member, make_tenant, make_resource, facility
):
    tenant = make_tenant(quota_hours={"room": 2, "kitchen": 0})
    member = make_member(tenant=tenant)
    with pytest.raises(RuleViolation):
        attempt(member, make_resource(kind=ResourceKind.KITCHEN), facility, at(0), at(1))
    room = make_resource()
    attempt(member, room, facility, at(0), at(2))
    # January in Brussels starts at 23:00 UTC on 31 December
    january = dt.datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
    assert attempt(member, room, facility, january, january + dt.timedelta(hours=2)).bookings


def test_staff_bookings_for_the_incubator_use_no_quota(make_member, make_resource, facility):
    manager = make_member(role="manager")
    booking = attempt(manager, make_resource(), facility, at(0), at(8)).bookings[0]
    assert booking.tenant_id is None


def test_members_cannot_book_for_others(make_member, make_resource, facility):
    member = make_member()
    colleague = make_member(tenant=member.tenant)
    from app.services.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        attempt(member, make_resource(), facility, at(0), at(1), booked_for=colleague)


def test_tenant_admins_book_for_their_own_members_only(make_member, make_resource, facility):
    admin = make_member(role="tenant_admin")
    colleague = make_member(tenant=admin.tenant)
    stranger = make_member()
    booking = attempt(
        admin, make_resource(), facility, at(0), at(1), booked_for=colleague
    ).bookings[0]
    assert booking.booked_for_id == colleague.id
    from app.services.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        attempt(admin, make_resource(), facility, at(0), at(1), booked_for=stranger)


def test_a_new_title_alone_is_no_move_and_no_rule_of_the_slot_refuses_it(
    member, make_resource, facility, db_session
):
    resource = make_resource(change_notice_minutes=48 * 60)  # inside the notice period
    booking = attempt(member, resource, facility, at(0), at(1), title="Draft").bookings[0]
    db_session.commit()
    resource.status = ResourceStatus.MAINTENANCE
    db_session.commit()
    sequence = booking.sequence
    renamed = move_booking(
        booking, actor=member, start=at(0), end=at(1), title="Final", now=NOW, facility=facility
    )
    assert renamed == [booking]
    assert (booking.title, booking.start, booking.end) == ("Final", at(0), at(1))
    assert (booking.sequence, booking.late_change) == (sequence + 1, False)
    with pytest.raises(RuleViolation) as caught:
        move_booking(booking, actor=member, start=at(1), end=at(2), now=NOW, facility=facility)
    assert caught.value.rule == "change_notice"


def test_billable_hours_clip_to_the_local_month_and_round_each_booking(
    member, make_resource, facility, db_session
):
    """The database adds up what `_hours` would add up booking by booking."""
    room = make_resource(slot_minutes=10, min_minutes=10)
    walk_in = make_resource(kind=ResourceKind.MACHINE)
    gated = make_resource(kind=ResourceKind.MACHINE, booking_required_for_use=True)
    twenty = dt.timedelta(minutes=20)
    for h in (0, 1, 2):  # 0.33 h each: 0.99 h, not 1.00 h
        attempt(member, room, facility, at(h), at(h) + twenty)
    new_year = dt.datetime(2026, 12, 31, 23, 0, tzinfo=UTC)  # midnight in Brussels
    hour = dt.timedelta(hours=1)
    attempt(member, room, facility, new_year - hour, new_year + 2 * hour)  # 1 h in December
    late, early = (attempt(member, room, facility, at(h), at(h + 1)).bookings[0] for h in (3, 5))
    for booking, was_late in ((late, True), (early, False)):
        booking.status, booking.late_change, booking.claims = BookingStatus.CANCELLED, was_late, []
    attempt(member, walk_in, facility, at(0), at(1))
    attempt(member, gated, facility, at(0), at(1))
    db_session.commit()
    december = dt.datetime(2026, 11, 30, 23, 0, tzinfo=UTC)

    def hours(kind, start, end, **options):
        tenant = member.tenant_id
        return billable_hours(tenant_id=tenant, kind=kind, start=start, end=end, **options)

    assert hours(ResourceKind.ROOM, december, new_year) == Decimal("2.99")
    assert hours(ResourceKind.ROOM, new_year, new_year + dt.timedelta(days=31)) == Decimal("2.00")
    assert hours(ResourceKind.MACHINE, december, new_year) == Decimal("1.00")
    without_late = frozenset({late.id})
    assert hours(ResourceKind.ROOM, december, new_year, exclude_booking_ids=without_late) == (
        Decimal("1.99")
    )


def test_no_booking_outlasts_what_the_quota_sum_reads_ahead():
    """The quota sum reads bookings ending within `LONGEST_BOOKING` after a month: the
    longest booking a resource can allow must fit."""
    from app.services.bookings.quota import LONGEST_BOOKING
    from app.services.resources import FIELDS

    longest = int(LONGEST_BOOKING.total_seconds() // 60)
    assert FIELDS["max_minutes"](longest)[1] is None
    assert FIELDS["max_minutes"](longest + 1)[1] is not None


def test_no_claim_outlasts_what_the_conflict_check_reads_ahead():
    """The conflict check reads claims ending within `LONGEST_CLAIM` after the slot: the
    longest booking with the widest buffers must fit."""
    from app.services.bookings.claims import LONGEST_CLAIM
    from app.services.resources import FIELDS

    day = 24 * 60
    for field in ("buffer_before_minutes", "buffer_after_minutes"):
        assert FIELDS[field](day)[1] is None
        assert FIELDS[field](day + 1)[1] is not None
    longest = 14 * day + 2 * day  # `max_minutes` is capped at 14 days (the test above)
    assert dt.timedelta(minutes=longest) <= LONGEST_CLAIM
