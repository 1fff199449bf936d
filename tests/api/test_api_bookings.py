"""/api/v1/bookings: booking, reading, listing, approving, rejecting and checking in, per role.

The clock stands at Tuesday 1 December 2026, 09:00 in Brussels (UTC+1); the room
follows the building's hours (weekdays 07:00-22:00).
"""

import datetime as dt

import pytest

from app.models import AuditLog, Booking, BookingStatus, OutgoingMail

pytestmark = pytest.mark.db

WED_10 = "2026-12-02T10:00"
WED_11 = "2026-12-02T11:00"


def test_a_member_books_the_room_and_gets_201_with_the_booking(
    post_booking, member_a, tenant_a, db_session
):
    response = post_booking("member_a", WED_10, WED_11, title="Team meeting")
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "confirmed"
    assert body["start"] == "2026-12-02T10:00:00+01:00"
    assert body["end"] == "2026-12-02T11:00:00+01:00"
    assert body["resource"] == "room"
    assert body["title"] == "Team meeting"
    assert body["tenant_id"] == tenant_a.id
    assert body["booked_by"] == body["booked_for"] == member_a.id
    assert body["series_id"] is None
    assert body["checked_in_at"] is None
    assert body["occurrences"] == [
        {k: v for k, v in body.items() if k not in {"occurrences", "skipped"}}
    ]
    assert body["skipped"] == []
    assert response.headers["Location"].endswith(f"/api/v1/bookings/{body['id']}")
    stored = db_session.get(Booking, body["id"])
    assert stored.start == dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


def test_a_time_with_an_offset_is_that_instant(post_booking):
    body = post_booking("member_a", "2026-12-02T09:00:00Z", "2026-12-02T11:00:00+01:00").get_json()
    assert (body["start"], body["end"]) == (
        "2026-12-02T10:00:00+01:00",
        "2026-12-02T11:00:00+01:00",
    )


def test_the_booking_reads_back_at_its_location(client, auth, post_booking):
    created = post_booking("member_a", WED_10, WED_11)
    response = client.get(created.headers["Location"], headers=auth("member_a"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == created.get_json()["id"]
    assert "occurrences" not in body


def test_a_tenant_admin_books_for_a_member_of_their_company(booking_of, admin_a, member_a):
    body = booking_of("admin_a", booked_for=member_a.id)
    assert body["booked_by"] == admin_a.id
    assert body["booked_for"] == member_a.id
    assert body["tenant_id"] == member_a.tenant_id


@pytest.mark.parametrize(("who", "for_whom"), [("admin_a", "member_b"), ("member_a", "admin_a")])
def test_nobody_else_books_for_others_and_the_answer_hides_who_exists(
    post_booking, people, count, who, for_whom
):
    response = post_booking(who, WED_10, WED_11, booked_for=people[for_whom].id)
    missing = post_booking(who, WED_10, WED_11, booked_for=987654)
    assert response.status_code == 422
    assert response.get_json() == missing.get_json()
    assert response.get_json()["fields"] == {"booked_for": "Unknown member."}
    assert count(Booking) == 0


def test_a_manager_books_for_any_tenant_and_it_is_audited(
    booking_of, manager, member_b, db_session
):
    body = booking_of("manager", booked_for=member_b.id)
    assert body["tenant_id"] == member_b.tenant_id
    assert (body["booked_by"], body["booked_for"]) == (manager.id, member_b.id)
    entry = db_session.query(AuditLog).filter_by(action="booking.create_for").one()
    assert (entry.actor_id, entry.object_id) == (manager.id, str(body["id"]))


def test_a_manager_books_for_the_incubator_itself_without_a_tenant(booking_of, manager):
    body = booking_of("manager", title="Open day")
    assert body["tenant_id"] is None
    assert body["booked_for"] == manager.id


@pytest.mark.parametrize(("who", "status"), [("member_a", "pending"), ("manager", "confirmed")])
def test_a_resource_that_needs_approval_gives_members_a_pending_request(
    booking_of, room, db_session, who, status
):
    room.approval_required = True
    db_session.commit()
    assert booking_of(who)["status"] == status


# -- listing -------------------------------------------------------------------


@pytest.fixture
def spread(booking_of, member_a, admin_a, member_b, make_member, tenant_a):
    """One booking each: member A, another member of A, member B, the incubator."""
    colleague = make_member(role="member", tenant=tenant_a, name="Colleague")
    return {
        "member_a": booking_of("member_a", "2026-12-02T08:00", "2026-12-02T09:00")["id"],
        "colleague": booking_of("admin_a", WED_10, WED_11, booked_for=colleague.id)["id"],
        "member_b": booking_of("member_b", "2026-12-02T12:00", "2026-12-02T13:00")["id"],
        "incubator": booking_of("manager", "2026-12-02T14:00", "2026-12-02T15:00")["id"],
    }


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("member_a", {"member_a"}),
        ("admin_a", {"member_a", "colleague"}),
        ("member_b", {"member_b"}),
        ("manager", {"member_a", "colleague", "member_b", "incubator"}),
    ],
)
def test_the_list_is_scoped_by_role(client, auth, spread, who, sees):
    response = client.get("/api/v1/bookings", headers=auth(who))
    assert response.status_code == 200
    assert [item["id"] for item in response.get_json()["items"]] == [
        spread[name] for name in ("member_a", "colleague", "member_b", "incubator") if name in sees
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("resource=room", {"member_a", "colleague", "member_b", "incubator"}),
        ("tenant={tenant_b}", {"member_b"}),
        ("start=2026-12-02T11:00&end=2026-12-02T14:00", {"member_b"}),
        ("start=2026-12-02T10:00:00%2B01:00", {"member_b", "incubator", "colleague"}),
        ("status=confirmed", {"member_a", "colleague", "member_b", "incubator"}),
        ("status=pending,cancelled", set()),
    ],
)
def test_a_manager_filters_the_list(client, auth, spread, tenant_b, query, expected):
    url = "/api/v1/bookings?" + query.format(tenant_b=tenant_b.id)
    response = client.get(url, headers=auth("manager"))
    assert response.status_code == 200, response.get_json()
    assert {item["id"] for item in response.get_json()["items"]} == {spread[n] for n in expected}


