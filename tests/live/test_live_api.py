"""GET /api/v1/live: the live view for managers' scripts and wall screens."""

from __future__ import annotations

import datetime as dt

import pytest

pytestmark = pytest.mark.db

LIVE = "/api/v1/live"
SCANNED = dt.datetime(2026, 11, 24, 9, 42, 5, tzinfo=dt.UTC)


@pytest.fixture
def front_door(make_device):  # type: ignore[no-untyped-def]
    return make_device("door-main", label="Front door", online=True)


def test_managers_read_events_with_codes_ids_and_local_times(
    client, api_token, manager, make_member, make_badge, front_door, reporter
):
    member = make_member(name="Ada Lovelace")
    make_badge(member, uid="04A1B2C3")
    reporter("door-main").scan("04A1B2C3", granted=True, member=member.id, at=SCANNED)

    response = client.get(LIVE, headers=api_token(manager))

    assert response.status_code == 200
    data = response.get_json()
    [event] = data["events"]
    assert event["device"] == "door-main"
    assert event["member_id"] == member.id
    assert event["member"] == "Ada Lovelace"
    assert event["reason"] == "ok"
    assert event["at"] == "2026-11-24T10:42:05+01:00"
    assert data["devices"] == {"online": 1, "offline": 0}
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_an_unchanged_view_answers_304(client, api_token, manager, front_door, reporter):
    reporter("door-main").scan("04DEAD01", granted=False)
    headers = api_token(manager)
    first = client.get(LIVE, headers=headers)

    again = client.get(LIVE, headers={**headers, "If-None-Match": first.headers["ETag"]})
    reporter("door-main").scan("04DEAD02", granted=False)
    changed = client.get(LIVE, headers={**headers, "If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304
    assert again.get_data() == b""
    assert changed.status_code == 200
    assert len(changed.get_json()["events"]) == 2


@pytest.mark.parametrize("role", ["tenant_admin", "member"])
def test_others_get_403_in_the_api_error_shape(
    client, api_token, make_member, role, front_door, reporter
):
    reporter("door-main").scan("04DEAD01", granted=False)

    response = client.get(LIVE, headers=api_token(make_member(role=role)))

    assert response.status_code == 403
    assert "door-main" not in response.get_data(as_text=True)
    assert response.get_json()["error"] == "forbidden"


def test_the_operation_is_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]

    assert "get" in paths["/api/v1/live"]
