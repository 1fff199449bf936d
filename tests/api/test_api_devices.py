"""/api/v1/devices, /api/v1/access-events and /api/v1/usage-sessions."""

import datetime as dt
import json
import uuid

import pytest
import sqlalchemy as sa

from app.models import (
    AccessEvent,
    AuditLog,
    Base,
    Device,
    DeviceCommand,
    DeviceKind,
    DeviceOutbox,
    ResourceKind,
    UsageSession,
)
from bridge_protocol.config import parse_config
from bridge_protocol.keys import key_id
from tests.support.device_keys import ensure_server_keys, server_public_key

pytestmark = pytest.mark.db
JSON = {"Content-Type": "application/json"}


@pytest.fixture(autouse=True)
def server_keys(app):
    ensure_server_keys(app)


@pytest.fixture
def door(db_session):
    device = Device(id="door-main", kind=DeviceKind.DOOR)
    db_session.add(device)
    db_session.commit()
    return device


@pytest.fixture
def laser(db_session, make_resource):
    resource = make_resource(slug="laser", kind=ResourceKind.MACHINE)
    device = Device(id="laser-1", kind=DeviceKind.MACHINE, resource=resource)
    db_session.add(device)
    db_session.commit()
    return device


@pytest.fixture
def post(client, auth):
    def call(path, body=None, who="manager", raw=None):
        data = raw if raw is not None else json.dumps(body or {})
        return client.post(path, data=data, headers={**auth(who), **JSON})

    return call


def stored_text(db_session):
    return "\n".join(
        repr(tuple(row))
        for table in Base.metadata.sorted_tables
        for row in db_session.execute(sa.select(table))
    )


# -- registering ---------------------------------------------------------------------------


def test_registering_answers_the_password_and_config_once(post, app, db_session):
    response = post("/api/v1/devices", {"id": "door-main", "kind": "door", "label": "Front"})
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Location"].endswith("/api/v1/devices/door-main")
    body = response.get_json()
    assert body["device"]["id"] == "door-main"
    assert body["device"]["resource"] is None
    assert body["device"]["active"] is True
    config = parse_config(body["bridge_config"], environ={})
    assert config.mqtt.resolved_password({}) == body["password"]
    assert config.mqtt.username == "door-main"
    assert config.keys.server_public_keys[0].kid == key_id(server_public_key(app))
    db_session.expire_all()
    assert body["password"] not in stored_text(db_session)


def test_a_machine_is_registered_with_its_resource(post, make_resource):
    make_resource(slug="laser", kind=ResourceKind.MACHINE)
    response = post("/api/v1/devices", {"id": "laser-1", "kind": "machine", "resource": "laser"})
    assert response.status_code == 201
    assert response.get_json()["device"]["resource"] == "laser"
    assert parse_config(response.get_json()["bridge_config"], environ={}).device.resource == "laser"


@pytest.mark.parametrize(
    "bad_id", ["", "a", "-door", "Door", "door_1", "door main", "x" * 33, "door\u202e", "d/../x"]
)
def test_ids_outside_the_pattern_are_422(post, db_session, bad_id):
    response = post("/api/v1/devices", {"id": bad_id, "kind": "door"})
    assert response.status_code == 422
    assert "id" in response.get_json()["fields"]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Device)) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"id": "door-a", "kind": "gate"}, "kind"),
        ({"id": "door-a"}, "kind"),
        ({"id": 7, "kind": "door"}, "id"),
        ({"id": "door-a", "kind": "door", "resource": "Not A Slug"}, "resource"),
        ({"id": "door-a", "kind": "door", "resource": "nowhere"}, "resource"),
        ({"id": "laser-1", "kind": "machine"}, "resource"),
        ({"id": "door-a", "kind": "door", "password": "mine"}, "password"),
        ({"id": "door-a", "kind": "door", "label": "x" * 121}, "label"),
    ],
)
def test_bad_bodies_are_422_with_the_field(post, body, field):
    response = post("/api/v1/devices", body)
    assert response.status_code == 422
    assert field in response.get_json()["fields"]


