"""The members pages: managers manage everyone, tenant admins their own company."""

import pytest
from sqlalchemy import select

from app.models import AuditLog, Badge, Member, OutgoingMail, Role
from tests.app.page_inputs import (
    ESCAPED_SCRIPT,
    INVISIBLE,
    ODD_BUT_VALID,
    SCRIPT,
    SQL,
    TOO_LONG,
    UNICODE,
)

pytestmark = pytest.mark.db

NEW_PASSWORD = "a long enough password"


def _new(tenant_id=None, **overrides):
    data = {
        "name": "Nora Nieuw",
        "email": "nora@example.org",
        "role": "member",
        "locale": "",
        "password": NEW_PASSWORD,
    }
    if tenant_id is not None:
        data["tenant_id"] = str(tenant_id)
    data.update(overrides)
    return data


def _edit(member, **overrides):
    data = {
        "name": member.name,
        "email": member.email,
        "role": member.role.value,
        "locale": member.locale or "",
    }
    data.update(overrides)
    return data


# -- the list -----------------------------------------------------------------


def test_manager_sees_members_of_every_tenant(sign_in, make_member):
    manager = make_member(role="manager")
    make_member(name="Alice Alpha")
    make_member(name="Bob Beta")
    response = sign_in(manager).get("/members/")
    assert response.status_code == 200
    assert b"Alice Alpha" in response.data
    assert b"Bob Beta" in response.data


def test_manager_filters_the_list_by_tenant(sign_in, make_member, make_tenant):
    manager = make_member(role="manager")
    tenant = make_tenant()
    make_member(name="Alice Alpha", tenant=tenant)
    make_member(name="Bob Beta")
    response = sign_in(manager).get(f"/members/?tenant={tenant.id}")
    assert b"Alice Alpha" in response.data
    assert b"Bob Beta" not in response.data


def test_manager_searches_by_name_or_email(sign_in, make_member):
    manager = make_member(role="manager")
    make_member(name="Alice Alpha", email="alice@alpha.example.org")
    make_member(name="Bob Beta")
    client = sign_in(manager)
    assert b"Bob Beta" not in client.get("/members/?q=ALPHA").data
    assert b"Alice Alpha" in client.get("/members/?q=alpha.example").data


@pytest.mark.parametrize("query", ["%", "_", SQL, SCRIPT, UNICODE, TOO_LONG, "٣"])
def test_odd_search_terms_find_nothing_and_break_nothing(sign_in, make_member, query):
    manager = make_member(role="manager")
    make_member(name="Alice Alpha")
    response = sign_in(manager).get("/members/", query_string={"q": query, "tenant": query})
    assert response.status_code == 200
    assert b"Alice Alpha" not in response.data


def test_invisible_characters_in_a_search_are_ignored(sign_in, make_member):
    manager = make_member(role="manager")
    make_member(name="Alice Alpha")
    response = sign_in(manager).get("/members/", query_string={"q": "Al\x00ph\u200ba"})
    assert response.status_code == 200
    assert b"Alice Alpha" in response.data


def test_deactivated_members_are_listed_only_on_request(sign_in, make_member):
    manager = make_member(role="manager")
    make_member(name="Gone Person", active=False)
    client = sign_in(manager)
    assert b"Gone Person" not in client.get("/members/").data
    assert b"Gone Person" in client.get("/members/?all=1").data


def test_tenant_admin_sees_only_their_own_tenants_members(sign_in, make_member):
    admin = make_member(role="tenant_admin")
    make_member(name="Own Colleague", tenant=admin.tenant)
    make_member(name="Stranger Elsewhere")
    response = sign_in(admin).get("/members/?all=1")
    assert response.status_code == 200
    assert b"Own Colleague" in response.data
    assert b"Stranger Elsewhere" not in response.data


def test_tenant_admin_cannot_list_another_tenant_through_the_filter(sign_in, make_member):
    admin = make_member(role="tenant_admin")
    stranger = make_member(name="Stranger Elsewhere")
    response = sign_in(admin).get(f"/members/?tenant={stranger.tenant_id}&all=1")
    assert response.status_code == 200
    assert b"Stranger Elsewhere" not in response.data


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/members/"),
        ("get", "/members/new"),
        ("post", "/members/new"),
        ("get", "/members/{id}"),
        ("get", "/members/{id}/edit"),
        ("post", "/members/{id}/edit"),
        ("post", "/members/{id}/deactivate"),
        ("post", "/members/{id}/reactivate"),
    ],
)
def test_plain_member_gets_403_on_every_members_page(sign_in, make_member, method, path):
    member = make_member()
    colleague = make_member(tenant=member.tenant, name="Colleague")
    client = sign_in(member)
    response = getattr(client, method)(path.format(id=colleague.id), data=_edit(colleague))
    assert response.status_code == 403


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/members/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# -- adding -------------------------------------------------------------------


