"""The managers' live view: the JSON the dashboard polls, its ETag, and who may read it."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from app.models import AlertKind, DeviceAlert

pytestmark = pytest.mark.db

LIVE = "/dashboard/live.json"
# 09:42:05 UTC on a November day is 10:42:05 in Brussels (CET, UTC+1).
SCANNED = dt.datetime(2026, 11, 24, 9, 42, 5, tzinfo=dt.UTC)


@pytest.fixture
def laser(make_resource, make_device):  # type: ignore[no-untyped-def]
    from app.models import ResourceKind

    cutter = make_resource(name="Laser cutter", slug="laser", kind=ResourceKind.MACHINE)
    return make_device("laser-1", "machine", label="Laser Pi", resource_id=cutter.id)


@pytest.fixture
def front_door(make_device):  # type: ignore[no-untyped-def]
    return make_device("door-main", label="Front door", online=True)


def test_managers_get_the_latest_events_in_brussels_time(
    sign_in, manager, make_member, make_badge, front_door, reporter
):
    member = make_member(name="Ada Lovelace")
    badge = make_badge(member, uid="04A1B2C3")
    door = reporter("door-main")
    door.scan(badge.uid, granted=True, member=member.id, at=SCANNED)
    door.scan("04DEAD01", granted=False, at=SCANNED + dt.timedelta(seconds=10))

    response = sign_in(manager).get(LIVE)

    assert response.status_code == 200
    data = response.get_json()
    newest, granted = data["events"][:2]
    assert newest["device"] == "door-main"
    assert newest["device_name"] == "Front door"
    assert newest["granted"] is False
    assert newest["reason"] == "unknown_badge"
    assert newest["reason_label"] == "unknown badge"
    assert newest["member"] is None
    assert granted["member"] == "Ada Lovelace"
    assert granted["decision"] == "granted"
    assert granted["at"] == "2026-11-24T10:42:05+01:00"
    assert "10:42" in granted["time"]
    assert data["devices"] == {"online": 1, "offline": 0}


def test_a_running_machine_session_is_listed_with_its_resource(
    sign_in, manager, make_member, make_badge, laser, reporter
):
    member = make_member(name="Grace Hopper")
    make_badge(member, uid="04C0FFEE")
    pi = reporter("laser-1")
    started = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=12)
    pi.send(pi.events.start(str(uuid.uuid4()), member.id, "04C0FFEE", at=started))

    data = sign_in(manager).get(LIVE).get_json()

    [session] = data["sessions"]
    assert session["resource"] == "Laser cutter"
    assert session["member"] == "Grace Hopper"
    assert data["events"][0]["type"] == "session.start"
    assert data["events"][0]["resource"] == "Laser cutter"
    assert data["devices"] == {"online": 0, "offline": 1}


def test_the_answer_carries_a_strong_etag_and_is_revalidated_every_time(
    sign_in, manager, front_door
):
    response = sign_in(manager).get(LIVE)

    etag, weak = response.get_etag()
    assert etag
    assert not weak
    assert response.headers["ETag"] == f'"{etag}"'
    assert "no-cache" in response.headers["Cache-Control"]


def test_an_unchanged_view_answers_304_without_a_body(sign_in, manager, front_door, reporter):
    reporter("door-main").scan("04DEAD01", granted=False)
    client = sign_in(manager)
    first = client.get(LIVE)

    again = client.get(LIVE, headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert "no-cache" in again.headers["Cache-Control"]


def test_a_new_scan_changes_the_etag_and_comes_first(sign_in, manager, front_door, reporter):
    door = reporter("door-main")
    door.scan("04DEAD01", granted=False)
    client = sign_in(manager)
    first = client.get(LIVE)

    door.scan("04BEEF02", granted=False)
    after = client.get(LIVE, headers={"If-None-Match": first.headers["ETag"]})

    assert after.status_code == 200
    assert after.headers["ETag"] != first.headers["ETag"]
    assert [e["id"] for e in after.get_json()["events"]][1:] == [
        e["id"] for e in first.get_json()["events"]
    ]


def test_a_device_going_offline_changes_the_etag(sign_in, manager, front_door, db_session):
    client = sign_in(manager)
    first = client.get(LIVE)

    front_door.online = False
    db_session.commit()
    after = client.get(LIVE, headers={"If-None-Match": first.headers["ETag"]})

    assert after.status_code == 200
    assert after.get_json()["devices"] == {"online": 0, "offline": 1}


def test_open_alerts_are_listed(sign_in, manager, front_door, db_session):
    opened = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)
    db_session.add(
        DeviceAlert(
            device_id="door-main",
            kind=AlertKind.OFFLINE,
            incident_key="seen:1",
            opened_at=opened,
            notified_at=opened + dt.timedelta(minutes=10),
        )
    )
    # Offline, but not long enough yet to be told: not listed either.
    db_session.add(
        DeviceAlert(
            device_id="door-main",
            kind=AlertKind.OFFLINE,
            incident_key="seen:2",
            opened_at=opened + dt.timedelta(minutes=18),
        )
    )
    db_session.add(
        DeviceAlert(
            device_id="door-main",
            kind=AlertKind.FORCED_DOOR,
            incident_key="event:1",
            opened_at=opened,
            cleared_at=opened + dt.timedelta(minutes=1),
        )
    )

    data = sign_in(manager).get(LIVE).get_json()

    assert [(a["kind"], a["device_name"]) for a in data["alerts"]] == [("offline", "Front door")]
    assert data["alerts"][0]["kind_label"] == "device offline"
    assert data["alerts"][0]["url"] == "/devices/door-main"


@pytest.mark.parametrize("role", ["tenant_admin", "member"])
def test_only_managers_may_read_the_live_view(sign_in, make_member, role, front_door, reporter):
    reporter("door-main").scan("04DEAD01", granted=False)

    response = sign_in(make_member(role=role)).get(LIVE)

    assert response.status_code == 403
    assert b"door-main" not in response.get_data()


def test_strangers_are_sent_to_the_login_page(client):
    response = client.get(LIVE)

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_dashboard_draws_the_same_rows_without_javascript(
    sign_in, manager, make_member, make_badge, front_door, reporter
):
    member = make_member(name="Ada Lovelace")
    make_badge(member, uid="04A1B2C3")
    reporter("door-main").scan("04A1B2C3", granted=True, member=member.id)

    page = sign_in(manager).get("/").get_data(as_text=True)

    assert 'data-live-url="/dashboard/live.json"' in page
    assert "Ada Lovelace" in page
    assert "Front door" in page
    assert "/static/live.js" in page


def test_other_dashboards_have_no_live_view(sign_in, make_member, front_door, reporter):
    member = make_member(name="Someone Else")
    reporter("door-main").scan("04DEAD01", granted=False)

    page = sign_in(make_member(role="tenant_admin")).get("/").get_data(as_text=True)

    assert "data-live-url" not in page
    assert "live.js" not in page
    assert member.name not in page


def test_an_offline_device_becoming_an_alert_changes_the_etag(
    sign_in, manager, front_door, db_session
):
    alert = DeviceAlert(
        device_id="door-main",
        kind=AlertKind.OFFLINE,
        incident_key="seen:1",
        opened_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10),
    )
    db_session.add(alert)
    client = sign_in(manager)
    first = client.get(LIVE)

    alert.notified_at = dt.datetime.now(dt.UTC)
    db_session.commit()
    after = client.get(LIVE, headers={"If-None-Match": first.headers["ETag"]})

    assert first.get_json()["alerts"] == []
    assert after.status_code == 200
    assert [a["kind"] for a in after.get_json()["alerts"]] == ["offline"]