def test_hostile_bodies_are_refused(post, client, auth):
    assert post("/api/v1/devices", raw="{not json").status_code == 400
    assert post("/api/v1/devices", raw="[1, 2]").status_code == 422
    plain = client.post("/api/v1/devices", data="id=x", headers=auth("manager"))
    assert plain.status_code == 415


def test_an_id_in_use_is_a_conflict(post, door):
    assert post("/api/v1/devices", {"id": "door-main", "kind": "door"}).status_code == 409


def test_without_keys_nothing_is_registered(post, app, db_session, tmp_path):
    original = app.config["BADGE_KEY_FILE"]
    app.config["BADGE_KEY_FILE"] = str(tmp_path / "missing.key")
    try:
        response = post("/api/v1/devices", {"id": "door-main", "kind": "door"})
    finally:
        app.config["BADGE_KEY_FILE"] = original
    assert response.status_code == 503
    assert response.get_json()["error"] == "unavailable"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Device)) == 0


# -- reading, rotating, deleting -------------------------------------------------------------


def test_managers_list_and_read_devices(client, auth, door, laser):
    listed = client.get("/api/v1/devices", headers=auth("manager")).get_json()
    assert [d["id"] for d in listed["items"]] == ["door-main", "laser-1"]
    one = client.get("/api/v1/devices/laser-1", headers=auth("manager")).get_json()
    assert one["kind"] == "machine"
    assert one["resource"] == "laser"
    assert one["online"] is False
    assert "password" not in one


def test_an_unknown_device_is_a_404(client, auth):
    for path in ("/api/v1/devices/nope", "/api/v1/devices/NOT_VALID"):
        assert client.get(path, headers=auth("manager")).status_code == 404


def test_rotating_answers_a_new_password_once(post, door, db_session):
    first = post("/api/v1/devices/door-main/rotate-credentials")
    second = post("/api/v1/devices/door-main/rotate-credentials", raw="")
    assert first.status_code == second.status_code == 200
    assert first.headers["Cache-Control"] == "no-store"
    one, two = first.get_json(), second.get_json()
    assert one["password"] != two["password"]
    assert (
        parse_config(two["bridge_config"], environ={}).mqtt.resolved_password({})
        == (two["password"])
    )
    db_session.expire_all()
    text = stored_text(db_session)
    assert one["password"] not in text
    assert two["password"] not in text


def test_deleting_answers_204_and_keeps_the_device(client, auth, door, db_session, post):
    response = client.delete("/api/v1/devices/door-main", headers=auth("manager"))
    assert response.status_code == 204
    assert client.delete("/api/v1/devices/door-main", headers=auth("manager")).status_code == 204
    db_session.expire_all()
    assert db_session.get(Device, "door-main").active is False
    assert post("/api/v1/devices/door-main/rotate-credentials").status_code == 422
    listed = client.get("/api/v1/devices?include_inactive=true", headers=auth("manager"))
    assert listed.get_json()["items"][0]["active"] is False


def test_device_actions_are_audited_without_the_password(post, client, auth, db_session):
    password = post("/api/v1/devices", {"id": "door-main", "kind": "door"}).get_json()["password"]
    post("/api/v1/devices/door-main/rotate-credentials")
    client.delete("/api/v1/devices/door-main", headers=auth("manager"))
    db_session.expire_all()
    entries = db_session.scalars(sa.select(AuditLog).order_by(AuditLog.id)).all()
    actions = [e.action for e in entries if e.object_id == "door-main"]
    assert actions == ["device.register", "device.rotate_credentials", "device.delete"]
    assert password not in repr([e.details for e in entries])


# -- commands ---------------------------------------------------------------------------------


def test_a_command_answers_202_and_its_state_reads_back(post, client, auth, door, db_session):
    response = post("/api/v1/devices/door-main/commands", {"command": "unlock", "seconds": 5})
    assert response.status_code == 202
    body = response.get_json()
    assert body["state"] == "queued"
    uuid.UUID(body["id"])
    path = f"/api/v1/devices/door-main/commands/{body['id']}"
    read = client.get(path, headers=auth("manager")).get_json()
    assert read["state"] == "queued"
    assert read["command"] == "unlock"
    assert read["args"] == {"seconds": 5}
    assert read["device"] == "door-main"
    command = db_session.get(DeviceCommand, body["id"])
    command.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    db_session.commit()
    assert client.get(path, headers=auth("manager")).get_json()["state"] == "expired"