def test_manager_adds_a_member_with_a_password(sign_in, make_member, make_tenant, db_session):
    manager = make_member(role="manager")
    tenant = make_tenant()
    response = sign_in(manager).post("/members/new", data=_new(tenant.id))
    assert response.status_code == 302
    added = db_session.scalar(select(Member).where(Member.email == "nora@example.org"))
    assert added.tenant_id == tenant.id
    assert added.role == Role.MEMBER
    assert added.password_hash
    assert response.headers["Location"].endswith(f"/members/{added.id}")
    audit = db_session.scalar(select(AuditLog).where(AuditLog.action == "member.create"))
    assert audit.object_id == str(added.id)


def test_adding_without_a_password_queues_an_invitation(
    sign_in, make_member, make_tenant, db_session
):
    manager = make_member(role="manager")
    tenant = make_tenant()
    client = sign_in(manager)
    response = client.post("/members/new", data=_new(tenant.id, password=""), follow_redirects=True)
    assert response.status_code == 200
    assert b"invitation e-mail is on its way" in response.data
    mail = db_session.scalar(
        select(OutgoingMail).where(OutgoingMail.recipient == "nora@example.org")
    )
    assert mail is not None


def test_the_add_page_says_that_an_empty_password_sends_an_invitation(sign_in, make_member):
    manager = make_member(role="manager")
    response = sign_in(manager).get("/members/new")
    assert response.status_code == 200
    assert b"Leave empty to send an invitation e-mail" in response.data


def test_the_add_link_of_a_tenants_list_preselects_that_tenant(sign_in, make_member, make_tenant):
    manager = make_member(role="manager")
    tenant = make_tenant()
    client = sign_in(manager)
    assert (
        f"/members/new?tenant={tenant.id}".encode()
        in client.get(f"/members/?tenant={tenant.id}").data
    )
    page = client.get(f"/members/new?tenant={tenant.id}").data
    assert f'<option selected value="{tenant.id}">'.encode() in page


def test_manager_adds_a_staff_manager_without_a_tenant(sign_in, make_member, db_session):
    manager = make_member(role="manager")
    response = sign_in(manager).post("/members/new", data=_new(0, role="manager"))
    assert response.status_code == 302
    added = db_session.scalar(select(Member).where(Member.email == "nora@example.org"))
    assert added.role == Role.MANAGER
    assert added.tenant_id is None


def test_tenant_admin_adds_a_member_to_their_own_tenant(sign_in, make_member, db_session):
    admin = make_member(role="tenant_admin")
    response = sign_in(admin).post("/members/new", data=_new())
    assert response.status_code == 302
    added = db_session.scalar(select(Member).where(Member.email == "nora@example.org"))
    assert added.tenant_id == admin.tenant_id


def test_tenant_admin_sees_no_tenant_field_and_no_manager_role(sign_in, make_member):
    admin = make_member(role="tenant_admin")
    response = sign_in(admin).get("/members/new")
    assert response.status_code == 200
    assert b'name="tenant_id"' not in response.data
    assert b'value="tenant_admin"' in response.data
    assert b'value="manager"' not in response.data


def test_tenant_admin_cannot_add_a_member_to_another_tenant(
    sign_in, make_member, make_tenant, db_session
):
    admin = make_member(role="tenant_admin")
    other = make_tenant()
    response = sign_in(admin).post("/members/new", data=_new(other.id))
    assert response.status_code == 302
    added = db_session.scalar(select(Member).where(Member.email == "nora@example.org"))
    assert added.tenant_id == admin.tenant_id


