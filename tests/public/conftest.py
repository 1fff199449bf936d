"""A building with distinctive, private names: the public report must show none of them."""

from __future__ import annotations

from typing import Any

import pytest

# The browser tests (test_public_browser.py) use the end-to-end server and Chromium.
from tests.e2e.conftest import browser, live_server  # noqa: F401


@pytest.fixture(autouse=True)
def _fresh_cache():  # type: ignore[no-untyped-def]
    """The report's in-process cache outlives a test; each test starts without it."""
    from app.services.public_report import CACHE

    CACHE.clear()
    yield
    CACHE.clear()


@pytest.fixture
def building(make_resource) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from app.models import ResourceKind

    fablab = make_resource(slug="fablab", name="Fablab")
    machines = [
        make_resource(slug=slug, name=name, kind=ResourceKind.MACHINE, parent=fablab)
        for slug, name in (
            ("laser", "Laser cutter"),
            ("cnc", "CNC router"),
            ("printer", "3D printer"),
        )
    ]
    kitchen = make_resource(slug="kitchen", name="Kitchen", kind=ResourceKind.KITCHEN)
    room = make_resource(slug="room", name="Multipurpose room")
    return {"fablab": fablab, "machines": machines, "kitchen": kitchen, "room": room}


@pytest.fixture
def companies(make_tenant, make_member) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Four creative, three traditional and one tech company (tech is too small to name),
    one of them opted in to be named; each with one person of distinctive name and e-mail."""
    from app.models import Sector

    specs = [
        ("Quixotic Pottery Secret", "quixotic-pottery", Sector.CREATIVE, False),
        ("Zebrawood Film Hidden", "zebrawood-film", Sector.CREATIVE, False),
        ("Vermilion Sound Private", "vermilion-sound", Sector.CREATIVE, False),
        ("Open Studio Named", "open-studio", Sector.CREATIVE, True),
        ("Ironclad Welding Secret", "ironclad-welding", Sector.TRADITIONAL, False),
        ("Oakheart Joinery Hidden", "oakheart-joinery", Sector.TRADITIONAL, False),
        ("Brassworks Private", "brassworks", Sector.TRADITIONAL, False),
        ("Lonely Robotics Secret", "lonely-robotics", Sector.TECH, False),
    ]
    out: dict[str, Any] = {}
    for i, (name, slug, sector, opt_in) in enumerate(specs):
        tenant = make_tenant(name=name, slug=slug, sector=sector, public_opt_in=opt_in)
        person = make_member(
            tenant=tenant,
            name=f"Xanthippe Quillfeather{i}",
            email=f"xanthippe.quill{i}@hush.example.org",
        )
        out[slug] = person
    return out


PRIVATE_WORDS = (
    "Quixotic",
    "Zebrawood",
    "Vermilion",
    "Ironclad",
    "Oakheart",
    "Brassworks",
    "Lonely Robotics",
    "quixotic-pottery",
    "lonely-robotics",
    "Xanthippe",
    "Quillfeather",
    "hush.example.org",
    "Secret launch party",
)