@pytest.mark.parametrize(
    "body",
    [
        {"command": "power_off"},
        {"command": "lockout", "on": True},
        {"command": "lockout", "on": False},
        {"command": "resync"},
    ],
)
def test_every_command_of_the_contract_is_accepted(post, laser, body):
    assert post("/api/v1/devices/laser-1/commands", body).status_code == 202


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"command": "unlock", "seconds": 0}, 422),
        ({"command": "unlock", "seconds": 61}, 422),
        ({"command": "unlock", "seconds": "5"}, 422),
        ({"command": "reboot"}, 422),
        ({"command": "lockout"}, 422),
        ({"command": "power_off"}, 422),  # a door has no power to switch
        ({"command": "resync", "nonce": "x"}, 422),
    ],
)
def test_bad_commands_are_refused(post, door, db_session, body, status):
    assert post("/api/v1/devices/door-main/commands", body).status_code == status
    assert db_session.scalar(sa.select(sa.func.count()).select_from(DeviceCommand)) == 0


def test_a_command_of_another_device_is_a_404(post, client, auth, door, laser):
    cid = post("/api/v1/devices/laser-1/commands", {"command": "resync"}).get_json()["id"]
    response = client.get(f"/api/v1/devices/door-main/commands/{cid}", headers=auth("manager"))
    assert response.status_code == 404


# -- isolation --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin_a", "member_a"])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/devices", None),
        ("post", "/api/v1/devices", {"id": "door-x", "kind": "door"}),
        ("get", "/api/v1/devices/door-main", None),
        ("delete", "/api/v1/devices/door-main", None),
        ("post", "/api/v1/devices/door-main/rotate-credentials", {}),
        ("post", "/api/v1/devices/door-main/commands", {"command": "unlock"}),
    ],
)
def test_only_managers_reach_the_devices(client, auth, door, db_session, who, method, path, body):
    options = {"headers": auth(who)}
    if body is not None:
        options["json"] = body
    response = getattr(client, method)(path, **options)
    assert response.status_code == 403
    assert db_session.scalar(sa.select(sa.func.count()).select_from(DeviceOutbox)) == 0
    assert db_session.scalar(sa.select(sa.func.count()).select_from(DeviceCommand)) == 0


# -- access events and sessions ------------------------------------------------------------------


@pytest.fixture
def history(db_session, door, laser, member_a, member_b, admin_a):
    """Door entries and laser sessions of both companies, on two days."""
    day1 = dt.datetime(2030, 3, 4, 9, 0, tzinfo=dt.UTC)
    day2 = day1 + dt.timedelta(days=1)

    def event(device, member, at, granted=True, type_="access.decision"):
        db_session.add(
            AccessEvent(
                event_id=str(uuid.uuid4()),
                device_id=device.id,
                type=type_,
                boot="0badf00d",
                seq=1,
                member_id=member.id,
                tenant_id=member.tenant_id,
                resource_id=device.resource_id,
                granted=granted,
                reason="ok" if granted else "outside_hours",
                mode="online",
                device_time=at,
            )
        )

    event(door, member_a, day1)
    event(door, member_a, day1 + dt.timedelta(hours=3))
    event(door, admin_a, day1 + dt.timedelta(hours=1))
    event(door, member_a, day2)
    event(door, member_a, day2 + dt.timedelta(hours=1), granted=False)
    event(door, member_b, day1)
    event(laser, member_a, day1)  # a machine, not a door entry
    for member, start in ((member_a, day1), (member_b, day2)):
        db_session.add(
            UsageSession(
                session_id=str(uuid.uuid4()),
                device_id=laser.id,
                boot="0badf00d",
                resource_id=laser.resource_id,
                member_id=member.id,
                tenant_id=member.tenant_id,
                started_at=start,
                ended_at=start + dt.timedelta(minutes=90),
                last_event_at=start,
                busy_s=5000,
            )
        )
    db_session.commit()
    return {"day1": day1, "day2": day2}