def test_tenant_admin_cannot_give_the_manager_role(sign_in, make_member, count):
    admin = make_member(role="tenant_admin")
    client = sign_in(admin)
    before = count(Member)
    response = client.post("/members/new", data=_new(role="manager"))
    assert response.status_code == 422
    assert b"Not a valid choice" in response.data
    assert count(Member) == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", b"This field is required."),
        ("name", TOO_LONG, b"longer than 120 characters"),
        *[("name", text, b"invisible or control characters") for text in INVISIBLE],
        ("email", "", b"This field is required."),
        ("email", "not-an-address", b"not a valid e-mail address"),
        ("email", SQL, b"not a valid e-mail address"),
        ("email", SCRIPT, b"not a valid e-mail address"),
        ("email", UNICODE, b"not a valid e-mail address"),
        ("email", "nora\u200b@example.org", b"not a valid e-mail address"),
        ("email", "a" * 5000 + "@example.org", b"longer than 254 characters"),
        ("role", "", b"This field is required."),
        ("role", "superuser", b"Not a valid choice"),
        ("tenant_id", "abc", b"could not coerce"),
        ("tenant_id", "999999", b"Not a valid choice"),
        ("locale", "xx", b"Not a valid choice"),
        ("password", "short", b"Use at least 10 characters."),
        ("password", TOO_LONG, b"longer than 256 characters"),
    ],
)
def test_adding_refuses_bad_input_and_stores_nothing(
    sign_in, make_member, make_tenant, count, field, value, message
):
    manager = make_member(role="manager")
    tenant = make_tenant()
    client = sign_in(manager)
    before = (count(Member), count(AuditLog), count(OutgoingMail))
    response = client.post("/members/new", data={**_new(tenant.id), field: value})
    assert response.status_code == 422
    assert message in response.data
    assert (count(Member), count(AuditLog), count(OutgoingMail)) == before


def test_a_manager_account_cannot_belong_to_a_tenant(sign_in, make_member, make_tenant, count):
    manager = make_member(role="manager")
    tenant = make_tenant()
    client = sign_in(manager)
    before = count(Member)
    response = client.post("/members/new", data=_new(tenant.id, role="manager"))
    assert response.status_code == 422
    assert b"Managers belong to no tenant." in response.data
    assert count(Member) == before


def test_a_tenant_account_needs_a_tenant(sign_in, make_member, count):
    manager = make_member(role="manager")
    client = sign_in(manager)
    before = count(Member)
    response = client.post("/members/new", data=_new(0))
    assert response.status_code == 422
    assert b"Choose the member&#39;s tenant." in response.data
    assert count(Member) == before


def test_an_address_already_in_use_is_refused(sign_in, make_member, make_tenant, count):
    manager = make_member(role="manager")
    make_member(email="taken@example.org")
    tenant = make_tenant()
    client = sign_in(manager)
    before = count(Member)
    response = client.post("/members/new", data=_new(tenant.id, email="TAKEN@example.org"))
    assert response.status_code == 422
    assert b"Another account already uses this address." in response.data
    assert count(Member) == before


@pytest.mark.parametrize("name", ODD_BUT_VALID)
def test_odd_but_valid_names_are_stored_as_typed_and_shown_escaped(
    sign_in, make_member, make_tenant, db_session, name
):
    manager = make_member(role="manager")
    tenant = make_tenant()
    client = sign_in(manager)
    assert client.post("/members/new", data=_new(tenant.id, name=name)).status_code == 302
    added = db_session.scalar(select(Member).where(Member.email == "nora@example.org"))
    assert added.name == name
    page = client.get("/members/").data
    assert SCRIPT.encode() not in page
    if name == SCRIPT:
        assert ESCAPED_SCRIPT in page
    else:
        assert name.replace("'", "&#39;").encode() in page


# -- the detail page ---------------------------------------------------------


def test_manager_sees_a_members_badges_and_trainings(
    sign_in, make_member, make_badge, make_resource, db_session, now
):
    from app.models import Qualification

    manager = make_member(role="manager")
    member = make_member(name="Mila Maker")
    make_badge(member, uid="04A1B2C3", label="blue fob")
    laser = make_resource(name="Laser cutter", kind="machine")
    db_session.add(Qualification(member=member, resource=laser, granted_by=manager, granted_at=now))
    response = sign_in(manager).get(f"/members/{member.id}")
    assert response.status_code == 200
    assert b"Mila Maker" in response.data
    assert b"04A1B2C3" in response.data
    assert b"blue fob" in response.data
    assert b"Laser cutter" in response.data
    assert b"/badges/new?member=" in response.data


