"""The tenants' quota plan in the API (`quota_hours`, `allow_overage`), and what it does
to bookings; plus the service's keyword arguments that the tenant form uses too."""

from decimal import Decimal

import pytest

from app.models import AuditLog, Tenant
from app.services.errors import ValidationFailed
from app.services.tenants import create_tenant, update_tenant

pytestmark = pytest.mark.db

NEW = {"name": "Keramiek Klei", "slug": "klei", "sector": "creative"}


def test_a_new_tenant_has_no_quota_unless_given(client, auth):
    body = client.post("/api/v1/tenants", json=NEW, headers=auth("manager")).get_json()
    assert body["quota_hours"] is None
    assert body["allow_overage"] is False


def test_a_manager_gives_a_plan_when_adding_a_tenant(client, auth, db_session):
    plan = {"room": 8, "kitchen": 2.5}
    response = client.post(
        "/api/v1/tenants",
        json={**NEW, "quota_hours": plan, "allow_overage": True},
        headers=auth("manager"),
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["quota_hours"] == {"room": 8.0, "kitchen": 2.5}
    assert body["allow_overage"] is True
    tenant = db_session.get(Tenant, body["id"])
    assert tenant.quota_hours == {"room": 8, "kitchen": 2.5}


def test_a_manager_changes_clears_and_keeps_the_plan(client, auth, tenant_a, db_session):
    url = f"/api/v1/tenants/{tenant_a.id}"
    headers = auth("manager")
    changed = client.patch(url, json={"quota_hours": {"machine": 20}}, headers=headers)
    assert changed.status_code == 200
    assert changed.get_json()["quota_hours"] == {"machine": 20.0}
    kept = client.patch(url, json={"allow_overage": True}, headers=headers).get_json()
    assert (kept["quota_hours"], kept["allow_overage"]) == ({"machine": 20.0}, True)
    cleared = client.patch(url, json={"quota_hours": None}, headers=headers).get_json()
    assert cleared["quota_hours"] is None
    assert cleared["allow_overage"] is True
    entries = db_session.query(AuditLog).filter_by(action="tenant.update").all()
    assert [e.details for e in entries] == [
        {"quota_hours": {"machine": 20}},
        {"allow_overage": True},
        {"quota_hours": None},
    ]


@pytest.mark.parametrize("who", ["admin_a", "member_a"])
def test_tenant_people_read_their_plan_but_cannot_change_it(
    client, auth, tenant_a, db_session, who
):
    tenant_a.quota_hours = {"room": 8}
    db_session.commit()
    url = f"/api/v1/tenants/{tenant_a.id}"
    assert client.get(url, headers=auth(who)).get_json()["quota_hours"] == {"room": 8.0}
    response = client.patch(url, json={"quota_hours": {"room": 800}}, headers=auth(who))
    assert response.status_code in (403, 422)
    refused = client.patch(url, json={"allow_overage": True}, headers=auth(who))
    assert refused.status_code == 403
    db_session.refresh(tenant_a)
    assert (tenant_a.quota_hours, tenant_a.allow_overage) == ({"room": 8}, False)


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ({"hall": 8}, "Choose one of the listed values."),
        ({"room": 745}, "This number is out of range."),
        ({"room": -1}, "This number is out of range."),
        ({"room": "8"}, "This must be a number."),
        ({"room": True}, "This must be a number."),
        ({"room": None}, "This must be a number."),
        ([8], "This must be a JSON object."),
        ("room=8", "This must be a JSON object."),
    ],
)
def test_a_bad_plan_is_refused_on_the_field(client, auth, tenant_a, plan, message):
    response = client.patch(
        f"/api/v1/tenants/{tenant_a.id}", json={"quota_hours": plan}, headers=auth("manager")
    )
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"quota_hours": message}


def test_allow_overage_must_be_a_boolean(client, auth, tenant_a):
    response = client.patch(
        f"/api/v1/tenants/{tenant_a.id}", json={"allow_overage": "yes"}, headers=auth("manager")
    )
    assert response.get_json()["fields"] == {"allow_overage": "This must be true or false."}


def test_the_plan_is_documented(client):
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    plan = schemas["TenantCreate"]["properties"]["quota_hours"]["anyOf"][0]
    assert plan["additionalProperties"] == {"type": "number", "minimum": 0, "maximum": 744}
    assert {"quota_hours", "allow_overage"} <= set(schemas["TenantOut"]["required"])


# -- the service, as the tenant form calls it ------------------------------------------


def test_the_service_takes_the_plan_as_keyword_arguments(manager, db_session, now):
    tenant = create_tenant(
        actor=manager,
        name="Form Co",
        slug="form-co",
        sector="tech",
        quota_hours={"room": Decimal("8.0"), "machine": 12.5},
        allow_overage=False,
    )
    assert tenant.quota_hours == {"room": 8, "machine": 12.5}
    update_tenant(tenant, actor=manager, quota_hours={}, allow_overage=True, now=now)
    assert (tenant.quota_hours, tenant.allow_overage) == ({}, True)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"quota_hours": {"lab": 1}}, "quota_hours"),
        ({"quota_hours": {"room": Decimal("744.5")}}, "quota_hours"),
        ({"quota_hours": {"room": float("nan")}}, "quota_hours"),
        ({"quota_hours": {"room": float("inf")}}, "quota_hours"),
        ({"quota_hours": "8"}, "quota_hours"),
        ({"allow_overage": "true"}, "allow_overage"),
    ],
)
def test_the_service_refuses_a_bad_plan(manager, tenant_a, now, kwargs, field):
    with pytest.raises(ValidationFailed) as caught:
        update_tenant(tenant_a, actor=manager, now=now, **kwargs)
    assert set(caught.value.fields) == {field}


# -- the plan at work --------------------------------------------------------------------


def test_a_booking_past_the_plan_is_refused_with_what_is_left(
    client, auth, tenant_a, post_booking, db_session
):
    client.patch(
        f"/api/v1/tenants/{tenant_a.id}", json={"quota_hours": {"room": 3}}, headers=auth("manager")
    )
    assert post_booking("member_a", "2026-12-02T10:00", "2026-12-02T12:00").status_code == 201
    response = post_booking("admin_a", "2026-12-03T10:00", "2026-12-03T12:00")
    assert response.status_code == 422
    body = response.get_json()
    assert body["rule"] == "quota_exceeded"
    assert body["message"] == (
        "This booking needs 2.00 h but your company has 1.00 h of 3 h left for this month."
    )
    # the plan allows overage: the same booking goes through
    client.patch(
        f"/api/v1/tenants/{tenant_a.id}", json={"allow_overage": True}, headers=auth("manager")
    )
    assert post_booking("admin_a", "2026-12-03T10:00", "2026-12-03T12:00").status_code == 201


def test_a_manager_booking_for_a_member_counts_for_their_company_but_not_for_the_incubator(
    client, auth, tenant_a, member_a, post_booking
):
    client.patch(
        f"/api/v1/tenants/{tenant_a.id}", json={"quota_hours": {"room": 1}}, headers=auth("manager")
    )
    for_member = post_booking(
        "manager", "2026-12-02T10:00", "2026-12-02T12:00", booked_for=member_a.id
    )
    assert for_member.get_json()["rule"] == "quota_exceeded"
    assert post_booking("manager", "2026-12-02T10:00", "2026-12-02T12:00").status_code == 201
