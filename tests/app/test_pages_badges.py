"""The badges pages: managers give badges to anyone, tenant admins to their own people."""

import pytest
from sqlalchemy import select

from app.models import AuditLog, Badge
from tests.app.page_inputs import (
    ESCAPED_SCRIPT,
    INVISIBLE,
    SCRIPT,
    SQL,
    TOO_LONG,
    UNICODE,
)

pytestmark = pytest.mark.db


def _assign(member, **overrides):
    data = {
        "member_id": str(member.id),
        "uid": "04:a2:2b:1c",
        "reader_format": "hex",
        "label": "blue fob",
    }
    data.update(overrides)
    return data


def _badge_of(db_session, member):
    return db_session.scalar(select(Badge).where(Badge.member_id == member.id))


# -- the list -----------------------------------------------------------------


def test_manager_sees_badges_of_every_tenant(sign_in, make_member, make_badge):
    manager = make_member(role="manager")
    make_badge(make_member(), uid="04AAAA01")
    make_badge(make_member(), uid="04BBBB02")
    response = sign_in(manager).get("/badges/")
    assert response.status_code == 200
    assert b"04AAAA01" in response.data
    assert b"04BBBB02" in response.data


def test_tenant_admin_sees_only_their_tenants_badges(sign_in, make_member, make_badge):
    admin = make_member(role="tenant_admin")
    make_badge(make_member(tenant=admin.tenant), uid="04AAAA01")
    make_badge(make_member(), uid="04BBBB02")
    response = sign_in(admin).get("/badges/?all=1")
    assert response.status_code == 200
    assert b"04AAAA01" in response.data
    assert b"04BBBB02" not in response.data


def test_revoked_badges_are_listed_only_on_request(sign_in, make_member, make_badge, now):
    manager = make_member(role="manager")
    make_badge(make_member(), uid="04DEAD01", active=False, revoked_at=now)
    client = sign_in(manager)
    assert b"04DEAD01" not in client.get("/badges/").data
    assert b"04DEAD01" in client.get("/badges/?all=1").data


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/badges/"),
        ("get", "/badges/new"),
        ("post", "/badges/new"),
        ("post", "/badges/{id}/revoke"),
    ],
)
def test_plain_member_gets_403_on_every_badges_page(
    sign_in, make_member, make_badge, db_session, method, path
):
    member = make_member()
    badge = make_badge(member)
    client = sign_in(member)
    response = getattr(client, method)(path.format(id=badge.id), data=_assign(member))
    assert response.status_code == 403
    db_session.expire_all()
    assert badge.active is True
    assert len(member.badges) == 1


# -- assigning ---------------------------------------------------------------


def test_manager_assigns_a_badge_in_its_canonical_form(sign_in, make_member, db_session):
    manager = make_member(role="manager")
    member = make_member()
    response = sign_in(manager).post("/badges/new", data=_assign(member))
    assert response.status_code == 302
    badge = _badge_of(db_session, member)
    assert (badge.uid, badge.label, badge.active) == ("04A22B1C", "blue fob", True)
    audit = db_session.scalar(select(AuditLog).where(AuditLog.action == "badge.assign"))
    assert audit.object_id == str(badge.id)


@pytest.mark.parametrize(
    ("reader_format", "typed", "canonical"),
    [
        ("hex", "04A22B1C", "04A22B1C"),
        ("dec10_le", "0305419896", "78563412"),
        ("dec10_be", "0305419896", "12345678"),
    ],
)
def test_the_reader_format_decides_how_the_number_is_read(
    sign_in, make_member, db_session, reader_format, typed, canonical
):
    manager = make_member(role="manager")
    member = make_member()
    data = _assign(member, uid=typed, reader_format=reader_format)
    assert sign_in(manager).post("/badges/new", data=data).status_code == 302
    assert _badge_of(db_session, member).uid == canonical


def test_the_form_offers_every_reader_format_with_a_readable_name(sign_in, make_member):
    from bridge_protocol.badges import READER_FORMATS

    manager = make_member(role="manager")
    page = sign_in(manager).get("/badges/new").data
    for code in READER_FORMATS:
        assert f'value="{code}"'.encode() in page
    assert b"as most USB desk readers type them" in page


def test_tenant_admin_assigns_a_badge_to_their_member(sign_in, make_member, db_session):
    admin = make_member(role="tenant_admin")
    colleague = make_member(tenant=admin.tenant)
    response = sign_in(admin).post("/badges/new", data=_assign(colleague))
    assert response.status_code == 302
    assert _badge_of(db_session, colleague).uid == "04A22B1C"


def test_tenant_admin_can_choose_only_their_own_active_members(sign_in, make_member):
    admin = make_member(role="tenant_admin")
    make_member(tenant=admin.tenant, name="Own Colleague")
    make_member(tenant=admin.tenant, name="Former Colleague", active=False)
    make_member(name="Stranger Elsewhere")
    page = sign_in(admin).get("/badges/new").data
    assert b"Own Colleague" in page
    assert b"Former Colleague" not in page
    assert b"Stranger Elsewhere" not in page


def test_tenant_admin_cannot_give_a_badge_to_another_tenants_member(sign_in, make_member, count):
    admin = make_member(role="tenant_admin")
    stranger = make_member()
    client = sign_in(admin)
    before = count(Badge)
    response = client.post("/badges/new", data=_assign(stranger))
    assert response.status_code == 422
    assert b"Not a valid choice" in response.data
    assert count(Badge) == before


