"""/api/v1/badges: managers give badges to anyone, tenant admins to their own members."""

import pytest

from app.models import Badge

pytestmark = pytest.mark.db


@pytest.mark.parametrize("who", ["manager", "admin_a"])
def test_a_badge_is_given_and_stored_in_canonical_form(client, auth, db_session, member_a, who):
    response = client.post(
        "/api/v1/badges",
        json={"uid": "04:a2:2b:1c", "member_id": member_a.id, "label": "blue fob"},
        headers=auth(who),
    )
    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/badges/{body['id']}")
    assert body["uid"] == "04A22B1C"
    assert body["member_id"] == member_a.id
    assert body["label"] == "blue fob"
    assert body["active"] is True
    assert body["issued_at"].endswith("Z")
    assert db_session.get(Badge, body["id"]).uid == "04A22B1C"


def test_a_decimal_reader_number_is_converted(client, auth, member_a):
    response = client.post(
        "/api/v1/badges",
        json={"uid": "0472621572", "member_id": member_a.id, "reader_format": "dec10_le"},
        headers=auth("manager"),
    )
    assert response.status_code == 201
    assert response.get_json()["uid"] == "04A22B1C"


def test_a_number_already_on_an_active_badge_is_409(client, auth, snapshot, make_badge, member_a):
    make_badge(member_a, uid="04A22B1C")
    headers = auth("manager")
    before = snapshot()
    response = client.post(
        "/api/v1/badges", json={"uid": "04a22b1c", "member_id": member_a.id}, headers=headers
    )
    assert response.status_code == 409
    assert response.get_json()["error"] == "conflict"
    assert snapshot() == before


def test_a_revoked_number_can_be_given_again(client, auth, make_badge, member_a, now):
    old = make_badge(member_a, uid="04A22B1C")
    old.revoke(now)
    response = client.post(
        "/api/v1/badges",
        json={"uid": "04A22B1C", "member_id": member_a.id},
        headers=auth("manager"),
    )
    assert response.status_code == 201


def test_a_badge_for_a_deactivated_member_is_422(client, auth, make_member, tenant_a):
    gone = make_member(tenant=tenant_a, active=False)
    response = client.post(
        "/api/v1/badges", json={"uid": "04A22B1C", "member_id": gone.id}, headers=auth("admin_a")
    )
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"member_id"}


def test_a_member_cannot_give_themselves_a_badge(client, auth, snapshot, member_a):
    headers = auth("member_a")
    before = snapshot()
    response = client.post(
        "/api/v1/badges", json={"uid": "04A22B1C", "member_id": member_a.id}, headers=headers
    )
    assert response.status_code == 403
    assert snapshot() == before


def test_a_tenant_admin_cannot_give_a_manager_a_badge(client, auth, manager):
    response = client.post(
        "/api/v1/badges", json={"uid": "04A22B1C", "member_id": manager.id}, headers=auth("admin_a")
    )
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"member_id": "Unknown member."}


def test_an_unknown_member_is_422(client, auth):
    response = client.post(
        "/api/v1/badges", json={"uid": "04A22B1C", "member_id": 987654}, headers=auth("manager")
    )
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"member_id": "Unknown member."}


def test_listing_is_scoped_to_what_each_role_may_see(
    client, auth, make_badge, manager, admin_a, member_a, member_b
):
    mine, colleague, other = make_badge(member_a), make_badge(admin_a), make_badge(member_b)

    def ids(who):
        return {
            b["id"] for b in client.get("/api/v1/badges", headers=auth(who)).get_json()["items"]
        }

    assert {mine.id, colleague.id, other.id} <= ids("manager")
    assert ids("admin_a") == {mine.id, colleague.id}
    assert ids("member_a") == {mine.id}


def test_the_member_and_revoked_filters(client, auth, make_badge, admin_a, member_a, now):
    kept, revoked, _other = make_badge(member_a), make_badge(member_a), make_badge(admin_a)
    revoked.revoke(now)
    url = f"/api/v1/badges?member_id={member_a.id}"
    assert [b["id"] for b in client.get(url, headers=auth("admin_a")).get_json()["items"]] == [
        kept.id
    ]
    everything = client.get(url + "&include_revoked=true", headers=auth("admin_a")).get_json()
    assert {b["id"] for b in everything["items"]} == {kept.id, revoked.id}


@pytest.mark.parametrize("who", ["manager", "admin_a", "member_a"])
def test_reading_a_visible_badge(client, auth, make_badge, member_a, who):
    badge = make_badge(member_a)
    response = client.get(f"/api/v1/badges/{badge.id}", headers=auth(who))
    assert response.status_code == 200
    assert response.get_json()["uid"] == badge.uid


def test_a_member_cannot_read_a_colleagues_badge(client, auth, make_badge, admin_a):
    badge = make_badge(admin_a)
    assert client.get(f"/api/v1/badges/{badge.id}", headers=auth("member_a")).status_code == 404


@pytest.mark.parametrize("who", ["manager", "admin_a"])
def test_delete_revokes_the_badge_and_keeps_the_row(
    client, auth, db_session, make_badge, member_a, who
):
    badge = make_badge(member_a)
    response = client.delete(f"/api/v1/badges/{badge.id}", headers=auth(who))
    assert response.status_code == 204
    stored = db_session.get(Badge, badge.id)
    assert stored is not None
    assert stored.active is False
    assert stored.revoked_at is not None
    read = client.get(f"/api/v1/badges/{badge.id}", headers=auth(who)).get_json()
    assert read["active"] is False
    assert read["revoked_at"].endswith("Z")


def test_a_member_cannot_revoke_their_own_badge(client, auth, db_session, make_badge, member_a):
    badge = make_badge(member_a)
    assert client.delete(f"/api/v1/badges/{badge.id}", headers=auth("member_a")).status_code == 403
    assert db_session.get(Badge, badge.id).active


def test_an_unknown_badge_is_404(client, auth):
    assert client.get("/api/v1/badges/987654", headers=auth("manager")).status_code == 404
    assert client.delete("/api/v1/badges/987654", headers=auth("manager")).status_code == 404