def test_tenant_admin_sees_their_members_detail_page(sign_in, make_member, make_badge):
    admin = make_member(role="tenant_admin")
    colleague = make_member(tenant=admin.tenant, name="Own Colleague")
    make_badge(colleague, uid="04CAFE01")
    response = sign_in(admin).get(f"/members/{colleague.id}")
    assert response.status_code == 200
    assert b"04CAFE01" in response.data


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/members/{id}"),
        ("get", "/members/{id}/edit"),
        ("post", "/members/{id}/edit"),
        ("post", "/members/{id}/deactivate"),
        ("post", "/members/{id}/reactivate"),
    ],
)
def test_tenant_admin_gets_404_for_another_tenants_member(
    sign_in, make_member, db_session, method, path
):
    admin = make_member(role="tenant_admin")
    stranger = make_member(name="Stranger Elsewhere")
    client = sign_in(admin)
    data = _edit(stranger, name="Hijacked")
    response = getattr(client, method)(path.format(id=stranger.id), data=data)
    assert response.status_code == 404
    assert b"Stranger Elsewhere" not in response.data
    db_session.expire_all()
    assert stranger.name == "Stranger Elsewhere"
    assert stranger.active is True


def test_tenant_admin_gets_404_for_a_manager(sign_in, make_member):
    admin = make_member(role="tenant_admin")
    manager = make_member(role="manager")
    assert sign_in(admin).get(f"/members/{manager.id}").status_code == 404


def test_an_unknown_member_is_404(sign_in, make_member):
    manager = make_member(role="manager")
    assert sign_in(manager).get("/members/999999").status_code == 404


# -- editing -----------------------------------------------------------------


def test_manager_edits_name_email_role_and_language(sign_in, make_member, db_session):
    manager = make_member(role="manager")
    member = make_member()
    data = _edit(member, name="New Name", email="new@example.org", role="tenant_admin", locale="nl")
    response = sign_in(manager).post(f"/members/{member.id}/edit", data=data)
    assert response.status_code == 302
    db_session.expire_all()
    assert (member.name, member.email, member.role, member.locale) == (
        "New Name",
        "new@example.org",
        Role.TENANT_ADMIN,
        "nl",
    )
    assert db_session.scalar(select(AuditLog).where(AuditLog.action == "member.update"))


def test_tenant_admin_edits_their_own_member(sign_in, make_member, db_session):
    admin = make_member(role="tenant_admin")
    colleague = make_member(tenant=admin.tenant)
    response = sign_in(admin).post(
        f"/members/{colleague.id}/edit", data=_edit(colleague, name="Renamed")
    )
    assert response.status_code == 302
    db_session.expire_all()
    assert colleague.name == "Renamed"


def test_the_edit_page_shows_the_stored_values(sign_in, make_member):
    manager = make_member(role="manager")
    member = make_member(name="Shown Name", locale="nl")
    response = sign_in(manager).get(f"/members/{member.id}/edit")
    assert response.status_code == 200
    assert b'value="Shown Name"' in response.data
    assert b'<option selected value="nl">' in response.data


def test_nobody_changes_their_own_role(sign_in, make_member, db_session):
    admin = make_member(role="tenant_admin")
    client = sign_in(admin)
    assert b'name="role"' not in client.get(f"/members/{admin.id}/edit").data
    response = client.post(f"/members/{admin.id}/edit", data=_edit(admin, role="member"))
    assert response.status_code == 302
    db_session.expire_all()
    assert admin.role == Role.TENANT_ADMIN


def test_a_tenant_member_cannot_be_made_a_manager(sign_in, make_member, db_session):
    manager = make_member(role="manager")
    member = make_member()
    response = sign_in(manager).post(
        f"/members/{member.id}/edit", data=_edit(member, role="manager")
    )
    assert response.status_code == 422
    db_session.expire_all()
    assert member.role == Role.MEMBER


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", b"This field is required."),
        ("name", TOO_LONG, b"longer than 120 characters"),
        *[("name", text, b"invisible or control characters") for text in INVISIBLE],
        ("email", "", b"This field is required."),
        ("email", SQL, b"not a valid e-mail address"),
        ("email", UNICODE, b"not a valid e-mail address"),
        ("role", "superuser", b"Not a valid choice"),
        ("locale", "<script>", b"Not a valid choice"),
    ],
)
def test_editing_refuses_bad_input_and_changes_nothing(
    sign_in, make_member, db_session, count, field, value, message
):
    manager = make_member(role="manager")
    member = make_member(name="Stays Same")
    client = sign_in(manager)
    before = count(AuditLog)
    response = client.post(f"/members/{member.id}/edit", data=_edit(member, **{field: value}))
    assert response.status_code == 422
    assert message in response.data
    db_session.expire_all()
    assert member.name == "Stays Same"
    assert count(AuditLog) == before


