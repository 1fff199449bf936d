"""The simulator page: only in the demo, only for managers, a form that says what is wrong."""

from __future__ import annotations

import re

import pytest

from app.demo_system.state import DemoState
from app.models import Device, DeviceKind
from tests.demo.demo_process import free_port

pytestmark = pytest.mark.db


@pytest.fixture
def demo_mode(app, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "DEMO_SIMULATOR", True)
    monkeypatch.setitem(app.config, "DEMO_STATE_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def devices(db_session):
    made = [
        Device(id="main-entrance", kind=DeviceKind.DOOR, label="Main entrance", versions={}),
        Device(id="laser-cutter", kind=DeviceKind.MACHINE, label="Laser cutter", versions={}),
    ]
    db_session.add_all(made)
    db_session.commit()
    return made


@pytest.fixture
def manager_client(db_session, make_member, as_member):
    manager = make_member(role="manager")
    db_session.commit()
    return as_member(manager)


def csrf(client, app, path="/simulator/"):
    """Turn CSRF back on for this test and take the token from the page."""
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


@pytest.fixture
def with_csrf(app):
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def test_outside_the_demo_the_page_does_not_exist(manager_client, devices):
    assert manager_client.get("/simulator/").status_code == 404
    assert manager_client.post("/simulator/", data={"device": "main-entrance"}).status_code == 404


def test_a_production_app_never_shows_it(demo_mode, devices, manager_client, monkeypatch, app):
    monkeypatch.setitem(app.config, "ENV", "production")
    assert manager_client.get("/simulator/").status_code == 404


@pytest.mark.parametrize("role", ["tenant_admin", "member"])
def test_only_managers_may_scan(demo_mode, devices, make_member, as_member, db_session, role):
    client = as_member(make_member(role=role))
    assert client.get("/simulator/").status_code == 403
    answer = client.post("/simulator/", data={"device": "main-entrance", "badge": "04AA"})
    assert answer.status_code == 403


def test_anonymous_visitors_are_sent_to_the_login(demo_mode, client):
    answer = client.get("/simulator/")
    assert answer.status_code == 302
    assert "/login" in answer.headers["Location"]


def test_a_manager_sees_the_simulated_devices_and_the_demo_badges(
    demo_mode, devices, manager_client
):
    page = manager_client.get("/simulator/?device=laser-cutter").get_data(as_text=True)
    assert 'value="main-entrance"' in page
    assert 'selected value="laser-cutter"' in page
    assert "04A1B2C3D4E502" in page  # Bram's badge among the demo badges
    assert "Laser cutter" in page


def test_a_scan_without_the_csrf_token_is_refused(
    demo_mode, devices, manager_client, app, with_csrf
):
    csrf(manager_client, app)
    answer = manager_client.post(
        "/simulator/", data={"device": "main-entrance", "badge": "04A1B2C3D4E502"}
    )
    assert answer.status_code == 400


def test_a_badge_that_is_no_number_is_shown_as_wrong(
    demo_mode, devices, manager_client, app, with_csrf
):
    token = csrf(manager_client, app)
    answer = manager_client.post(
        "/simulator/",
        data={"csrf_token": token, "device": "main-entrance", "badge": "", "other": "not-hex!"},
    )
    assert answer.status_code == 422
    assert 'id="other-error"' in answer.get_data(as_text=True)


def test_a_device_that_is_not_simulated_cannot_be_chosen(demo_mode, devices, manager_client):
    answer = manager_client.post(
        "/simulator/", data={"device": "someone-elses", "badge": "04A1B2C3D4E502"}
    )
    assert answer.status_code == 422


def test_an_unreachable_broker_is_said_plainly(demo_mode, devices, manager_client):
    # a state file naming a port where no broker listens
    DemoState(
        broker="mosquitto",
        host="127.0.0.1",
        port=free_port(),
        protocol="auto",
        simulator_username="demo-simulator",
        simulator_password="x",
    ).save(demo_mode)
    answer = manager_client.post(
        "/simulator/",
        data={"device": "main-entrance", "badge": "04A1B2C3D4E502"},
        follow_redirects=True,
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert 'class="flash error"' in page
