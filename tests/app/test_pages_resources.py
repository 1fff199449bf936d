"""The resources pages: everyone reads them, managers add and change them."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.models import AuditLog, Resource, ResourceKind, ResourceStatus
from tests.app.page_inputs import ESCAPED_SCRIPT, INVISIBLE, SCRIPT, SQL, TOO_LONG, UNICODE

pytestmark = pytest.mark.db

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _form(**overrides):
    data = {
        "name": "Laser cutter",
        "slug": "laser-cutter",
        "kind": "machine",
        "parent": "",
        "description": "",
        "status": "available",
        "privacy": "company",
        "bookable": "y",
        "training_required": "y",
        "min_minutes": "30",
        "max_minutes": "240",
        "slot_minutes": "15",
        "lead_minutes": "0",
        "horizon_days": "60",
        "change_notice_minutes": "120",
        "buffer_before_minutes": "0",
        "buffer_after_minutes": "15",
        "checkin_window_minutes": "15",
        "hourly_rate": "25,50",
        "qualification_valid_days": "180",
        **{f"hours_{day}": "" for day in DAYS},
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _stored(db_session, slug="laser-cutter"):
    db_session.expire_all()
    return db_session.scalar(select(Resource).where(Resource.slug == slug))


# -- reading -----------------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "tenant_admin", "member"])
def test_everyone_sees_the_fablab_with_its_machines_nested(
    sign_in, make_member, make_resource, role
):
    fablab = make_resource(slug="fablab", name="Fablab")
    make_resource(slug="laser", name="Laser cutter", kind=ResourceKind.MACHINE, parent=fablab)
    make_resource(slug="kitchen", name="Kitchen", kind=ResourceKind.KITCHEN)
    response = sign_in(make_member(role=role)).get("/resources/")
    assert response.status_code == 200
    page = response.data.decode()
    assert page.index("Fablab") < page.index('class="child"') < page.index("Laser cutter")
    assert "Kitchen" in page


@pytest.mark.parametrize("role", ["manager", "tenant_admin", "member"])
def test_everyone_sees_a_resources_detail_page(sign_in, make_member, make_resource, role):
    make_resource(
        slug="kitchen",
        name="Kitchen",
        kind=ResourceKind.KITCHEN,
        opening_hours={"mon": [["08:00", "12:00"], ["13:00", "17:00"]]},
    )
    response = sign_in(make_member(role=role)).get("/resources/kitchen")
    assert response.status_code == 200
    assert "08:00\u201312:00, 13:00\u201317:00".encode() in response.data  # en dashes
    assert (b"/resources/kitchen/edit" in response.data) == (role == "manager")


def test_a_resource_without_hours_follows_the_building(sign_in, make_member, make_resource):
    make_resource(slug="room", name="Room")
    response = sign_in(make_member()).get("/resources/room")
    assert b"s hours apply." in response.data


def test_members_do_not_see_deactivated_resources(sign_in, make_member, make_resource):
    make_resource(slug="old-room", name="Old room", active=False)
    client = sign_in(make_member())
    assert b"Old room" not in client.get("/resources/").data
    assert client.get("/resources/old-room").status_code == 404


def test_managers_see_deactivated_resources_on_request(sign_in, make_member, make_resource):
    make_resource(slug="old-room", name="Old room", active=False)
    client = sign_in(make_member(role="manager"))
    assert b"Old room" not in client.get("/resources/").data
    assert b"Old room" in client.get("/resources/?all=1").data
    assert client.get("/resources/old-room").status_code == 200


@pytest.mark.parametrize("slug", ["nope", "%00", "Bad%20Slug", "a" * 200, "%E2%80%8Broom"])
def test_an_unknown_or_malformed_short_name_is_404(sign_in, make_member, make_resource, slug):
    make_resource(slug="room")
    assert sign_in(make_member()).get(f"/resources/{slug}").status_code == 404


@pytest.mark.parametrize("role", ["tenant_admin", "member"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/resources/new"),
        ("post", "/resources/new"),
        ("get", "/resources/room/edit"),
        ("post", "/resources/room/edit"),
        ("post", "/resources/room/deactivate"),
        ("post", "/resources/room/reactivate"),
    ],
)
def test_only_managers_change_resources(
    sign_in, make_member, make_resource, db_session, count, role, method, path
):
    room = make_resource(slug="room", name="Room")
    client = sign_in(make_member(role=role))
    before = (count(Resource), count(AuditLog))
    data = _form(slug="hijack", name="Hijacked")
    response = getattr(client, method)(path, data=data)
    assert response.status_code == 403
    assert (count(Resource), count(AuditLog)) == before
    db_session.expire_all()
    assert (room.name, room.active) == ("Room", True)


# -- adding ------------------------------------------------------------------


def test_manager_adds_a_resource_with_every_field(sign_in, make_member, db_session):
    client = sign_in(make_member(role="manager"))
    data = _form(
        description="Epilog Fusion.\nAsk for the key.",
        approval_required="y",
        checkin_required="y",
        hours_mon="08:00-12:00, 13:00-17:00",
        hours_sat="10:00-14:00",
    )
    response = client.post("/resources/new", data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == "/resources/laser-cutter"
    stored = _stored(db_session)
    assert stored.kind == ResourceKind.MACHINE
    assert stored.description == "Epilog Fusion.\nAsk for the key."
    assert (stored.min_minutes, stored.max_minutes, stored.slot_minutes) == (30, 240, 15)
    assert (stored.horizon_days, stored.change_notice_minutes) == (60, 120)
    assert stored.buffer_after_minutes == 15
    assert stored.hourly_rate == Decimal("25.50")
    assert stored.qualification_valid_days == 180
    assert (stored.training_required, stored.approval_required, stored.checkin_required) == (
        True,
        True,
        True,
    )
    assert not stored.booking_required_for_use
    assert stored.opening_hours == {
        "mon": [["08:00", "12:00"], ["13:00", "17:00"]],
        "tue": [],
        "wed": [],
        "thu": [],
        "fri": [],
        "sat": [["10:00", "14:00"]],
        "sun": [],
    }
    assert db_session.scalar(select(AuditLog).where(AuditLog.action == "resource.create"))


def test_a_resource_with_no_hours_typed_follows_the_building(sign_in, make_member, db_session):
    client = sign_in(make_member(role="manager"))
    assert client.post("/resources/new", data=_form()).status_code == 302
    assert _stored(db_session).opening_hours is None


def test_manager_adds_a_machine_inside_the_fablab(sign_in, make_member, make_resource, db_session):
    fablab = make_resource(slug="fablab", name="Fablab")
    client = sign_in(make_member(role="manager"))
    assert client.post("/resources/new", data=_form(parent="fablab")).status_code == 302
    assert _stored(db_session).parent_id == fablab.id


def test_the_parent_list_offers_only_top_level_rooms(sign_in, make_member, make_resource):
    fablab = make_resource(slug="fablab", name="Fablab")
    make_resource(slug="printer", name="Printer", kind=ResourceKind.MACHINE, parent=fablab)
    make_resource(slug="lone-machine", name="Lone machine", kind=ResourceKind.MACHINE)
    page = sign_in(make_member(role="manager")).get("/resources/new").data
    assert b'<option value="fablab">' in page
    assert b'<option value="printer">' not in page
    assert b'<option value="lone-machine">' not in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", b"This field is required."),
        ("name", TOO_LONG, b"longer than 120 characters"),
        *[("name", text, b"invisible or control characters") for text in INVISIBLE],
        ("slug", "", b"This field is required."),
        ("slug", "Laser Cutter", b"lower-case letters, digits and hyphens"),
        ("slug", SCRIPT, b"lower-case letters, digits and hyphens"),
        ("slug", SQL, b"lower-case letters, digits and hyphens"),
        ("slug", UNICODE, b"lower-case letters, digits and hyphens"),
        ("slug", "laser\u200bcutter", b"lower-case letters, digits and hyphens"),
        ("slug", "-laser", b"lower-case letters, digits and hyphens"),
        ("slug", TOO_LONG, b"longer than 64 characters"),
        ("slug", "new", b"This short name is reserved."),
        ("kind", "spaceship", b"Not a valid choice"),
        ("status", "", b"Not a valid choice"),
        ("privacy", "everyone", b"Not a valid choice"),
        ("parent", "nowhere", b"Not a valid choice"),
        ("description", "x" * 2001, b"longer than 2000 characters"),
        ("description", "Nice\x00room", b"invisible or control characters"),
        ("min_minutes", "", b"This field is required."),
        ("min_minutes", "abc", b"Not a valid integer value."),
        ("min_minutes", "1.5", b"Not a valid integer value."),
        ("min_minutes", "-5", b"This number is out of range."),
        ("max_minutes", "9" * 30, b"This number is out of range."),
        ("slot_minutes", "0", b"This number is out of range."),
        ("horizon_days", SQL, b"Not a valid integer value."),
        ("min_minutes", "300", b"The minimum length cannot be above the maximum length."),
        ("hourly_rate", "", b"This field is required."),
        ("hourly_rate", "abc", b"This must be an amount such as 12.50."),
        ("hourly_rate", "NaN", b"This amount is out of range."),
        ("hourly_rate", "-1", b"This amount is out of range."),
        ("hourly_rate", "1e9", b"This amount is out of range."),
        ("qualification_valid_days", "0", b"This number is out of range."),
        ("qualification_valid_days", "forever", b"Not a valid integer value."),
        ("hours_mon", "8-12", b"Write times as HH:MM"),
        ("hours_mon", "08:00", b"Write each interval as 08:00-12:00"),
        ("hours_mon", "25:00-26:00", b"Write times as HH:MM"),
        ("hours_mon", "12:00-08:00", b"Each interval must end after it starts."),
        ("hours_mon", "08:00-12:00, 11:00-13:00", b"must not overlap"),
        ("hours_mon", ", ".join(["08:00-08:01"] * 7), b"at most six intervals"),
        ("hours_tue", SCRIPT, b"Write"),
        ("hours_wed", TOO_LONG, b"longer than 200 characters"),
        ("hours_thu", UNICODE, b"Write"),
    ],
)
def test_adding_refuses_bad_input_and_stores_nothing(
    sign_in, make_member, count, field, value, message
):
    client = sign_in(make_member(role="manager"))
    before = (count(Resource), count(AuditLog))
    response = client.post("/resources/new", data=_form(**{field: value}))
    assert response.status_code == 422
    assert message in response.data
    assert (count(Resource), count(AuditLog)) == before


def test_a_short_name_in_use_is_refused(sign_in, make_member, make_resource, count):
    make_resource(slug="laser-cutter")
    client = sign_in(make_member(role="manager"))
    before = count(Resource)
    response = client.post("/resources/new", data=_form())
    assert response.status_code == 422
    assert b"Another resource already uses this short name." in response.data
    assert count(Resource) == before


def test_a_machine_cannot_hold_other_resources(sign_in, make_member, make_resource, count):
    make_resource(slug="lone-machine", kind=ResourceKind.MACHINE)
    client = sign_in(make_member(role="manager"))
    before = count(Resource)
    response = client.post("/resources/new", data=_form(parent="lone-machine"))
    assert response.status_code == 422
    assert count(Resource) == before


@pytest.mark.parametrize("name", [SCRIPT, SQL, UNICODE])
def test_odd_but_valid_names_are_stored_as_typed_and_shown_escaped(
    sign_in, make_member, db_session, name
):
    client = sign_in(make_member(role="manager"))
    assert client.post("/resources/new", data=_form(name=name)).status_code == 302
    assert _stored(db_session).name == name
    for path in ("/resources/", "/resources/laser-cutter"):
        page = client.get(path).data
        assert SCRIPT.encode() not in page
        if name == SCRIPT:
            assert ESCAPED_SCRIPT in page


# -- editing -----------------------------------------------------------------


def test_the_edit_form_shows_the_stored_values(sign_in, make_member, make_resource):
    fablab = make_resource(slug="fablab", name="Fablab")
    make_resource(
        slug="laser-cutter",
        name="Laser cutter",
        kind=ResourceKind.MACHINE,
        parent=fablab,
        hourly_rate=Decimal("25.50"),
        opening_hours={"mon": [["08:00", "12:00"], ["13:00", "17:00"]]},
    )
    page = sign_in(make_member(role="manager")).get("/resources/laser-cutter/edit").data
    assert b'value="Laser cutter"' in page
    assert b'<option selected value="fablab">' in page
    assert b'<option selected value="machine">' in page
    assert b'value="25.50"' in page
    assert b'value="08:00-12:00, 13:00-17:00"' in page
    assert b'name="slug"' not in page


def test_manager_edits_a_resource(sign_in, make_member, make_resource, db_session):
    make_resource(slug="laser-cutter", name="Laser cutter", kind=ResourceKind.MACHINE)
    client = sign_in(make_member(role="manager"))
    data = _form(name="Big laser", status="maintenance", hours_fri="09:00-12:00", slug=None)
    response = client.post("/resources/laser-cutter/edit", data=data)
    assert response.status_code == 302
    stored = _stored(db_session)
    assert stored.name == "Big laser"
    assert stored.status == ResourceStatus.MAINTENANCE
    assert stored.opening_hours["fri"] == [["09:00", "12:00"]]
    assert db_session.scalar(select(AuditLog).where(AuditLog.action == "resource.update"))


def test_the_short_name_never_changes(sign_in, make_member, make_resource, db_session):
    make_resource(slug="laser-cutter", name="Laser cutter", kind=ResourceKind.MACHINE)
    client = sign_in(make_member(role="manager"))
    response = client.post("/resources/laser-cutter/edit", data=_form(slug="renamed"))
    assert response.status_code == 302
    assert _stored(db_session, "renamed") is None
    assert _stored(db_session) is not None


def test_clearing_every_day_returns_to_the_buildings_hours(
    sign_in, make_member, make_resource, db_session
):
    make_resource(slug="laser-cutter", opening_hours={"mon": [["08:00", "12:00"]]})
    client = sign_in(make_member(role="manager"))
    assert client.post("/resources/laser-cutter/edit", data=_form()).status_code == 302
    assert _stored(db_session).opening_hours is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "Big\u200blaser"),
        ("min_minutes", "abc"),
        ("min_minutes", "300"),
        ("hourly_rate", "NaN"),
        ("hours_mon", "25:00-26:00"),
        ("parent", "laser-cutter"),
    ],
)
def test_editing_refuses_bad_input_and_changes_nothing(
    sign_in, make_member, make_resource, db_session, count, field, value
):
    make_resource(slug="fablab", name="Fablab")
    make_resource(slug="laser-cutter", name="Laser cutter", kind=ResourceKind.MACHINE)
    client = sign_in(make_member(role="manager"))
    before = count(AuditLog)
    data = {**_form(name="Changed name"), field: value}
    response = client.post("/resources/laser-cutter/edit", data=data)
    assert response.status_code == 422
    assert b"Please correct" in response.data or b'class="error"' in response.data
    stored = _stored(db_session)
    assert (stored.name, stored.min_minutes, stored.opening_hours) == ("Laser cutter", 30, None)
    assert count(AuditLog) == before


def test_a_refused_edit_shows_the_stored_name_in_the_title(sign_in, make_member, make_resource):
    make_resource(slug="laser-cutter", name="Laser cutter", kind=ResourceKind.MACHINE)
    client = sign_in(make_member(role="manager"))
    data = _form(name="Changed name", min_minutes="300")
    page = client.post("/resources/laser-cutter/edit", data=data).data.decode()
    assert "<h1>Laser cutter</h1>" in page
    assert 'value="Changed name"' in page


# -- deactivating ------------------------------------------------------------


def test_manager_deactivates_and_reactivates_a_resource(
    sign_in, make_member, make_resource, db_session
):
    room = make_resource(slug="room", name="Room")
    client = sign_in(make_member(role="manager"))
    assert client.post("/resources/room/deactivate").status_code == 302
    db_session.expire_all()
    assert room.active is False
    assert client.post("/resources/room/reactivate").status_code == 302
    db_session.expire_all()
    assert room.active is True
    actions = set(db_session.scalars(select(AuditLog.action)))
    assert {"resource.deactivate", "resource.reactivate"} <= actions
