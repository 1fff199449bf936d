"""/api/v1/members: managers manage everyone, tenant admins their own company, members
see only themselves."""

import pytest
from sqlalchemy import select

from app.models import Member, OutgoingMail, Role

pytestmark = pytest.mark.db


def _new(**fields):
    body = {"email": "nieuw@example.org", "name": "Nina Nieuw", "role": "member"}
    body.update(fields)
    return body


def test_a_manager_adds_a_member_with_a_password_and_no_invitation(
    client, auth, db_session, tenant_a, count
):
    mails = count(OutgoingMail)
    response = client.post(
        "/api/v1/members",
        json=_new(tenant_id=tenant_a.id, password="a long enough password", locale="nl"),
        headers=auth("manager"),
    )
    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/members/{body['id']}")
    assert body["email"] == "nieuw@example.org"
    assert body["tenant_id"] == tenant_a.id
    assert body["role"] == "member"
    assert body["locale"] == "nl"
    assert body["active"] is True
    member = db_session.get(Member, body["id"])
    assert member.password_hash is not None
    assert count(OutgoingMail) == mails


def test_without_a_password_the_member_is_invited_by_mail(client, auth, db_session, tenant_a):
    response = client.post(
        "/api/v1/members", json=_new(tenant_id=tenant_a.id), headers=auth("manager")
    )
    assert response.status_code == 201
    mails = list(
        db_session.scalars(
            select(OutgoingMail).where(OutgoingMail.recipient == "nieuw@example.org")
        )
    )
    assert len(mails) == 1
    assert "https://incubator.test.example/account/set-password/" in mails[0].body
    assert mails[0].sent_at is not None  # delivered after the commit (to the log in tests)
    assert db_session.get(Member, response.get_json()["id"]).password_hash is None


def test_a_manager_adds_another_manager_without_a_tenant(client, auth):
    response = client.post("/api/v1/members", json=_new(role="manager"), headers=auth("manager"))
    assert response.status_code == 201
    assert response.get_json()["tenant_id"] is None


def test_a_manager_must_name_the_tenant_of_a_tenant_member(client, auth):
    response = client.post("/api/v1/members", json=_new(), headers=auth("manager"))
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"tenant_id"}


def test_a_tenant_admin_adds_members_to_their_own_tenant(client, auth, tenant_a):
    for role in ("member", "tenant_admin"):
        response = client.post(
            "/api/v1/members",
            json=_new(email=f"{role}@example.org", role=role),
            headers=auth("admin_a"),
        )
        assert response.status_code == 201
        assert response.get_json()["tenant_id"] == tenant_a.id
        assert response.get_json()["role"] == role


def test_a_tenant_admin_cannot_make_a_manager(client, auth, snapshot):
    headers = auth("admin_a")
    before = snapshot()
    response = client.post("/api/v1/members", json=_new(role="manager"), headers=headers)
    assert response.status_code == 403
    assert snapshot() == before


def test_a_member_cannot_add_members(client, auth, tenant_a, snapshot):
    headers = auth("member_a")
    before = snapshot()
    response = client.post("/api/v1/members", json=_new(tenant_id=tenant_a.id), headers=headers)
    assert response.status_code == 403
    assert snapshot() == before


def test_an_address_already_in_use_is_422(client, auth, member_a):
    response = client.post(
        "/api/v1/members", json=_new(email=member_a.email.upper()), headers=auth("admin_a")
    )
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"email"}


def test_a_short_password_is_422(client, auth):
    response = client.post("/api/v1/members", json=_new(password="short"), headers=auth("admin_a"))
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"password"}


def test_a_manager_lists_everyone(client, auth, people):
    ids = {
        m["id"]
        for m in client.get("/api/v1/members?per_page=200", headers=auth("manager")).get_json()[
            "items"
        ]
    }
    assert {p.id for p in people.values()} <= ids


def test_a_tenant_admin_lists_their_own_tenant_only(client, auth, admin_a, member_a, tenant_a):
    body = client.get("/api/v1/members", headers=auth("admin_a")).get_json()
    assert {m["id"] for m in body["items"]} == {admin_a.id, member_a.id}
    assert {m["tenant_id"] for m in body["items"]} == {tenant_a.id}


def test_a_member_lists_only_themselves(client, auth, member_a):
    body = client.get("/api/v1/members", headers=auth("member_a")).get_json()
    assert [m["id"] for m in body["items"]] == [member_a.id]


def test_the_tenant_filter(client, auth, people, tenant_b):
    body = client.get(
        f"/api/v1/members?tenant_id={tenant_b.id}", headers=auth("manager")
    ).get_json()
    assert {m["id"] for m in body["items"]} == {people["admin_b"].id, people["member_b"].id}


