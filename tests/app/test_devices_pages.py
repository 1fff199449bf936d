"""The devices pages, as a manager uses them; nobody else gets in."""

import html
import re

import pytest
import sqlalchemy as sa

from app.models import (
    AccessEvent,
    AuditLog,
    CommandState,
    Device,
    DeviceCommand,
    DeviceKind,
    DeviceOutbox,
    OutboxKind,
)
from app.models.device import AccountChange
from bridge_protocol.config import parse_config
from bridge_protocol.keys import key_id
from tests.support.device_keys import ensure_server_keys, server_public_key

pytestmark = pytest.mark.db


@pytest.fixture(autouse=True)
def server_keys(app):
    ensure_server_keys(app)


@pytest.fixture
def manager(make_member):
    return make_member(role="manager")


@pytest.fixture
def as_manager(sign_in, manager):
    return sign_in(manager)


@pytest.fixture
def door(db_session):
    device = Device(id="door-main", kind=DeviceKind.DOOR, label="Front door")
    db_session.add(device)
    db_session.commit()
    return device


def shown_config(page: str) -> str:
    found = re.search(r'<pre id="bridge-config">(.*?)</pre>', page, re.S)
    assert found, "no bridge config on the page"
    return html.unescape(found.group(1))


def shown_password(page: str) -> str:
    found = re.search(r'<code id="device-password">(.*?)</code>', page)
    assert found, "no password on the page"
    return html.unescape(found.group(1))


def test_managers_find_the_devices_in_the_menu(as_manager, door):
    page = as_manager.get("/devices/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'href="/devices/"' in text
    assert "door-main" in text
    assert "offline" in text


def test_registering_shows_the_password_and_a_working_config_once(as_manager, app, db_session):
    response = as_manager.post(
        "/devices/new", data={"id": "door-main", "kind": "door", "resource": "", "label": "Front"}
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    password = shown_password(page)
    config = parse_config(shown_config(page), environ={})
    assert config.device.id == "door-main"
    assert config.mqtt.resolved_password({}) == password
    assert config.keys.server_public_keys[0].kid == key_id(server_public_key(app))
    assert 'download="bridge-door-main.toml"' in page
    db_session.expire_all()
    assert db_session.get(Device, "door-main").label == "Front"
    rows = db_session.scalars(sa.select(DeviceOutbox).where(DeviceOutbox.device_id == "door-main"))
    assert password not in " ".join(str(r.secret) for r in rows)
    details = db_session.scalars(sa.select(AuditLog.details)).all()
    assert password not in repr(details)
    again = as_manager.get("/devices/door-main")
    assert password not in again.get_data(as_text=True)


@pytest.mark.parametrize("bad_id", ["Door", "-x", "a", "door main", "<script>", "x" * 40])
def test_a_bad_id_shows_the_form_again(as_manager, db_session, bad_id):
    response = as_manager.post("/devices/new", data={"id": bad_id, "kind": "door"})
    assert response.status_code == 422
    assert "Cache-Control" not in response.headers or "no-store" not in response.headers.get(
        "Cache-Control", ""
    )
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Device)) == 0


def test_a_machine_without_resource_is_refused_on_the_form(as_manager, db_session):
    response = as_manager.post("/devices/new", data={"id": "laser-1", "kind": "machine"})
    assert response.status_code == 422
    assert "needs the resource" in response.get_data(as_text=True)


def test_without_the_server_keys_nothing_is_registered(as_manager, app, db_session, tmp_path):
    original = app.config["SIGNING_KEY_FILE"]
    app.config["SIGNING_KEY_FILE"] = str(tmp_path / "missing.key")
    try:
        response = as_manager.post("/devices/new", data={"id": "door-main", "kind": "door"})
    finally:
        app.config["SIGNING_KEY_FILE"] = original
    assert response.status_code == 503
    assert "incubator keys init" in response.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Device)) == 0


def test_the_detail_page_sends_commands_and_shows_their_state(as_manager, door, db_session):
    page = as_manager.get("/devices/door-main").get_data(as_text=True)
    assert "Unlock for 5 seconds" in page
    assert "Power off" not in page  # a door has no power to switch
    response = as_manager.post("/devices/door-main/commands", data={"command": "unlock"})
    assert response.status_code == 302
    (command,) = db_session.scalars(sa.select(DeviceCommand)).all()
    assert (command.command, command.args, command.state) == (
        "unlock",
        {"seconds": 5},
        CommandState.QUEUED,
    )
    assert "queued" in as_manager.get("/devices/door-main").get_data(as_text=True)


