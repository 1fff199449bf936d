import pytest

pytestmark = pytest.mark.db


def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b"Log in" in response.data


def test_manager_sees_tenants(as_member, make_member, make_tenant):
    manager = make_member(role="manager")
    make_tenant(name="Houtatelier")
    client = as_member(manager)
    response = client.get("/manage/tenants/")
    assert response.status_code == 200
    assert b"Houtatelier" in response.data
