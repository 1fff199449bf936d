"""Demo data: tenants from several sectors, people in every role, the shared facilities.

`seed` fills an empty database once. `incubator demo` then calls, at every start,
`ensure_demo_devices` (the four simulated Pis, with fresh passwords) and
`ensure_demo_bookings` (bookings around "now", so the laser cutter and the
multipurpose room's door have something to grant). `DEMO_BADGES` says which
badge shows what, for the banner and the simulator page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AccessEvent,
    Booking,
    BookingStatus,
    Device,
    DeviceOutbox,
    Member,
    OutboxKind,
    Resource,
    Role,
)
from app.models.site import WEEKDAYS

from .accounts import MailContext
from .badges import assign_badge, revoke_badge
from .bookings.lifecycle import Facility, create_booking
from .demo_history import seed_history
from .devices import Credentials, register_device, rotate_credentials
from .errors import N_, DomainError, PermissionDenied
from .members import create_member
from .qualifications import grant_qualification
from .resources import create_resource
from .site import get_site_settings
from .system_actor import system_manager
from .tenants import create_tenant

MANAGER_EMAIL = "manager@example.org"

TENANTS = [
    ("Houtatelier Van Damme", "houtatelier", "traditional"),
    ("Bakkerij De Molen", "bakkerij-de-molen", "traditional"),
    ("Studio Kleur", "studio-kleur", "creative"),
    ("Theatercollectief Vonk", "vonk", "creative"),
    ("Pixelsmid", "pixelsmid", "tech"),
    ("Ontwerplab Hogeschool", "ontwerplab", "knowledge"),
    ("Smederij Aerts", "smederij-aerts", "traditional"),
    ("Fotostudio Licht", "fotostudio-licht", "creative"),
]
#: companies that agreed to be named on the public report
PUBLIC_OPT_IN = {"houtatelier", "pixelsmid"}

# (email, name, role, tenant slug, badge uid, locale)
PEOPLE = [
    (
        "an@houtatelier.example.org",
        "An Van Damme",
        Role.TENANT_ADMIN,
        "houtatelier",
        "04A1B2C3D4E501",
        "nl",
    ),
    (
        "bram@houtatelier.example.org",
        "Bram Peeters",
        Role.MEMBER,
        "houtatelier",
        "04A1B2C3D4E502",
        "nl",
    ),
    (
        "chloe@studiokleur.example.org",
        "Chloé Dubois",
        Role.TENANT_ADMIN,
        "studio-kleur",
        "04A1B2C3D4E503",
        "en",
    ),
    (
        "dries@studiokleur.example.org",
        "Dries Maes",
        Role.MEMBER,
        "studio-kleur",
        "04A1B2C3D4E504",
        "nl",
    ),
    (
        "emma@pixelsmid.example.org",
        "Emma Claes",
        Role.TENANT_ADMIN,
        "pixelsmid",
        "04A1B2C3D4E505",
        "en",
    ),
    (
        "farid@pixelsmid.example.org",
        "Farid El Amrani",
        Role.MEMBER,
        "pixelsmid",
        "04A1B2C3D4E506",
        "nl",
    ),
    (
        "greet@demolen.example.org",
        "Greet Janssens",
        Role.TENANT_ADMIN,
        "bakkerij-de-molen",
        "04A1B2C3D4E507",
        "nl",
    ),
    ("hanne@vonk.example.org", "Hanne Wouters", Role.TENANT_ADMIN, "vonk", "04A1B2C3D4E508", "nl"),
    (
        "ines@ontwerplab.example.org",
        "Ines Goossens",
        Role.TENANT_ADMIN,
        "ontwerplab",
        "04A1B2C3D4E509",
        "en",
    ),
    (
        "jonas@smederij.example.org",
        "Jonas Aerts",
        Role.TENANT_ADMIN,
        "smederij-aerts",
        "04A1B2C3D4E50A",
        "nl",
    ),
    (
        "lotte@fotostudiolicht.example.org",
        "Lotte Mertens",
        Role.TENANT_ADMIN,
        "fotostudio-licht",
        "04A1B2C3D4E50B",
        "en",
    ),
]

# slug, parent, name, values
RESOURCES: list[tuple[str, str | None, dict[str, object]]] = [
    (
        "fablab",
        None,
        {
            "name": "Fablab",
            "kind": "room",
            "privacy": "company",
            "description": "The shared workshop with its machines.",
        },
    ),
    (
        "laser-cutter",
        "fablab",
        {
            "name": "Laser cutter",
            "kind": "machine",
            "training_required": True,
            "booking_required_for_use": True,
            "buffer_after_minutes": 15,
            "hourly_rate": Decimal("25.00"),
            "max_minutes": 240,
            "qualification_valid_days": 180,
        },
    ),
    (
        "cnc-router",
        "fablab",
        {
            "name": "CNC router",
            "kind": "machine",
            "training_required": True,
            "booking_required_for_use": True,
            "hourly_rate": Decimal("30.00"),
            "max_minutes": 240,
        },
    ),
    (
        "printer-1",
        "fablab",
        {
            "name": "3D printer 1",
            "kind": "machine",
            "training_required": True,
            "hourly_rate": Decimal("4.00"),
            "max_minutes": 1440,
        },
    ),
    (
        "printer-2",
        "fablab",
        {
            "name": "3D printer 2",
            "kind": "machine",
            "training_required": True,
            "hourly_rate": Decimal("4.00"),
            "max_minutes": 1440,
        },
    ),
    (
        "kitchen",
        None,
        {
            "name": "Kitchen",
            "kind": "kitchen",
            "buffer_after_minutes": 30,
            "hourly_rate": Decimal("15.00"),
            "privacy": "company",
        },
    ),
    (
        "multipurpose-room",
        None,
        {
            "name": "Multipurpose room",
            "kind": "room",
            "approval_required": True,
            "privacy": "company",
            "hourly_rate": Decimal("20.00"),
            "checkin_required": True,
            # the demo's booking may have begun up to half an hour before the demo starts
            "checkin_window_minutes": 60,
        },
    ),
]

QUALIFICATIONS = [
    ("bram@houtatelier.example.org", "laser-cutter"),
    ("bram@houtatelier.example.org", "cnc-router"),
    ("dries@studiokleur.example.org", "laser-cutter"),
    ("farid@pixelsmid.example.org", "printer-1"),
    ("farid@pixelsmid.example.org", "printer-2"),
    ("jonas@smederij.example.org", "laser-cutter"),
    ("jonas@smederij.example.org", "cnc-router"),
    ("ines@ontwerplab.example.org", "laser-cutter"),
    ("ines@ontwerplab.example.org", "printer-1"),
    ("emma@pixelsmid.example.org", "printer-1"),
]


# The building is open around the clock in the demo, so the doors answer at any hour.
ALWAYS_OPEN = {day: [["00:00", "24:00"]] for day in WEEKDAYS}
MANAGER_BADGE = "04A1B2C3D4E500"
#: Dries lost his first card; it stays on record, revoked
REVOKED_BADGE = ("dries@studiokleur.example.org", "04A1B2C3D4E5F0")
UNKNOWN_BADGE = "04DEADBEEF0001"

# id, kind, resource slug (None: the building's entrance), label
DEVICES: list[tuple[str, str, str | None, str]] = [
    ("main-entrance", "door", None, "Main entrance"),
    ("room-door", "door", "multipurpose-room", "Multipurpose room door"),
    ("laser-cutter", "machine", "laser-cutter", "Laser cutter"),
    ("printer-1", "machine", "printer-1", "3D printer 1"),
]

# resource slug, booked for (their company books), title
BOOKINGS = [
    ("laser-cutter", "bram@houtatelier.example.org", "Cutting drawer fronts"),
    ("multipurpose-room", "dries@studiokleur.example.org", "Portfolio review"),
]
BOOKING_HOURS = 3


@dataclass(frozen=True)
class DemoBadge:
    """A badge to scan in the demo and what it shows (notes are translatable msgids)."""

    uid: str
    holder: str
    note: str


DEMO_BADGES = [
    DemoBadge(
        "04A1B2C3D4E502",
        "Bram Peeters (Houtatelier)",
        N_(
            "Main entrance: granted. Laser cutter: trained and his company booked it now: "
            "granted, a session starts; scan again to end it."
        ),
    ),
    DemoBadge(
        "04A1B2C3D4E504",
        "Dries Maes (Studio Kleur)",
        N_(
            "Laser cutter: trained, but another company has booked it: refused (no booking). "
            "Multipurpose room door: his company booked the room now: granted, and checked in."
        ),
    ),
    DemoBadge(
        "04A1B2C3D4E506",
        "Farid El Amrani (Pixelsmid)",
        N_(
            "Laser cutter: refused (no valid training). 3D printer 1: trained, no booking "
            "needed: granted."
        ),
    ),
    DemoBadge(MANAGER_BADGE, "Mieke Manager", N_("Staff: granted at every door and machine.")),
    DemoBadge(
        REVOKED_BADGE[1],
        "Dries Maes (lost card)",
        N_("Revoked: refused everywhere (badge revoked)."),
    ),
    DemoBadge(UNKNOWN_BADGE, "-", N_("Nobody's badge: refused (unknown badge).")),
]


def seed(*, password: str, now: dt.datetime) -> bool:
    """Create the demo data once. Returns False when it is already there."""
    if db.session.scalar(select(Member.id).where(Member.email == MANAGER_EMAIL)):
        return False
    mail = MailContext(public_url="http://127.0.0.1:5000", site_name="Makers Incubator")
    get_site_settings().building_hours = ALWAYS_OPEN
    manager = create_member(
        actor=system_manager(),
        email=MANAGER_EMAIL,
        name="Mieke Manager",
        role="manager",
        tenant_id=None,
        password=password,
        locale="nl",
        mail_context=mail,
        now=now,
    )
    tenants = {
        slug: create_tenant(
            actor=manager,
            name=name,
            slug=slug,
            sector=sector,
            contract_start=now.date() - dt.timedelta(days=200),
            public_opt_in=slug in PUBLIC_OPT_IN,
        )
        for name, slug, sector in TENANTS
    }
    people: dict[str, Member] = {}
    for email, name, role, tenant_slug, uid, locale in PEOPLE:
        member = create_member(
            actor=manager,
            email=email,
            name=name,
            role=role.value,
            tenant_id=tenants[tenant_slug].id,
            password=password,
            locale=locale,
            mail_context=mail,
            now=now,
        )
        assign_badge(actor=manager, member=member, uid=uid, label="card", now=now)
        people[email] = member
    resources: dict[str, Resource] = {}
    for slug, parent, values in RESOURCES:
        resources[slug] = create_resource(actor=manager, slug=slug, parent=parent, values=values)
    for email, slug in QUALIFICATIONS:
        grant_qualification(
            actor=manager,
            member=people[email],
            resource=resources[slug],
            expires_at=now + dt.timedelta(days=365),
            now=now,
        )
    assign_badge(actor=manager, member=manager, uid=MANAGER_BADGE, label="staff card", now=now)
    email, uid = REVOKED_BADGE
    lost = assign_badge(actor=manager, member=people[email], uid=uid, label="lost card", now=now)
    revoke_badge(lost, actor=manager, now=now)
    # ten weeks of past bookings, sessions and door entries for the reports and heatmaps
    seed_history(now=now, people=people, resources=resources)
    return True


def demo_manager() -> Member:
    manager = db.session.scalar(select(Member).where(Member.email == MANAGER_EMAIL))
    if manager is None:
        raise LookupError("no demo data: run seed() first")
    return manager


def ensure_demo_devices(
    *, now: dt.datetime, sealing_key: str, reserved_ids: Iterable[str] = ()
) -> dict[str, Credentials]:
    """Register the simulated Pis, or give the registered ones a new password.

    Every start makes new passwords, so the broker's accounts (made by the
    gateway from the ``account`` outbox rows) and the bridge configs the demo
    writes always agree, whatever state a previous run left. A demo device a
    manager deleted stays deleted and is not started.
    """
    manager = demo_manager()
    found: dict[str, Credentials] = {}
    for device_id, kind, slug, label in DEVICES:
        device = db.session.get(Device, device_id)
        if device is None:
            found[device_id] = register_device(
                actor=manager,
                id=device_id,
                kind=kind,
                resource_slug=slug,
                label=label,
                now=now,
                sealing_key=sealing_key,
                reserved_ids=reserved_ids,
            )
        elif device.active:
            found[device_id] = rotate_credentials(
                device, actor=manager, now=now, sealing_key=sealing_key
            )
    return found


def settle_account_rows(device_ids: Iterable[str], *, now: dt.datetime) -> int:
    """Mark the devices' pending ``account`` rows done, sealed passwords wiped.

    For the demo's embedded broker, which has no dynamic-security plugin: the
    demo hands it the passwords itself, so the rows would otherwise wait forever.
    """
    rows = db.session.scalars(
        select(DeviceOutbox).where(
            DeviceOutbox.kind == OutboxKind.ACCOUNT,
            DeviceOutbox.done_at.is_(None),
            DeviceOutbox.device_id.in_(list(device_ids)),
        )
    )
    count = 0
    for row in rows:
        row.done_at, row.secret, row.last_error = now, None, "applied by the demo's own broker"
        count += 1
    return count


def _booking_window(
    resource: Resource, now: dt.datetime, zone: ZoneInfo
) -> tuple[dt.datetime, dt.datetime]:
    """From the slot that holds `now` for up to BOOKING_HOURS, ending by local midnight."""
    local = now.astimezone(zone)
    step = max(1, resource.slot_minutes)
    minutes = (local.hour * 60 + local.minute) // step * step
    start = local.replace(hour=minutes // 60, minute=minutes % 60, second=0, microsecond=0)
    midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    length = min(dt.timedelta(hours=BOOKING_HOURS), dt.timedelta(minutes=resource.max_minutes))
    end = min(start + length, midnight)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def ensure_demo_bookings(*, now: dt.datetime, facility: Facility) -> list[str]:
    """Book the laser cutter and the multipurpose room for their companies around `now`.

    A booking of that company covering `now` is kept. Returns a line per booking
    that could not be made (another booking in the way, a closure, ...).
    """
    manager = demo_manager()
    problems: list[str] = []
    for slug, email, title in BOOKINGS:
        resource = db.session.scalar(select(Resource).where(Resource.slug == slug))
        member = db.session.scalar(select(Member).where(Member.email == email))
        if resource is None or member is None:
            continue
        covering = db.session.scalar(
            select(Booking.id).where(
                Booking.resource_id == resource.id,
                Booking.tenant_id == member.tenant_id,
                Booking.status == BookingStatus.CONFIRMED,
                Booking.start <= now,
                Booking.end > now,
            )
        )
        if covering is not None:
            continue
        start, end = _booking_window(resource, now, facility.zone)
        savepoint = db.session.begin_nested()
        try:
            # booked "at" its start, as if a little ahead: the rules refuse the past
            create_booking(
                actor=manager,
                resource=resource,
                start=start,
                end=end,
                title=title,
                booked_for=member,
                now=start,
                facility=facility,
            )
            savepoint.commit()
        except DomainError as exc:
            savepoint.rollback()
            problems.append(f"{resource.name}: {exc}")
    return problems


DEMO_LOGINS = [(MANAGER_EMAIL, "manager")] + [(p[0], p[2].value) for p in PEOPLE[:4]]


# -- the simulator page ---------------------------------------------------------------------


def simulated_devices(actor: Member) -> list[Device]:
    """The demo's active Pis (the ones `incubator demo` runs), in the banner's order."""
    if not actor.is_manager:
        raise PermissionDenied(N_("Only managers can do this."))
    order = [device_id for device_id, *_rest in DEVICES]
    found = db.session.scalars(
        select(Device).where(Device.id.in_(order), Device.active.is_(True))
    ).all()
    return sorted(found, key=lambda device: order.index(device.id))


def latest_event_id(device_id: str) -> int:
    """The id of the device's newest stored event (0: none yet)."""
    return int(
        db.session.scalar(
            select(func.max(AccessEvent.id)).where(AccessEvent.device_id == device_id)
        )
        or 0
    )


#: what answers a scan: a decision, or the end of a session (a badge out decides nothing)
ANSWER_TYPES = ("access.decision", "session.end")


def answer_after(device_id: str, after_id: int) -> AccessEvent | None:
    """The device's first decision or session end stored after event `after_id`, if any yet."""
    return db.session.scalar(
        select(AccessEvent)
        .where(
            AccessEvent.device_id == device_id,
            AccessEvent.id > after_id,
            AccessEvent.type.in_(ANSWER_TYPES),
        )
        .order_by(AccessEvent.id)
        .limit(1)
    )
