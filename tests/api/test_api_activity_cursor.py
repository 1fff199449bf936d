"""Reading the device history page after page while it grows: the `before` cursor of
/api/v1/access-events and /api/v1/usage-sessions, and the event type filter."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from app.models import AccessEvent, Device, DeviceKind, ResourceKind, UsageSession

pytestmark = pytest.mark.db

T0 = dt.datetime(2030, 3, 4, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def door(db_session):  # type: ignore[no-untyped-def]
    device = Device(id="door-main", kind=DeviceKind.DOOR)
    db_session.add(device)
    db_session.commit()
    return device


@pytest.fixture
def add_event(db_session, door):  # type: ignore[no-untyped-def]
    def add(member: Any, at: dt.datetime, type_: str = "access.decision") -> AccessEvent:
        event = AccessEvent(
            event_id=str(uuid.uuid4()),
            device_id=door.id,
            type=type_,
            boot="0badf00d",
            seq=1,
            member_id=member.id,
            tenant_id=member.tenant_id,
            granted=True if type_ == "access.decision" else None,
            device_time=at,
        )
        db_session.add(event)
        db_session.commit()
        return event

    return add


def ids_of(client, auth, who, path):  # type: ignore[no-untyped-def]
    answer = client.get(path, headers=auth(who))
    assert answer.status_code == 200, answer.get_json()
    return [item["id"] for item in answer.get_json()["items"]]


def test_following_the_cursor_neither_repeats_nor_skips_while_events_arrive(  # type: ignore[no-untyped-def]
    client, auth, add_event, member_a
):
    # ten events, two of them at the same moment (the id breaks the tie)
    for minute in (0, 1, 2, 3, 4, 4, 5, 6, 7, 8):
        add_event(member_a, T0 + dt.timedelta(minutes=minute))
    first = ids_of(client, auth, "manager", "/api/v1/access-events?per_page=4")
    assert len(first) == 4
    # two new events arrive (one late, from a Pi that was offline: an old device time)
    add_event(member_a, T0 + dt.timedelta(minutes=9))
    late = add_event(member_a, T0 - dt.timedelta(minutes=1))
    seen = list(first)
    while True:
        page = ids_of(
            client, auth, "manager", f"/api/v1/access-events?per_page=4&before={seen[-1]}"
        )
        if not page:
            break
        seen += page
    assert len(seen) == len(set(seen)) == 11  # the ten, and the late one at the end
    assert seen[-1] == late.id
    # the old way, by page number, shows the first page's last event again on page 2
    second = ids_of(client, auth, "manager", "/api/v1/access-events?per_page=4&page=2")
    assert first[-1] in second


def test_the_cursor_follows_device_time_then_id(client, auth, add_event, member_a):  # type: ignore[no-untyped-def]
    a = add_event(member_a, T0)
    b = add_event(member_a, T0)
    c = add_event(member_a, T0 - dt.timedelta(seconds=1))
    assert ids_of(client, auth, "manager", "/api/v1/access-events") == [b.id, a.id, c.id]
    assert ids_of(client, auth, "manager", f"/api/v1/access-events?before={b.id}") == [a.id, c.id]
    assert ids_of(client, auth, "manager", f"/api/v1/access-events?before={a.id}") == [c.id]


def test_a_cursor_outside_the_callers_list_is_422(  # type: ignore[no-untyped-def]
    client, auth, add_event, member_a, member_b
):
    theirs = add_event(member_b, T0)
    mine = add_event(member_a, T0 - dt.timedelta(minutes=1))
    answer = client.get(f"/api/v1/access-events?before={theirs.id}", headers=auth("member_a"))
    assert answer.status_code == 422
    assert "before" in answer.get_json()["fields"]
    unknown = client.get("/api/v1/access-events?before=999999", headers=auth("manager"))
    assert unknown.status_code == 422
    # the same event is a cursor for the manager, whose list holds it
    assert ids_of(client, auth, "manager", f"/api/v1/access-events?before={theirs.id}") == [mine.id]


def test_events_of_one_type(client, auth, add_event, member_a):  # type: ignore[no-untyped-def]
    decision = add_event(member_a, T0)
    add_event(member_a, T0 + dt.timedelta(seconds=5), type_="door.opened")
    found = ids_of(client, auth, "manager", "/api/v1/access-events?type=access.decision")
    assert found == [decision.id]
    bad = client.get("/api/v1/access-events?type=DROP%20TABLE", headers=auth("manager"))
    assert bad.status_code == 422
    assert "type" in bad.get_json()["fields"]


def test_usage_sessions_follow_the_cursor_too(  # type: ignore[no-untyped-def]
    client, auth, db_session, make_resource, member_a
):
    laser = make_resource(slug="laser", kind=ResourceKind.MACHINE)
    sessions = []
    for hour in (0, 1, 1, 2):
        session = UsageSession(
            session_id=str(uuid.uuid4()),
            device_id="laser-1",
            boot="0badf00d",
            resource_id=laser.id,
            member_id=member_a.id,
            tenant_id=member_a.tenant_id,
            started_at=T0 + dt.timedelta(hours=hour),
            ended_at=T0 + dt.timedelta(hours=hour, minutes=30),
            last_event_at=T0,
        )
        db_session.add(session)
        db_session.commit()
        sessions.append(session)
    newest_first = [sessions[3].id, sessions[2].id, sessions[1].id, sessions[0].id]
    assert ids_of(client, auth, "manager", "/api/v1/usage-sessions") == newest_first
    after = ids_of(client, auth, "manager", f"/api/v1/usage-sessions?before={sessions[2].id}")
    assert after == newest_first[2:]


def test_a_page_of_events_reads_an_index_not_the_table(
    client, auth, add_event, member_a, db_session
):  # type: ignore[no-untyped-def]
    """Newest first and after a cursor, the list walks ix_access_event_time (migration
    0011) instead of sorting every event the building ever had."""
    bind = db_session.get_bind()
    if bind.dialect.name != "sqlite":
        pytest.skip("SQLite query plans")
    from sqlalchemy import event

    first = add_event(member_a, T0)
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM access_event" in statement and "ORDER BY" in statement:
            captured.append((statement, parameters))

    event.listen(bind, "before_cursor_execute", capture)
    try:
        ids_of(client, auth, "manager", "/api/v1/access-events")
        ids_of(client, auth, "manager", f"/api/v1/access-events?before={first.id}")
    finally:
        event.remove(bind, "before_cursor_execute", capture)
    assert len(captured) == 2
    for statement, parameters in captured:
        rows = bind.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        plan = " | ".join(row[-1] for row in rows.all())
        assert "TEMP B-TREE" not in plan, plan
        assert "ix_access_event_time" in plan, plan
