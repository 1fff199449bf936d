"""/api/v1/tenants: managers manage tenants; the others read only their own."""

import pytest

from app.models import AuditLog, Tenant, TenantStatus

pytestmark = pytest.mark.db

NEW = {"name": "Keramiek Klei", "slug": "klei", "sector": "creative"}


def test_a_manager_adds_a_tenant_and_gets_201_with_its_id_and_location(client, auth, db_session):
    body = {
        **NEW,
        "contract_start": "2025-01-01",
        "contract_end": "2027-12-31",
        "public_opt_in": True,
    }
    response = client.post("/api/v1/tenants", json=body, headers=auth("manager"))
    assert response.status_code == 201
    created = response.get_json()
    assert created["id"] > 0
    assert response.headers["Location"].endswith(f"/api/v1/tenants/{created['id']}")
    assert created["name"] == "Keramiek Klei"
    assert created["slug"] == "klei"
    assert created["sector"] == "creative"
    assert created["status"] == "active"
    assert created["contract_start"] == "2025-01-01"
    assert created["contract_end"] == "2027-12-31"
    assert created["public_opt_in"] is True
    assert created["created_at"].endswith("Z")
    tenant = db_session.get(Tenant, created["id"])
    assert tenant.name == "Keramiek Klei"
    assert client.get(response.headers["Location"], headers=auth("manager")).status_code == 200


def test_creating_a_tenant_is_audited(client, auth, count):
    headers = auth("manager")
    before = count(AuditLog)
    client.post("/api/v1/tenants", json=NEW, headers=headers)
    assert count(AuditLog) == before + 1


@pytest.mark.parametrize("who", ["admin_a", "member_a"])
def test_only_managers_add_tenants(client, auth, snapshot, who):
    headers = auth(who)
    before = snapshot()
    response = client.post("/api/v1/tenants", json=NEW, headers=headers)
    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"
    assert snapshot() == before


def test_a_duplicate_name_is_422_on_the_name(client, auth, tenant_a):
    response = client.post(
        "/api/v1/tenants", json={**NEW, "name": tenant_a.name.upper()}, headers=auth("manager")
    )
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"name"}


def test_a_contract_that_ends_before_it_starts_is_422(client, auth):
    body = {**NEW, "contract_start": "2026-01-01", "contract_end": "2025-01-01"}
    response = client.post("/api/v1/tenants", json=body, headers=auth("manager"))
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"contract_end"}


def test_a_manager_lists_every_active_tenant(client, auth, tenant_a, tenant_b):
    response = client.get("/api/v1/tenants", headers=auth("manager"))
    assert response.status_code == 200
    slugs = {t["slug"] for t in response.get_json()["items"]}
    assert {"alfa", "bravo"} <= slugs


def test_deactivated_tenants_are_listed_only_when_asked(client, auth, manager, tenant_b):
    client.delete(f"/api/v1/tenants/{tenant_b.id}", headers=auth("manager"))
    default = client.get("/api/v1/tenants", headers=auth("manager")).get_json()
    everything = client.get("/api/v1/tenants?include_inactive=true", headers=auth("manager"))
    assert "bravo" not in {t["slug"] for t in default["items"]}
    assert "bravo" in {t["slug"] for t in everything.get_json()["items"]}


@pytest.mark.parametrize("who", ["admin_a", "member_a"])
def test_tenant_people_list_and_read_only_their_own_tenant(client, auth, tenant_a, tenant_b, who):
    listed = client.get("/api/v1/tenants", headers=auth(who)).get_json()
    assert [t["id"] for t in listed["items"]] == [tenant_a.id]
    assert listed["total"] == 1
    response = client.get(f"/api/v1/tenants/{tenant_a.id}", headers=auth(who))
    assert response.status_code == 200
    assert response.get_json()["slug"] == "alfa"


def test_a_manager_reads_any_tenant(client, auth, tenant_b):
    response = client.get(f"/api/v1/tenants/{tenant_b.id}", headers=auth("manager"))
    assert response.status_code == 200
    assert response.get_json()["name"] == "Brouwerij Bravo"


