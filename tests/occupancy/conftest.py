"""A Fablab with two machines, a room, and two companies for the occupancy tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def fablab(make_resource):  # type: ignore[no-untyped-def]
    return make_resource(slug="fablab", name="Fablab")


@pytest.fixture
def laser(make_resource, fablab):  # type: ignore[no-untyped-def]
    from app.models import ResourceKind

    return make_resource(
        slug="laser", name="Laser cutter", kind=ResourceKind.MACHINE, parent=fablab
    )


@pytest.fixture
def cnc(make_resource, fablab):  # type: ignore[no-untyped-def]
    from app.models import ResourceKind

    return make_resource(slug="cnc", name="CNC router", kind=ResourceKind.MACHINE, parent=fablab)


@pytest.fixture
def room(make_resource):  # type: ignore[no-untyped-def]
    return make_resource(slug="room", name="Multipurpose room")
