"""/api/v1/resources: every member reads them; only managers change them."""

import pytest

from app.models import Resource, ResourceKind

pytestmark = pytest.mark.db

NEW = {"slug": "lasercutter", "name": "Lasercutter", "kind": "machine"}


@pytest.fixture
def fablab(make_resource):  # type: ignore[no-untyped-def]
    return make_resource(slug="fablab", name="Fablab", kind=ResourceKind.ROOM)


def test_a_manager_adds_a_resource_with_defaults(client, auth, db_session):
    response = client.post("/api/v1/resources", json=NEW, headers=auth("manager"))
    assert response.status_code == 201
    body = response.get_json()
    assert body["id"] > 0
    assert response.headers["Location"].endswith("/api/v1/resources/lasercutter")
    assert body["kind"] == "machine"
    assert body["status"] == "available"
    assert body["min_minutes"] == 30
    assert body["hourly_rate"] == "0.00"
    assert body["parent"] is None
    assert db_session.get(Resource, body["id"]).name == "Lasercutter"


def test_a_manager_adds_a_machine_inside_the_fablab_with_its_rules(client, auth, fablab):
    body = {
        **NEW,
        "parent": "fablab",
        "training_required": True,
        "min_minutes": 15,
        "max_minutes": 240,
        "hourly_rate": "12.5",
        "privacy": "company",
        "opening_hours": {"mon": [["08:00", "12:00"], ["13:00", "18:00"]], "sun": []},
        "qualification_valid_days": 365,
    }
    response = client.post("/api/v1/resources", json=body, headers=auth("manager"))
    assert response.status_code == 201
    created = response.get_json()
    assert created["parent"] == "fablab"
    assert created["training_required"] is True
    assert created["hourly_rate"] == "12.50"
    assert created["opening_hours"]["mon"] == [["08:00", "12:00"], ["13:00", "18:00"]]
    assert created["qualification_valid_days"] == 365


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"min_minutes": 0}, "min_minutes"),
        ({"min_minutes": 600, "max_minutes": 60}, "min_minutes"),
        ({"opening_hours": {"mon": [["18:00", "08:00"]]}}, "opening_hours"),
        ({"hourly_rate": -1}, "hourly_rate"),
        ({"parent": "no-such-room"}, "parent"),
        ({"slug": "fablab"}, "slug"),
    ],
)
def test_the_services_rules_answer_422(client, auth, snapshot, fablab, fields, bad):
    headers = auth("manager")
    before = snapshot()
    response = client.post("/api/v1/resources", json={**NEW, **fields}, headers=headers)
    assert response.status_code == 422
    assert bad in response.get_json()["fields"]
    assert snapshot() == before


@pytest.mark.parametrize("who", ["manager", "admin_a", "member_a"])
def test_every_member_lists_and_reads_resources(client, auth, fablab, who):
    listed = client.get("/api/v1/resources", headers=auth(who))
    assert listed.status_code == 200
    assert "fablab" in {r["slug"] for r in listed.get_json()["items"]}
    read = client.get("/api/v1/resources/fablab", headers=auth(who))
    assert read.status_code == 200
    assert read.get_json()["name"] == "Fablab"


def test_the_kind_filter(client, auth, fablab, make_resource):
    make_resource(slug="printer", kind=ResourceKind.MACHINE)
    body = client.get("/api/v1/resources?kind=machine", headers=auth("member_a")).get_json()
    assert {r["slug"] for r in body["items"]} == {"printer"}


@pytest.mark.parametrize("who", ["admin_a", "member_a"])
def test_only_managers_change_resources(client, auth, db_session, snapshot, fablab, who):
    headers = auth(who)
    before = snapshot()
    assert client.post("/api/v1/resources", json=NEW, headers=headers).status_code == 403
    assert (
        client.patch("/api/v1/resources/fablab", json={"name": "Mine"}, headers=headers).status_code
        == 403
    )
    assert client.delete("/api/v1/resources/fablab", headers=headers).status_code == 403
    assert snapshot() == before
    assert db_session.get(Resource, fablab.id).name == "Fablab"
    assert db_session.get(Resource, fablab.id).active


def test_a_manager_changes_only_the_fields_sent(client, auth, fablab):
    response = client.patch(
        "/api/v1/resources/fablab",
        json={"status": "maintenance", "approval_required": True, "hourly_rate": 20},
        headers=auth("manager"),
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["approval_required"], body["hourly_rate"]) == (
        "maintenance",
        True,
        "20.00",
    )
    assert body["name"] == "Fablab"


def test_a_machine_is_moved_out_of_its_room_with_a_null_parent(client, auth, fablab, make_resource):
    make_resource(slug="printer", kind=ResourceKind.MACHINE, parent=fablab)
    response = client.patch(
        "/api/v1/resources/printer", json={"parent": None}, headers=auth("manager")
    )
    assert response.status_code == 200
    assert response.get_json()["parent"] is None


def test_the_slug_cannot_be_changed(client, auth, fablab):
    response = client.patch(
        "/api/v1/resources/fablab", json={"slug": "other"}, headers=auth("manager")
    )
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"slug": "Unknown field."}


def test_delete_deactivates_and_keeps_the_row(client, auth, db_session, fablab):
    response = client.delete("/api/v1/resources/fablab", headers=auth("manager"))
    assert response.status_code == 204
    resource = db_session.get(Resource, fablab.id)
    assert resource is not None
    assert resource.active is False
    assert resource.deactivated_at is not None
    # Managers still see it; the others no longer do.
    assert (
        client.get("/api/v1/resources/fablab", headers=auth("manager")).get_json()["active"]
        is False
    )
    assert client.get("/api/v1/resources/fablab", headers=auth("member_a")).status_code == 404
    listed = client.get("/api/v1/resources", headers=auth("member_a")).get_json()
    assert "fablab" not in {r["slug"] for r in listed["items"]}


def test_deactivated_resources_are_listed_for_managers_when_asked(client, auth, fablab):
    client.delete("/api/v1/resources/fablab", headers=auth("manager"))
    for who, expected in (("manager", True), ("member_a", False)):
        body = client.get("/api/v1/resources?include_inactive=true", headers=auth(who)).get_json()
        assert ("fablab" in {r["slug"] for r in body["items"]}) is expected


def test_patch_active_true_reactivates(client, auth, fablab):
    client.delete("/api/v1/resources/fablab", headers=auth("manager"))
    response = client.patch(
        "/api/v1/resources/fablab", json={"active": True}, headers=auth("manager")
    )
    assert response.status_code == 200
    assert response.get_json()["active"] is True
    assert client.get("/api/v1/resources/fablab", headers=auth("member_a")).status_code == 200


def test_an_unknown_resource_is_404(client, auth):
    for method in ("GET", "PATCH", "DELETE"):
        response = client.open(
            "/api/v1/resources/nope", method=method, json={}, headers=auth("manager")
        )
        assert response.status_code == 404