def get(client, auth, who, path):
    response = client.get(path, headers=auth(who))
    return response.status_code, response.get_json()


def test_managers_see_every_access_event_and_filter_them(client, auth, history, member_a, tenant_b):
    status, page = get(client, auth, "manager", "/api/v1/access-events")
    assert status == 200
    assert page["total"] == 7
    _, theirs = get(client, auth, "manager", f"/api/v1/access-events?tenant={tenant_b.id}")
    assert theirs["total"] == 1
    _, laser = get(client, auth, "manager", "/api/v1/access-events?device=laser-1")
    assert laser["total"] == 1
    _, mine = get(client, auth, "manager", f"/api/v1/access-events?member={member_a.id}")
    assert mine["total"] == 5
    _, day2 = get(
        client, auth, "manager", "/api/v1/access-events?start=2030-03-05T00:00:00Z&end=2030-03-06"
    )
    assert day2["total"] == 2
    _, by_resource = get(client, auth, "manager", "/api/v1/access-events?resource=laser")
    assert by_resource["total"] == 1


@pytest.mark.parametrize(("who", "expected"), [("member_a", 5), ("admin_a", 1), ("member_b", 1)])
def test_everyone_else_sees_only_their_own_events(client, auth, history, people, who, expected):
    _, page = get(client, auth, who, "/api/v1/access-events")
    assert page["total"] == expected
    assert {item["member_id"] for item in page["items"]} == {people[who].id}


def test_filters_cannot_widen_what_a_member_sees(client, auth, history, member_b, tenant_b):
    _, page = get(client, auth, "member_a", f"/api/v1/access-events?member={member_b.id}")
    assert page["total"] == 0
    _, page = get(client, auth, "admin_a", f"/api/v1/usage-sessions?tenant={tenant_b.id}")
    assert page["total"] == 0


def test_tenant_admins_get_door_entries_as_daily_company_counts(client, auth, history, tenant_a):
    status, body = get(
        client, auth, "admin_a", "/api/v1/access-events/daily?start=2030-03-01&end=2030-03-10"
    )
    assert status == 200
    assert body["tenant"] == tenant_a.id
    assert body["items"] == [
        {"date": "2030-03-04", "entries": 3, "people": 2},
        {"date": "2030-03-05", "entries": 1, "people": 1},
    ]
    assert "member_id" not in str(body)


def test_a_tenant_admin_cannot_count_another_company(client, auth, history, tenant_b):
    _, body = get(
        client,
        auth,
        "admin_a",
        f"/api/v1/access-events/daily?tenant={tenant_b.id}&start=2030-03-01&end=2030-03-10",
    )
    assert body["tenant"] != tenant_b.id
    assert sum(day["entries"] for day in body["items"]) == 4


def test_managers_count_any_company_and_members_none(client, auth, history, tenant_b):
    _, body = get(
        client,
        auth,
        "manager",
        f"/api/v1/access-events/daily?tenant={tenant_b.id}&start=2030-03-01&end=2030-03-10",
    )
    assert body["items"] == [{"date": "2030-03-04", "entries": 1, "people": 1}]
    status, _ = get(client, auth, "member_a", "/api/v1/access-events/daily")
    assert status == 403


@pytest.mark.parametrize(("who", "expected"), [("manager", 2), ("admin_a", 1), ("member_a", 1)])
def test_usage_sessions_per_role(client, auth, history, who, expected):
    _, page = get(client, auth, who, "/api/v1/usage-sessions")
    assert page["total"] == expected
    assert page["items"][0]["duration_s"] == 90 * 60
    assert page["items"][0]["resource"] == "laser"


def test_admin_b_does_not_see_company_a_sessions(client, auth, history, member_a):
    _, page = get(client, auth, "admin_b", "/api/v1/usage-sessions")
    assert member_a.id not in {item["member_id"] for item in page["items"]}
    assert page["total"] == 1


def test_a_reversed_period_is_refused(client, auth, history):
    status, body = get(
        client, auth, "manager", "/api/v1/usage-sessions?start=2030-03-05&end=2030-03-04"
    )
    assert status == 422
    assert "end" in body["fields"]