def test_the_search_filter(client, auth, member_a):
    body = client.get("/api/v1/members?search=arne", headers=auth("admin_a")).get_json()
    assert [m["id"] for m in body["items"]] == [member_a.id]


def test_deactivated_members_are_listed_only_when_asked(client, auth, member_a):
    client.delete(f"/api/v1/members/{member_a.id}", headers=auth("admin_a"))
    default = client.get("/api/v1/members", headers=auth("admin_a")).get_json()
    everything = client.get(
        "/api/v1/members?include_inactive=true", headers=auth("admin_a")
    ).get_json()
    assert member_a.id not in {m["id"] for m in default["items"]}
    assert member_a.id in {m["id"] for m in everything["items"]}


@pytest.mark.parametrize("who", ["manager", "admin_a", "member_a"])
def test_reading_a_member_the_caller_may_see(client, auth, member_a, who):
    response = client.get(f"/api/v1/members/{member_a.id}", headers=auth(who))
    assert response.status_code == 200
    assert response.get_json()["name"] == "Arne Member"


def test_a_member_cannot_read_a_colleague(client, auth, admin_a):
    assert client.get(f"/api/v1/members/{admin_a.id}", headers=auth("member_a")).status_code == 404


def test_a_tenant_admin_cannot_read_a_manager(client, auth, manager):
    assert client.get(f"/api/v1/members/{manager.id}", headers=auth("admin_a")).status_code == 404


@pytest.mark.parametrize("who", ["manager", "admin_a"])
def test_managers_and_the_tenant_admin_change_a_member(client, auth, db_session, member_a, who):
    response = client.patch(
        f"/api/v1/members/{member_a.id}",
        json={"name": "Arne Anders", "email": "arne@example.org", "role": "tenant_admin"},
        headers=auth(who),
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["email"], body["role"]) == (
        "Arne Anders",
        "arne@example.org",
        "tenant_admin",
    )
    assert db_session.get(Member, member_a.id).role == Role.TENANT_ADMIN


def test_a_member_cannot_change_even_themselves_through_the_admin_route(
    client, auth, db_session, member_a
):
    response = client.patch(
        f"/api/v1/members/{member_a.id}", json={"role": "tenant_admin"}, headers=auth("member_a")
    )
    assert response.status_code == 403
    assert db_session.get(Member, member_a.id).role == Role.MEMBER


def test_a_tenant_admin_cannot_promote_to_manager(client, auth, db_session, member_a):
    response = client.patch(
        f"/api/v1/members/{member_a.id}", json={"role": "manager"}, headers=auth("admin_a")
    )
    assert response.status_code == 403
    assert db_session.get(Member, member_a.id).role == Role.MEMBER


def test_nobody_changes_their_own_role(client, auth, admin_a):
    response = client.patch(
        f"/api/v1/members/{admin_a.id}", json={"role": "member"}, headers=auth("admin_a")
    )
    assert response.status_code == 403


@pytest.mark.parametrize("who", ["manager", "admin_a"])
def test_delete_deactivates_the_member_keeps_the_row_and_revokes_badges(
    client, auth, db_session, make_badge, member_a, who
):
    badge = make_badge(member_a)
    response = client.delete(f"/api/v1/members/{member_a.id}", headers=auth(who))
    assert response.status_code == 204
    member = db_session.get(Member, member_a.id)
    assert member is not None
    assert member.active is False
    assert member.deactivated_at is not None
    assert badge.active is False
    read = client.get(f"/api/v1/members/{member_a.id}", headers=auth(who)).get_json()
    assert read["active"] is False


def test_a_member_cannot_deactivate_anyone(client, auth, db_session, admin_a, member_a):
    assert (
        client.delete(f"/api/v1/members/{member_a.id}", headers=auth("member_a")).status_code == 403
    )
    assert (
        client.delete(f"/api/v1/members/{admin_a.id}", headers=auth("member_a")).status_code == 404
    )
    assert db_session.get(Member, member_a.id).active


def test_nobody_deactivates_themselves(client, auth, manager):
    assert (
        client.delete(f"/api/v1/members/{manager.id}", headers=auth("manager")).status_code == 403
    )


def test_patch_active_false_deactivates_and_true_reactivates(client, auth, member_a):
    url = f"/api/v1/members/{member_a.id}"
    assert (
        client.patch(url, json={"active": False}, headers=auth("admin_a")).get_json()["active"]
        is False
    )
    assert (
        client.patch(url, json={"active": True}, headers=auth("admin_a")).get_json()["active"]
        is True
    )
