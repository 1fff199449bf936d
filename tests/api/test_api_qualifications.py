"""/api/v1/qualifications: managers grant and revoke; the others read what they may see."""

import datetime as dt

import pytest

from app.models import Qualification, ResourceKind

pytestmark = pytest.mark.db


@pytest.fixture
def laser(make_resource):  # type: ignore[no-untyped-def]
    return make_resource(
        slug="laser", name="Laser", kind=ResourceKind.MACHINE, training_required=True
    )


@pytest.fixture
def grant(db_session, manager, laser, now):  # type: ignore[no-untyped-def]
    def make(member, resource=None):
        from app.services.qualifications import grant_qualification

        found = grant_qualification(
            actor=manager, member=member, resource=resource or laser, expires_at=None, now=now
        )
        db_session.flush()
        return found

    return make


def test_a_manager_grants_a_qualification(client, auth, db_session, manager, member_a, laser):
    response = client.post(
        "/api/v1/qualifications",
        json={
            "member_id": member_a.id,
            "resource": "laser",
            "expires_at": "2030-03-01T14:30:00+01:00",
        },
        headers=auth("manager"),
    )
    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/qualifications/{body['id']}")
    assert body["member_id"] == member_a.id
    assert body["resource"] == "laser"
    assert body["resource_id"] == laser.id
    assert body["granted_by_id"] == manager.id
    assert body["expires_at"] == "2030-03-01T13:30:00Z"
    assert db_session.get(Qualification, body["id"]).revoked_at is None


def test_a_moment_without_an_offset_is_facility_local_time(client, auth, member_a, laser):
    response = client.post(
        "/api/v1/qualifications",
        json={"member_id": member_a.id, "resource": "laser", "expires_at": "2030-07-01T12:00:00"},
        headers=auth("manager"),
    )
    assert response.status_code == 201
    assert response.get_json()["expires_at"] == "2030-07-01T10:00:00Z"  # Brussels, summer time


def test_without_an_expiry_it_does_not_expire(client, auth, member_a, laser):
    response = client.post(
        "/api/v1/qualifications",
        json={"member_id": member_a.id, "resource": "laser"},
        headers=auth("manager"),
    )
    assert response.status_code == 201
    assert response.get_json()["expires_at"] is None


def test_granting_again_renews_the_current_grant(client, auth, member_a, laser, grant):
    first = grant(member_a)
    response = client.post(
        "/api/v1/qualifications",
        json={"member_id": member_a.id, "resource": "laser", "expires_at": "2031-01-01T00:00:00Z"},
        headers=auth("manager"),
    )
    assert response.status_code == 201
    assert response.get_json()["id"] == first.id
    assert response.get_json()["expires_at"] == "2031-01-01T00:00:00Z"


def test_an_expiry_in_the_past_is_422(client, auth, snapshot, member_a, laser):
    headers = auth("manager")
    before = snapshot()
    response = client.post(
        "/api/v1/qualifications",
        json={"member_id": member_a.id, "resource": "laser", "expires_at": "2020-01-01T00:00:00Z"},
        headers=headers,
    )
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"expires_at"}
    assert snapshot() == before


def test_an_unknown_resource_or_member_is_422(client, auth, member_a, laser):
    headers = auth("manager")
    response = client.post(
        "/api/v1/qualifications",
        json={"member_id": member_a.id, "resource": "nope"},
        headers=headers,
    )
    assert response.get_json()["fields"] == {"resource": "Unknown resource."}
    response = client.post(
        "/api/v1/qualifications", json={"member_id": 987654, "resource": "laser"}, headers=headers
    )
    assert response.get_json()["fields"] == {"member_id": "Unknown member."}


@pytest.mark.parametrize("who", ["admin_a", "member_a"])
def test_only_managers_grant_and_revoke(
    client, auth, db_session, snapshot, member_a, laser, grant, who
):
    existing = grant(member_a)
    headers = auth(who)
    before = snapshot()
    response = client.post(
        "/api/v1/qualifications",
        json={"member_id": member_a.id, "resource": "laser"},
        headers=headers,
    )
    assert response.status_code == 403
    assert (
        client.delete(f"/api/v1/qualifications/{existing.id}", headers=headers).status_code == 403
    )
    assert snapshot() == before
    assert db_session.get(Qualification, existing.id).revoked_at is None


def test_listing_is_scoped_to_what_each_role_may_see(
    client, auth, admin_a, member_a, member_b, grant
):
    mine, colleague, other = grant(member_a), grant(admin_a), grant(member_b)

    def ids(who):
        return {
            q["id"]
            for q in client.get("/api/v1/qualifications", headers=auth(who)).get_json()["items"]
        }

    assert {mine.id, colleague.id, other.id} <= ids("manager")
    assert ids("admin_a") == {mine.id, colleague.id}
    assert ids("member_a") == {mine.id}


def test_the_member_and_resource_filters(client, auth, make_resource, member_a, admin_a, grant):
    printer = make_resource(slug="printer", kind=ResourceKind.MACHINE)
    on_laser, on_printer, _colleague = grant(member_a), grant(member_a, printer), grant(admin_a)
    by_member = client.get(
        f"/api/v1/qualifications?member_id={member_a.id}", headers=auth("manager")
    )
    assert {q["id"] for q in by_member.get_json()["items"]} == {on_laser.id, on_printer.id}
    both = client.get(
        f"/api/v1/qualifications?member_id={member_a.id}&resource=printer", headers=auth("manager")
    )
    assert [q["id"] for q in both.get_json()["items"]] == [on_printer.id]


def test_an_unknown_resource_filter_is_422(client, auth):
    response = client.get("/api/v1/qualifications?resource=nope", headers=auth("manager"))
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"resource"}


@pytest.mark.parametrize("who", ["manager", "admin_a", "member_a"])
def test_reading_a_visible_qualification(client, auth, member_a, grant, who):
    found = grant(member_a)
    response = client.get(f"/api/v1/qualifications/{found.id}", headers=auth(who))
    assert response.status_code == 200
    assert response.get_json()["resource"] == "laser"


def test_delete_revokes_and_keeps_the_row(client, auth, db_session, member_a, grant):
    found = grant(member_a)
    response = client.delete(f"/api/v1/qualifications/{found.id}", headers=auth("manager"))
    assert response.status_code == 204
    stored = db_session.get(Qualification, found.id)
    assert stored is not None
    assert stored.revoked_at is not None
    listed = client.get("/api/v1/qualifications", headers=auth("manager")).get_json()
    assert found.id not in {q["id"] for q in listed["items"]}
    everything = client.get(
        "/api/v1/qualifications?include_revoked=true", headers=auth("manager")
    ).get_json()
    assert found.id in {q["id"] for q in everything["items"]}
    revoked_at = dt.datetime.fromisoformat(
        client.get(f"/api/v1/qualifications/{found.id}", headers=auth("manager")).get_json()[
            "revoked_at"
        ]
    )
    assert revoked_at.tzinfo is not None


def test_an_unknown_qualification_is_404(client, auth):
    assert client.get("/api/v1/qualifications/987654", headers=auth("manager")).status_code == 404
    assert (
        client.delete("/api/v1/qualifications/987654", headers=auth("manager")).status_code == 404
    )
