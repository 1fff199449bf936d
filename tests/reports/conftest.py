"""Fixtures for the usage reports: two companies with a sector (their people come from
tests/conftest.py), a Fablab with machines, and builders that write bookings, sessions
and door entries as they are stored."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from tests.e2e.conftest import browser, live_server, page  # noqa: F401 - the browser tests'
from tests.reports.reports_support import ALWAYS_OPEN, BRUSSELS
from tests.reports.totals_support import rolled, site  # noqa: F401 - the totals tests'


@pytest.fixture
def tenant_a(make_tenant):  # type: ignore[no-untyped-def]
    from app.models import Sector

    return make_tenant(name="Atelier Alfa", slug="alfa", sector=Sector.CREATIVE)


@pytest.fixture
def tenant_b(make_tenant):  # type: ignore[no-untyped-def]
    from app.models import Sector

    return make_tenant(name="Brouwerij Bravo", slug="bravo", sector=Sector.TRADITIONAL)


@pytest.fixture
def fablab(make_resource):  # type: ignore[no-untyped-def]
    return make_resource(slug="fablab", name="Fablab", opening_hours=ALWAYS_OPEN)


@pytest.fixture
def laser(make_resource, fablab):  # type: ignore[no-untyped-def]
    """Used only during a booking of the company; billed by booking; a device guards it."""
    from app.models import ResourceKind

    return make_resource(
        slug="laser",
        name="Laser cutter",
        kind=ResourceKind.MACHINE,
        parent=fablab,
        booking_required_for_use=True,
        checkin_required=True,
    )


@pytest.fixture
def printer(make_resource, fablab):  # type: ignore[no-untyped-def]
    """Walk-in: billed by its sessions."""
    from app.models import ResourceKind

    return make_resource(
        slug="printer", name="3D printer", kind=ResourceKind.MACHINE, parent=fablab
    )


@pytest.fixture
def room(make_resource):  # type: ignore[no-untyped-def]
    return make_resource(slug="room", name="Multipurpose room", opening_hours=ALWAYS_OPEN)


@pytest.fixture
def make_device(db_session):  # type: ignore[no-untyped-def]
    from app.models import Device, DeviceKind

    def build(device_id: str, kind: str, resource: Any = None) -> Any:
        device = Device(id=device_id, kind=DeviceKind(kind), resource=resource)
        db_session.add(device)
        db_session.commit()
        return device

    return build


@pytest.fixture
def machines(make_device, laser, printer):  # type: ignore[no-untyped-def]
    """A machine device on the laser and one on the printer: their sessions are measured."""
    return make_device("laser-pi", "machine", laser), make_device("printer-pi", "machine", printer)


@pytest.fixture
def make_booking(db_session):  # type: ignore[no-untyped-def]
    """A booking row as the booking services leave it (no rules: the fixture is the data)."""
    from app.models import Booking, BookingStatus

    def build(
        resource: Any,
        member: Any,
        start: dt.datetime,
        end: dt.datetime,
        *,
        status: str = "confirmed",
        tenant: Any = "member",
        late_change: bool = False,
    ) -> Any:
        booking = Booking(
            resource=resource,
            tenant=member.tenant if tenant == "member" else tenant,
            booked_by=member,
            booked_for=member,
            start=start,
            end=end,
            status=BookingStatus(status),
            late_change=late_change,
        )
        db_session.add(booking)
        db_session.commit()
        return booking

    return build


@pytest.fixture
def make_session(db_session):  # type: ignore[no-untyped-def]
    """A usage session as the gateway stores it; `end=None` leaves it running."""
    from app.models import UsageSession

    def build(
        resource: Any,
        member: Any,
        start: dt.datetime,
        end: dt.datetime | None,
        *,
        busy_s: int = 0,
        idle_s: int = 0,
        device: str = "laser-pi",
    ) -> Any:
        session = UsageSession(
            session_id=str(uuid.uuid4()),
            device_id=device,
            boot="0badc0de",
            resource_id=resource.id,
            member_id=member.id,
            tenant_id=member.tenant_id,
            started_at=start,
            ended_at=end,
            last_event_at=end or start,
            busy_s=busy_s,
            idle_s=idle_s,
        )
        db_session.add(session)
        db_session.commit()
        return session

    return build


@pytest.fixture
def make_entry(db_session):  # type: ignore[no-untyped-def]
    """A door decision as the gateway stores it."""
    from app.models import AccessEvent

    def build(device: Any, member: Any, at: dt.datetime, *, granted: bool = True) -> Any:
        event = AccessEvent(
            event_id=str(uuid.uuid4()),
            device_id=device.id,
            type="access.decision",
            boot="0badc0de",
            seq=1,
            member_id=member.id,
            tenant_id=member.tenant_id,
            resource_id=device.resource_id,
            granted=granted,
            device_time=at,
            received_at=at,
        )
        db_session.add(event)
        db_session.commit()
        return event

    return build


@pytest.fixture(params=["sources", "totals"])
def report(request, db_session):  # type: ignore[no-untyped-def]
    """`report(actor, first, last, group_by, now=...)`: the usage report service's answer.

    Twice: straight from the source rows, and with the days before `now` read from the
    stored totals the jobs runner writes (each hand-computed figure must hold both ways).
    """
    from app.services.reports.periods import Period
    from app.services.reports.totals import roll_up
    from app.services.reports.usage import usage_report

    def run(
        actor: Any,
        first: dt.date,
        last: dt.date,
        group_by: str = "tenant",
        *,
        now: dt.datetime | None = None,
        tenant_id: int | None = None,
    ) -> Any:
        period = Period(first, last, BRUSSELS)
        now = now or dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
        written = 0
        if request.param == "totals":
            written_until = min(now, period.end + dt.timedelta(days=1))
            roll_up(now=written_until, zone=BRUSSELS)  # the first pass sets the horizon
            written = roll_up(now=written_until, zone=BRUSSELS).written_days
        result = usage_report(
            actor,
            period=period,
            group_by=group_by,
            now=now,
            building_hours=ALWAYS_OPEN,
            tenant_id=tenant_id,
            use_totals=request.param == "totals",
        )
        if written and group_by != "member":
            assert result.stored_days > 0, "the totals were not read"
        return result

    return run
