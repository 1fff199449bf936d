"""Demo data: tenants from several sectors, people in every role, the shared facilities."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models import Member, Resource, Role

from .accounts import MailContext
from .badges import assign_badge
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
]

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
        },
    ),
]

QUALIFICATIONS = [
    ("bram@houtatelier.example.org", "laser-cutter"),
    ("bram@houtatelier.example.org", "cnc-router"),
    ("dries@studiokleur.example.org", "laser-cutter"),
    ("farid@pixelsmid.example.org", "printer-1"),
    ("farid@pixelsmid.example.org", "printer-2"),
]


def seed(*, password: str, now: dt.datetime) -> bool:
    """Create the demo data once. Returns False when it is already there."""
    if db.session.scalar(select(Member.id).where(Member.email == MANAGER_EMAIL)):
        return False
    mail = MailContext(public_url="http://127.0.0.1:5000", site_name="Makers Incubator")
    get_site_settings()
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
    return True


DEMO_LOGINS = [(MANAGER_EMAIL, "manager")] + [(p[0], p[2].value) for p in PEOPLE[:4]]