def test_a_refused_edit_changes_no_other_field_either(sign_in, make_member, db_session):
    manager = make_member(role="manager")
    make_member(email="taken@example.org")
    member = make_member(name="Stays Same")
    client = sign_in(manager)
    data = _edit(member, role="tenant_admin", email="taken@example.org")
    response = client.post(f"/members/{member.id}/edit", data=data)
    assert response.status_code == 422
    assert b"Another account already uses this address." in response.data
    db_session.expire_all()
    assert member.role == Role.MEMBER


# -- deactivating ------------------------------------------------------------


def test_manager_deactivates_a_member_and_their_badges(
    sign_in, make_member, make_badge, db_session
):
    manager = make_member(role="manager")
    member = make_member()
    badge = make_badge(member)
    response = sign_in(manager).post(f"/members/{member.id}/deactivate")
    assert response.status_code == 302
    db_session.expire_all()
    assert member.active is False
    assert badge.active is False
    assert db_session.scalar(select(AuditLog).where(AuditLog.action == "member.deactivate"))


def test_tenant_admin_deactivates_and_reactivates_their_member(sign_in, make_member, db_session):
    admin = make_member(role="tenant_admin")
    colleague = make_member(tenant=admin.tenant)
    client = sign_in(admin)
    assert client.post(f"/members/{colleague.id}/deactivate").status_code == 302
    db_session.expire_all()
    assert colleague.active is False
    assert client.post(f"/members/{colleague.id}/reactivate").status_code == 302
    db_session.expire_all()
    assert colleague.active is True


def test_nobody_deactivates_themselves(sign_in, make_member, db_session):
    admin = make_member(role="tenant_admin")
    client = sign_in(admin)
    assert b"/deactivate" not in client.get(f"/members/{admin.id}").data
    assert client.post(f"/members/{admin.id}/deactivate").status_code == 403
    db_session.expire_all()
    assert admin.active is True


def test_a_deactivated_member_page_offers_reactivation(sign_in, make_member):
    manager = make_member(role="manager")
    member = make_member(active=False)
    response = sign_in(manager).get(f"/members/{member.id}")
    assert b"/reactivate" in response.data
    assert b"deactivated" in response.data


def test_deactivating_needs_a_post(sign_in, make_member):
    manager = make_member(role="manager")
    member = make_member()
    assert sign_in(manager).get(f"/members/{member.id}/deactivate").status_code == 405


# -- CSRF --------------------------------------------------------------------


def test_a_form_without_its_csrf_token_is_refused(
    app, monkeypatch, sign_in, make_member, make_tenant, count
):
    manager = make_member(role="manager")
    tenant = make_tenant()
    client = sign_in(manager)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    before = count(Member)
    response = client.post("/members/new", data=_new(tenant.id))
    assert response.status_code == 400
    assert b"Your form expired" in response.data
    assert count(Member) == before


def test_a_form_with_its_csrf_token_is_accepted(
    app, monkeypatch, sign_in, make_member, make_tenant, count
):
    import re

    manager = make_member(role="manager")
    tenant = make_tenant()
    client = sign_in(manager)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    page = client.get("/members/new").data.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    before = count(Member)
    response = client.post("/members/new", data=_new(tenant.id, csrf_token=token))
    assert response.status_code == 302
    assert count(Member) == before + 1


def test_revoking_a_badge_from_the_member_page_returns_there(
    sign_in, make_member, make_badge, db_session
):
    manager = make_member(role="manager")
    member = make_member()
    badge = make_badge(member)
    client = sign_in(manager)
    page = client.get(f"/members/{member.id}").data.decode()
    assert f"/badges/{badge.id}/revoke?next=/members/{member.id}" in page
    response = client.post(f"/badges/{badge.id}/revoke?next=/members/{member.id}")
    assert response.headers["Location"].endswith(f"/members/{member.id}")
    db_session.expire_all()
    assert badge.active is False
    assert db_session.scalar(select(Badge).where(Badge.id == badge.id)).revoked_at is not None
