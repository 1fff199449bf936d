"""Who may call the API: bearer tokens only, and only while token, member and tenant live."""

import datetime as dt

import pytest

from app.models import ApiToken, Tenant
from app.services.api_tokens import create_api_token, revoke_api_token
from app.services.members import deactivate_member
from app.services.tenants import deactivate_tenant
from tests.conftest import login

pytestmark = pytest.mark.db


def _assert_unauthorized(response):
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    body = response.get_json()
    assert body["error"] == "unauthorized"
    assert body["message"]


@pytest.mark.parametrize("who", ["manager", "admin_a", "member_a"])
def test_me_answers_the_tokens_own_member(client, auth, people, who):
    response = client.get("/api/v1/me", headers=auth(who))
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == people[who].id
    assert body["email"] == people[who].email
    assert body["role"] == people[who].role.value


def test_without_a_token_the_answer_is_401_with_a_bearer_challenge(client):
    response = client.get("/api/v1/me")
    _assert_unauthorized(response)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    "header",
    [
        "Bearer nonsense",
        "Bearer inc_" + "x" * 43,
        "Bearer inc_" + "x" * 200,
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "inc_abc",
        "Bearer inc_\u00e9\u00e9",
    ],
)
def test_a_garbage_token_is_401(client, header):
    response = client.get("/api/v1/me", headers={"Authorization": header})
    _assert_unauthorized(response)


def test_an_unknown_token_names_the_invalid_token_error(client):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer inc_" + "A" * 43})
    _assert_unauthorized(response)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_the_scheme_name_is_case_insensitive(client, auth):
    headers = {"Authorization": auth("member_a")["Authorization"].replace("Bearer", "bearer")}
    assert client.get("/api/v1/me", headers=headers).status_code == 200


def test_a_revoked_token_is_401(client, db_session, member_a, now):
    token, secret = create_api_token(member=member_a, name="ci", expires_at=None, now=now)
    revoke_api_token(member=member_a, token_id=token.id, now=now)
    db_session.flush()
    _assert_unauthorized(client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}))


def test_an_expired_token_is_401(client, db_session, member_a, now):
    token, secret = create_api_token(
        member=member_a, name="ci", expires_at=now + dt.timedelta(hours=1), now=now
    )
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    token.expires_at = now - dt.timedelta(seconds=1)
    db_session.flush()
    _assert_unauthorized(client.get("/api/v1/me", headers=headers))


def test_a_session_cookie_alone_is_not_logged_in(client, member_a):
    login(client, member_a)
    assert client.get("/").status_code == 200  # the cookie works on the pages
    _assert_unauthorized(client.get("/api/v1/me"))


def test_a_managers_session_cookie_cannot_write_through_the_api(client, manager, snapshot):
    login(client, manager)
    before = snapshot()
    response = client.post(
        "/api/v1/tenants", json={"name": "Via Cookie", "slug": "via-cookie", "sector": "tech"}
    )
    _assert_unauthorized(response)
    assert snapshot() == before


def test_a_deactivated_members_token_is_401(client, db_session, auth, manager, member_a, now):
    headers = auth(member_a)
    deactivate_member(member_a, actor=manager, now=now)
    db_session.flush()
    _assert_unauthorized(client.get("/api/v1/me", headers=headers))


def test_a_token_dies_when_a_manager_deactivates_its_member_through_the_api(client, auth, member_a):
    headers = auth(member_a)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    response = client.delete(f"/api/v1/members/{member_a.id}", headers=auth("manager"))
    assert response.status_code == 204
    _assert_unauthorized(client.get("/api/v1/me", headers=headers))


def test_the_token_of_a_member_of_a_deactivated_tenant_is_401(
    client, db_session, auth, manager, admin_a, tenant_a, now
):
    headers = auth(admin_a)
    deactivate_tenant(tenant_a, actor=manager, now=now)
    db_session.flush()
    _assert_unauthorized(client.get("/api/v1/me", headers=headers))


def test_a_token_dies_when_a_manager_deactivates_its_tenant_through_the_api(
    client, db_session, auth, member_a, tenant_a
):
    headers = auth(member_a)
    response = client.delete(f"/api/v1/tenants/{tenant_a.id}", headers=auth("manager"))
    assert response.status_code == 204
    _assert_unauthorized(client.get("/api/v1/me", headers=headers))
    assert db_session.get(Tenant, tenant_a.id) is not None


def test_the_last_use_is_recorded_at_most_hourly(client, db_session, member_a, now):
    token, secret = create_api_token(member=member_a, name="ci", expires_at=None, now=now)
    db_session.flush()
    headers = {"Authorization": f"Bearer {secret}"}

    client.get("/api/v1/me", headers=headers)
    first = db_session.get(ApiToken, token.id).last_used_at
    assert first is not None

    client.get("/api/v1/me", headers=headers)
    assert db_session.get(ApiToken, token.id).last_used_at == first

    token.last_used_at = first - dt.timedelta(hours=2)
    db_session.flush()
    client.get("/api/v1/me", headers=headers)
    assert db_session.get(ApiToken, token.id).last_used_at >= first


def test_the_api_needs_no_csrf_token(app, client, auth, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post(
        "/api/v1/tenants",
        json={"name": "No Csrf Needed", "slug": "no-csrf", "sector": "tech"},
        headers=auth("manager"),
    )
    assert response.status_code == 201


def test_api_answers_are_not_cached(client, auth):
    response = client.get("/api/v1/me", headers=auth("member_a"))
    assert response.headers["Cache-Control"] == "no-store"


def test_no_answer_carries_a_password_hash_or_a_secret(client, auth, manager, member_a):
    headers = auth("manager")
    created = client.post(
        "/api/v1/members",
        json={
            "email": "new.person@example.org",
            "name": "New Person",
            "role": "member",
            "tenant_id": member_a.tenant_id,
            "password": "a long enough password",
        },
        headers=headers,
    )
    answers = [
        created,
        client.get("/api/v1/me", headers=headers),
        client.get("/api/v1/members?per_page=200", headers=headers),
        client.get(f"/api/v1/members/{member_a.id}", headers=headers),
    ]
    for response in answers:
        assert response.status_code in (200, 201)
        text = response.get_data(as_text=True)
        for secret in (
            "password",
            "argon2",
            "hash",
            "session_nonce",
            "inc_",
            member_a.session_nonce,
        ):
            assert secret not in text


def test_with_a_cookie_and_a_token_the_token_decides(client, auth, manager, member_a, snapshot):
    login(client, manager)
    headers = auth(member_a)
    assert client.get("/api/v1/me", headers=headers).get_json()["id"] == member_a.id
    before = snapshot()
    response = client.post(
        "/api/v1/tenants",
        json={"name": "Cookie Power", "slug": "cookie-power", "sector": "tech"},
        headers=headers,
    )
    assert response.status_code == 403
    assert snapshot() == before


def test_the_document_is_public(client):
    assert client.get("/api/openapi.json").status_code == 200