def test_a_badge_in_use_is_refused_with_409(sign_in, make_member, make_badge, count):
    manager = make_member(role="manager")
    make_badge(make_member(), uid="04A22B1C")
    member = make_member()
    client = sign_in(manager)
    before = count(Badge)
    response = client.post("/badges/new", data=_assign(member))
    assert response.status_code == 409
    assert b"already assigned. Revoke it first." in response.data
    assert count(Badge) == before


def test_the_member_page_link_preselects_the_member_and_returns_there(
    sign_in, make_member, db_session
):
    manager = make_member(role="manager")
    member = make_member()
    client = sign_in(manager)
    page = client.get(f"/badges/new?member={member.id}&next=/members/{member.id}").data
    assert f'<option selected value="{member.id}">'.encode() in page
    data = _assign(member, next=f"/members/{member.id}")
    response = client.post("/badges/new", data=data)
    assert response.headers["Location"].endswith(f"/members/{member.id}")


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_a_return_address_off_this_site_is_ignored(sign_in, make_member, target):
    manager = make_member(role="manager")
    member = make_member()
    response = sign_in(manager).post("/badges/new", data=_assign(member, next=target))
    assert response.status_code == 302
    assert response.headers["Location"] == "/badges/"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("uid", "", b"This field is required."),
        ("uid", TOO_LONG, b"longer than 64 characters"),
        ("uid", "ZZZZZZ", b"not a valid badge number"),
        ("uid", "04A2", b"not a valid badge number"),
        ("uid", SCRIPT, b"not a valid badge number"),
        ("uid", SQL, b"not a valid badge number"),
        ("uid", UNICODE, b"not a valid badge number"),
        ("uid", "04A2\u200b2B1C", b"not a valid badge number"),
        ("uid", "04A2\x002B1C", b"not a valid badge number"),
        ("reader_format", "", b"Not a valid choice"),
        ("reader_format", "bogus", b"Not a valid choice"),
        ("label", TOO_LONG, b"longer than 80 characters"),
        *[("label", text, b"invisible or control characters") for text in INVISIBLE],
        ("member_id", "", b"This field is required."),
        ("member_id", "abc", b"could not coerce"),
        ("member_id", "999999", b"Not a valid choice"),
    ],
)
def test_assigning_refuses_bad_input_and_stores_nothing(
    sign_in, make_member, count, field, value, message
):
    manager = make_member(role="manager")
    member = make_member()
    client = sign_in(manager)
    before = (count(Badge), count(AuditLog))
    response = client.post("/badges/new", data=_assign(member, **{field: value}))
    assert response.status_code == 422
    assert message in response.data
    assert (count(Badge), count(AuditLog)) == before


def test_a_number_valid_as_hex_is_refused_for_a_decimal_reader(sign_in, make_member, count):
    manager = make_member(role="manager")
    member = make_member()
    client = sign_in(manager)
    before = count(Badge)
    data = _assign(member, uid="04A22B1C", reader_format="dec10_le")
    response = client.post("/badges/new", data=data)
    assert response.status_code == 422
    assert count(Badge) == before


@pytest.mark.parametrize("label", [SCRIPT, SQL, UNICODE])
def test_odd_but_valid_labels_are_stored_as_typed_and_shown_escaped(
    sign_in, make_member, db_session, label
):
    manager = make_member(role="manager")
    member = make_member()
    client = sign_in(manager)
    assert client.post("/badges/new", data=_assign(member, label=label)).status_code == 302
    assert _badge_of(db_session, member).label == label
    page = client.get("/badges/").data
    assert SCRIPT.encode() not in page
    if label == SCRIPT:
        assert ESCAPED_SCRIPT in page


# -- revoking ----------------------------------------------------------------


def test_manager_revokes_a_badge(sign_in, make_member, make_badge, db_session):
    manager = make_member(role="manager")
    badge = make_badge(make_member())
    response = sign_in(manager).post(f"/badges/{badge.id}/revoke")
    assert response.status_code == 302
    assert response.headers["Location"] == "/badges/"
    db_session.expire_all()
    assert badge.active is False
    assert badge.revoked_at is not None
    assert db_session.scalar(select(AuditLog).where(AuditLog.action == "badge.revoke"))


def test_tenant_admin_revokes_their_members_badge(sign_in, make_member, make_badge, db_session):
    admin = make_member(role="tenant_admin")
    badge = make_badge(make_member(tenant=admin.tenant))
    assert sign_in(admin).post(f"/badges/{badge.id}/revoke").status_code == 302
    db_session.expire_all()
    assert badge.active is False


def test_tenant_admin_gets_404_revoking_another_tenants_badge(
    sign_in, make_member, make_badge, db_session, count
):
    admin = make_member(role="tenant_admin")
    badge = make_badge(make_member(), uid="04BBBB02")
    client = sign_in(admin)
    before = count(AuditLog)
    response = client.post(f"/badges/{badge.id}/revoke")
    assert response.status_code == 404
    assert b"04BBBB02" not in response.data
    db_session.expire_all()
    assert badge.active is True
    assert count(AuditLog) == before


def test_revoking_an_unknown_badge_is_404(sign_in, make_member):
    manager = make_member(role="manager")
    assert sign_in(manager).post("/badges/999999/revoke").status_code == 404


def test_revoking_needs_a_post(sign_in, make_member, make_badge):
    manager = make_member(role="manager")
    badge = make_badge(make_member())
    assert sign_in(manager).get(f"/badges/{badge.id}/revoke").status_code == 405