def test_filtering_on_another_tenant_shows_a_member_nothing(client, auth, spread, tenant_b):
    response = client.get(f"/api/v1/bookings?tenant={tenant_b.id}", headers=auth("admin_a"))
    assert response.get_json()["items"] == []


def test_the_list_is_paginated_like_the_others(client, auth, spread):
    response = client.get("/api/v1/bookings?per_page=3&status=confirmed", headers=auth("manager"))
    body = response.get_json()
    assert (body["total"], body["pages"], len(body["items"])) == (4, 2, 3)
    assert 'rel="next"' in response.headers["Link"]
    assert "status=confirmed" in response.headers["Link"]
    second = client.get("/api/v1/bookings?per_page=3&page=2", headers=auth("manager"))
    assert [item["id"] for item in second.get_json()["items"]] == [spread["incubator"]]


# -- approving and rejecting -----------------------------------------------------


@pytest.fixture
def pending(booking_of, room, db_session):
    room.approval_required = True
    db_session.commit()
    booking = booking_of("member_a", title="Launch")
    assert booking["status"] == "pending"
    return booking


def test_a_manager_approves_a_pending_booking(client, auth, pending, db_session, member_a):
    response = client.post(f"/api/v1/bookings/{pending['id']}/approve", headers=auth("manager"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "confirmed"
    assert body["sequence"] == pending["sequence"] + 1
    mail = db_session.query(OutgoingMail).filter_by(recipient=member_a.email).one()
    assert "approved" in mail.subject


@pytest.mark.parametrize("who", ["member_a", "admin_a"])
@pytest.mark.parametrize("action", ["approve", "reject"])
def test_only_managers_decide(client, auth, pending, db_session, who, action):
    response = client.post(f"/api/v1/bookings/{pending['id']}/{action}", headers=auth(who))
    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"
    assert db_session.get(Booking, pending["id"]).status == BookingStatus.PENDING


def test_a_manager_rejects_with_a_reason_and_the_slot_is_free_again(
    client, auth, pending, post_booking
):
    response = client.post(
        f"/api/v1/bookings/{pending['id']}/reject",
        json={"reason": "Reserved for the open day"},
        headers=auth("manager"),
    )
    assert response.status_code == 200
    assert response.get_json()["status"] == "rejected"
    assert response.get_json()["note"] == "Reserved for the open day"
    assert post_booking("member_b", WED_10, WED_11).status_code == 201


def test_rejecting_needs_no_body(client, auth, pending):
    response = client.post(f"/api/v1/bookings/{pending['id']}/reject", headers=auth("manager"))
    assert response.status_code == 200
    assert response.get_json()["note"] == ""


def test_a_booking_that_is_not_pending_cannot_be_decided(client, auth, booking_of):
    booking = booking_of("member_a")
    response = client.post(f"/api/v1/bookings/{booking['id']}/approve", headers=auth("manager"))
    assert response.status_code == 422
    assert response.get_json()["rule"] == "not_pending"


def test_approval_checks_the_rules_again(client, auth, pending, room, db_session):
    room.opening_hours = {"mon": [["08:00", "18:00"]]}
    db_session.commit()
    response = client.post(f"/api/v1/bookings/{pending['id']}/approve", headers=auth("manager"))
    assert response.status_code == 422
    assert response.get_json()["rule"] == "opening_hours"


# -- checking in -------------------------------------------------------------------


@pytest.fixture
def checkin_booking(booking_of, room, db_session):
    room.checkin_required = True
    room.checkin_window_minutes = 15
    db_session.commit()
    return booking_of("member_a")


@pytest.mark.parametrize("who", ["member_a", "admin_a", "manager"])
def test_the_member_their_admin_or_a_manager_checks_in(client, auth, clock, checkin_booking, who):
    clock.set(dt.datetime(2026, 12, 2, 9, 5, tzinfo=dt.UTC))
    url = f"/api/v1/bookings/{checkin_booking['id']}/check-in"
    response = client.post(url, headers=auth(who))
    assert response.status_code == 200
    assert response.get_json()["checked_in_at"] == "2026-12-02T10:05:00+01:00"
    again = client.post(url, headers=auth(who))
    assert again.get_json()["checked_in_at"] == "2026-12-02T10:05:00+01:00"


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2026, 12, 2, 8, 40, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 2, 9, 20, tzinfo=dt.UTC),
    ],
)
def test_check_in_outside_its_window_is_refused(client, auth, clock, checkin_booking, moment):
    clock.set(moment)
    response = client.post(
        f"/api/v1/bookings/{checkin_booking['id']}/check-in", headers=auth("member_a")
    )
    assert response.status_code == 422
    assert response.get_json()["rule"] == "checkin_window"