def test_the_detail_page_lists_the_last_events_in_words(
    as_manager, door, db_session, make_member, now
):
    member = make_member(name="Wout Werker")
    db_session.add(
        AccessEvent(
            event_id="9c5b0a4e-2f0f-4d1b-8a51-3f1d2b7c0001",
            device_id="door-main",
            type="access.decision",
            boot="0badf00d",
            seq=7,
            member_id=member.id,
            granted=False,
            reason="outside_hours",
            device_time=now,
        )
    )
    db_session.commit()
    page = as_manager.get("/devices/door-main").get_data(as_text=True)
    assert "Wout Werker" in page
    assert "badge scanned" in page
    assert "outside opening hours" in page


def test_a_lockout_from_the_page(as_manager, door, db_session):
    as_manager.post("/devices/door-main/commands", data={"command": "lockout", "on": "1"})
    (command,) = db_session.scalars(sa.select(DeviceCommand)).all()
    assert command.args == {"on": True}


def test_a_command_a_door_cannot_take_is_refused(as_manager, door, db_session):
    response = as_manager.post("/devices/door-main/commands", data={"command": "power_off"})
    assert response.status_code == 422
    assert db_session.scalar(sa.select(sa.func.count()).select_from(DeviceCommand)) == 0


def test_rotating_asks_first_then_shows_the_new_config_once(as_manager, door, db_session):
    confirm = as_manager.get("/devices/door-main/rotate")
    assert confirm.status_code == 200
    assert db_session.scalar(sa.select(sa.func.count()).select_from(DeviceOutbox)) == 0
    response = as_manager.post("/devices/door-main/rotate")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert parse_config(shown_config(page), environ={}).mqtt.resolved_password(
        {}
    ) == shown_password(page)
    (row,) = db_session.scalars(sa.select(DeviceOutbox)).all()
    assert row.reason == AccountChange.UPSERT


def test_deleting_asks_first_then_deactivates(as_manager, door, db_session):
    assert as_manager.get("/devices/door-main/delete").status_code == 200
    response = as_manager.post("/devices/door-main/delete")
    assert response.status_code == 302
    db_session.expire_all()
    assert not db_session.get(Device, "door-main").active
    (row,) = db_session.scalars(
        sa.select(DeviceOutbox).where(DeviceOutbox.kind == OutboxKind.ACCOUNT)
    ).all()
    assert row.reason == AccountChange.DELETE
    link = 'href="/devices/door-main"'
    assert link not in as_manager.get("/devices/").get_data(as_text=True)
    assert link in as_manager.get("/devices/?all=1").get_data(as_text=True)


def test_editing_a_doors_label_and_unlock_schedule(as_manager, door, db_session):
    response = as_manager.post(
        "/devices/door-main/edit",
        data={"label": "Main entrance", "resource": "", "hours_mon": "08:00-12:00"},
    )
    assert response.status_code == 302
    db_session.expire_all()
    edited = db_session.get(Device, "door-main")
    assert edited.label == "Main entrance"
    assert edited.unlock_schedule["mon"] == [["08:00", "12:00"]]


def test_an_unknown_device_is_a_404(as_manager):
    assert as_manager.get("/devices/no-such-door").status_code == 404
    assert as_manager.get("/devices/NOT_AN_ID").status_code == 404


@pytest.mark.parametrize("role", ["tenant_admin", "member"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/devices/"),
        ("get", "/devices/new"),
        ("post", "/devices/new"),
        ("get", "/devices/door-main"),
        ("post", "/devices/door-main/commands"),
        ("post", "/devices/door-main/rotate"),
        ("post", "/devices/door-main/delete"),
    ],
)
def test_nobody_but_managers_gets_in(sign_in, make_member, door, db_session, role, method, path):
    client = sign_in(make_member(role=role))
    response = getattr(client, method)(
        path, data={"id": "door-x", "kind": "door", "command": "unlock"}
    )
    assert response.status_code == 403
    assert db_session.scalar(sa.select(sa.func.count()).select_from(DeviceOutbox)) == 0
    assert db_session.scalar(sa.select(sa.func.count()).select_from(DeviceCommand)) == 0


def test_the_menu_has_no_devices_link_for_others(sign_in, make_member):
    client = sign_in(make_member(role="tenant_admin"))
    assert 'href="/devices/"' not in client.get("/").get_data(as_text=True)
