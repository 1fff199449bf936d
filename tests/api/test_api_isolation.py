"""Tenant isolation: people of tenant A never see or change tenant B's objects.

Another tenant's object answers exactly like one that does not exist (404 for a
URL, "Unknown ..." for a reference in a body), and is absent from every list.
"""

import pytest

from app.models import Badge, Member, Qualification, ResourceKind, Tenant
from app.services.qualifications import grant_qualification

pytestmark = pytest.mark.db

TENANT_A = ["admin_a", "member_a"]
MISSING = 987654


@pytest.fixture
def b_objects(db_session, make_badge, make_resource, manager, tenant_b, admin_b, member_b, now):  # type: ignore[no-untyped-def]
    """Tenant B's objects, by kind."""
    laser = make_resource(slug="laser", kind=ResourceKind.MACHINE)
    qualification = grant_qualification(
        actor=manager, member=member_b, resource=laser, expires_at=None, now=now
    )
    db_session.flush()
    return {
        "tenant": tenant_b.id,
        "member": member_b.id,
        "admin": admin_b.id,
        "badge": make_badge(member_b).id,
        "qualification": qualification.id,
    }


DETAIL_AND_WRITE = [
    ("GET", "/api/v1/tenants/{tenant}", None),
    ("PATCH", "/api/v1/tenants/{tenant}", {"name": "Taken Over"}),
    ("DELETE", "/api/v1/tenants/{tenant}", None),
    ("GET", "/api/v1/members/{member}", None),
    ("GET", "/api/v1/members/{admin}", None),
    ("PATCH", "/api/v1/members/{member}", {"name": "Taken Over"}),
    ("PATCH", "/api/v1/members/{admin}", {"role": "member"}),
    ("DELETE", "/api/v1/members/{member}", None),
    ("GET", "/api/v1/badges/{badge}", None),
    ("DELETE", "/api/v1/badges/{badge}", None),
    ("GET", "/api/v1/qualifications/{qualification}", None),
    ("DELETE", "/api/v1/qualifications/{qualification}", None),
]


def _missing_url(url):
    return url.format(
        tenant=MISSING, member=MISSING, admin=MISSING, badge=MISSING, qualification=MISSING
    )


@pytest.mark.parametrize("who", TENANT_A)
@pytest.mark.parametrize(("method", "url", "body"), DETAIL_AND_WRITE)
def test_another_tenants_object_is_404_like_a_missing_one(
    client, auth, snapshot, b_objects, who, method, url, body
):
    headers = auth(who)
    before = snapshot()
    response = client.open(url.format(**b_objects), method=method, json=body, headers=headers)
    missing = client.open(_missing_url(url), method=method, json=body, headers=headers)
    assert response.status_code == 404
    assert response.get_json() == missing.get_json()
    assert snapshot() == before


def test_nothing_of_tenant_b_changed(client, auth, db_session, b_objects):
    for who in TENANT_A:
        for method, url, body in DETAIL_AND_WRITE:
            client.open(url.format(**b_objects), method=method, json=body, headers=auth(who))
    assert db_session.get(Tenant, b_objects["tenant"]).is_active
    assert db_session.get(Tenant, b_objects["tenant"]).name == "Brouwerij Bravo"
    assert db_session.get(Member, b_objects["member"]).active
    assert db_session.get(Member, b_objects["member"]).name == "Bea Member"
    assert db_session.get(Badge, b_objects["badge"]).active
    assert db_session.get(Qualification, b_objects["qualification"]).revoked_at is None


LISTS = [
    ("/api/v1/tenants?include_inactive=true", "tenant"),
    ("/api/v1/members?include_inactive=true&per_page=200", "member"),
    ("/api/v1/members?include_inactive=true&per_page=200", "admin"),
    ("/api/v1/members?tenant_id={tenant}", "member"),
    ("/api/v1/badges?include_revoked=true", "badge"),
    ("/api/v1/badges?member_id={member}", "badge"),
    ("/api/v1/qualifications?include_revoked=true", "qualification"),
    ("/api/v1/qualifications?member_id={member}", "qualification"),
]


@pytest.mark.parametrize("who", TENANT_A)
@pytest.mark.parametrize(("url", "kind"), LISTS)
def test_another_tenants_objects_are_absent_from_lists(client, auth, b_objects, who, url, kind):
    response = client.get(url.format(**b_objects), headers=auth(who))
    assert response.status_code == 200
    assert b_objects[kind] not in {item["id"] for item in response.get_json()["items"]}


@pytest.mark.parametrize(("url", "kind"), LISTS)
def test_the_manager_sees_them_in_the_same_lists(client, auth, b_objects, url, kind):
    response = client.get(url.format(**b_objects), headers=auth("manager"))
    assert b_objects[kind] in {item["id"] for item in response.get_json()["items"]}


def test_a_tenant_admin_cannot_badge_another_tenants_member(client, auth, snapshot, b_objects):
    headers = auth("admin_a")
    before = snapshot()
    theirs = client.post(
        "/api/v1/badges",
        json={"uid": "04A22B1C", "member_id": b_objects["member"]},
        headers=headers,
    )
    missing = client.post(
        "/api/v1/badges", json={"uid": "04A22B1C", "member_id": MISSING}, headers=headers
    )
    assert theirs.status_code == 422
    assert theirs.get_json() == missing.get_json()
    assert theirs.get_json()["fields"] == {"member_id": "Unknown member."}
    assert snapshot() == before


def test_a_tenant_admin_cannot_add_members_to_another_tenant(client, auth, snapshot, b_objects):
    headers = auth("admin_a")
    before = snapshot()
    body = {"email": "spy@example.org", "name": "Spy", "role": "member"}
    theirs = client.post(
        "/api/v1/members", json={**body, "tenant_id": b_objects["tenant"]}, headers=headers
    )
    missing = client.post("/api/v1/members", json={**body, "tenant_id": MISSING}, headers=headers)
    assert theirs.status_code == 422
    assert theirs.get_json() == missing.get_json()
    assert snapshot() == before


def test_a_member_of_a_cannot_badge_a_member_of_b(client, auth, snapshot, b_objects):
    headers = auth("member_a")
    before = snapshot()
    response = client.post(
        "/api/v1/badges",
        json={"uid": "04A22B1C", "member_id": b_objects["member"]},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"member_id": "Unknown member."}
    assert snapshot() == before