def test_a_booking_past_its_check_in_deadline_shows_as_free(client, auth, clock, checkin_booking):
    clock.set(dt.datetime(2026, 12, 2, 9, 20, tzinfo=dt.UTC))
    response = client.get(
        "/api/v1/resources/room/availability?start=2026-12-02T10:00&end=2026-12-02T11:00",
        headers=auth("member_b"),
    )
    assert response.get_json()["busy"] == []
    assert response.get_json()["free"] == [
        {"start": "2026-12-02T10:00:00+01:00", "end": "2026-12-02T11:00:00+01:00"}
    ]


# -- the requester's language ------------------------------------------------------


def test_a_refusal_speaks_the_members_language(post_booking, member_a, room, db_session):
    member_a.locale = "nl"
    room.lead_minutes = 48 * 60
    db_session.commit()
    response = post_booking("member_a", WED_10, WED_11)
    assert response.status_code == 422
    body = response.get_json()
    assert body["rule"] == "lead_time"
    assert body["message"] == "Reserveer minstens 2880 minuten op voorhand."


def test_the_english_message_names_the_rule_in_words(post_booking, room, db_session):
    room.min_minutes = 120
    db_session.commit()
    body = post_booking("member_a", WED_10, WED_11).get_json()
    assert body["error"] == "rule_violation"
    assert body["rule"] == "min_length"
    assert body["message"] == "A booking lasts at least 120 minutes."


# -- the OpenAPI document ------------------------------------------------------------


def test_the_booking_routes_and_answers_are_documented(client):
    document = client.get("/api/openapi.json").get_json()
    paths, schemas = document["paths"], document["components"]["schemas"]
    create = paths["/api/v1/bookings"]["post"]
    created = create["responses"]["201"]
    assert created["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/BookingCreated"
    }
    assert "Location" in created["headers"]
    assert {"403", "409", "422"} <= set(create["responses"])
    assert {"id", "status", "start", "end", "occurrences", "skipped"} <= set(
        schemas["BookingCreated"]["properties"]
    )
    assert "changed" in schemas["BookingChanged"]["properties"]
    assert "conflicts" in schemas["Error"]["properties"]
    cancel = paths["/api/v1/bookings/{booking_id}"]["delete"]
    assert "204" in cancel["responses"]
    assert {p["name"] for p in cancel["parameters"]} == {"scope", "override_notice"}
    availability = paths["/api/v1/resources/{slug}/availability"]["get"]
    assert {p["name"] for p in availability["parameters"]} == {"start", "end"}
    for action in ("approve", "reject", "check-in"):
        assert "post" in paths["/api/v1/bookings/{booking_id}/" + action]
    assert paths["/api/v1/bookings/{booking_id}/reject"]["post"]["requestBody"]["required"] is False