def test_a_manager_changes_only_the_fields_sent(client, auth, db_session, tenant_a):
    response = client.patch(
        f"/api/v1/tenants/{tenant_a.id}",
        json={"sector": "tech", "contract_end": "2030-06-30"},
        headers=auth("manager"),
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["sector"] == "tech"
    assert body["contract_end"] == "2030-06-30"
    assert body["name"] == "Atelier Alfa"
    tenant = db_session.get(Tenant, tenant_a.id)
    assert tenant.sector.value == "tech"


def test_a_contract_date_is_cleared_with_null(client, auth, db_session, make_tenant):
    import datetime as dt

    tenant = make_tenant(contract_end=dt.date(2030, 1, 1))
    response = client.patch(
        f"/api/v1/tenants/{tenant.id}", json={"contract_end": None}, headers=auth("manager")
    )
    assert response.status_code == 200
    assert response.get_json()["contract_end"] is None


def test_an_empty_patch_changes_nothing(client, auth, count, tenant_a):
    headers = auth("manager")
    before = count(AuditLog)
    response = client.patch(f"/api/v1/tenants/{tenant_a.id}", json={}, headers=headers)
    assert response.status_code == 200
    assert count(AuditLog) == before


@pytest.mark.parametrize("who", ["admin_a", "member_a"])
def test_tenant_people_cannot_change_their_own_tenant(client, auth, db_session, tenant_a, who):
    response = client.patch(
        f"/api/v1/tenants/{tenant_a.id}", json={"name": "Hijacked"}, headers=auth(who)
    )
    assert response.status_code == 403
    assert db_session.get(Tenant, tenant_a.id).name == "Atelier Alfa"


@pytest.mark.parametrize("who", ["admin_a", "member_a"])
def test_tenant_people_cannot_deactivate_their_own_tenant(client, auth, db_session, tenant_a, who):
    response = client.delete(f"/api/v1/tenants/{tenant_a.id}", headers=auth(who))
    assert response.status_code == 403
    assert db_session.get(Tenant, tenant_a.id).is_active


def test_delete_deactivates_the_tenant_and_keeps_the_row(client, auth, db_session, tenant_b):
    response = client.delete(f"/api/v1/tenants/{tenant_b.id}", headers=auth("manager"))
    assert response.status_code == 204
    assert response.data == b""
    tenant = db_session.get(Tenant, tenant_b.id)
    assert tenant is not None
    assert tenant.status == TenantStatus.INACTIVE
    assert tenant.deactivated_at is not None
    again = client.get(f"/api/v1/tenants/{tenant_b.id}", headers=auth("manager")).get_json()
    assert again["status"] == "inactive"
    assert again["deactivated_at"].endswith("Z")


def test_deleting_twice_is_harmless(client, auth, tenant_b):
    assert (
        client.delete(f"/api/v1/tenants/{tenant_b.id}", headers=auth("manager")).status_code == 204
    )
    assert (
        client.delete(f"/api/v1/tenants/{tenant_b.id}", headers=auth("manager")).status_code == 204
    )


def test_a_manager_reactivates_a_tenant_with_patch(client, auth, tenant_b, member_b):
    client.delete(f"/api/v1/tenants/{tenant_b.id}", headers=auth("manager"))
    response = client.patch(
        f"/api/v1/tenants/{tenant_b.id}", json={"active": True}, headers=auth("manager")
    )
    assert response.status_code == 200
    assert response.get_json()["status"] == "active"
    assert response.get_json()["deactivated_at"] is None


def test_an_unknown_tenant_is_404(client, auth):
    for method in ("GET", "PATCH", "DELETE"):
        response = client.open(
            "/api/v1/tenants/987654", method=method, json={}, headers=auth("manager")
        )
        assert response.status_code == 404
        assert response.get_json()["error"] == "not_found"
