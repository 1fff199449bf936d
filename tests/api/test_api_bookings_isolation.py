"""Tenant isolation on every booking route, and what availability tells about others.

Another company's booking answers exactly like a booking that does not exist (404),
is absent from every list, and shows on the availability of a resource only as the
resource's privacy setting allows: never its title, never a member's e-mail.
"""

import datetime as dt

import pytest

from app.models import Booking, BookingStatus, Closure, Privacy

pytestmark = pytest.mark.db

TENANT_A = ["admin_a", "member_a"]
MISSING = 987654
WED_10 = "2026-12-02T10:00"
WED_11 = "2026-12-02T11:00"
SECRET = "Bravo secret launch"


@pytest.fixture
def b_bookings(booking_of, room, db_session, make_resource, clock):
    """Tenant B's bookings: a confirmed one on the room and a pending one on the kitchen."""
    kitchen = make_resource(slug="kitchen", name="Kitchen", kind="kitchen", approval_required=True)
    confirmed = booking_of("member_b", WED_10, WED_11, title=SECRET)
    pending = booking_of("member_b", WED_10, WED_11, title=SECRET, resource=kitchen.slug)
    assert pending["status"] == "pending"
    room.checkin_required = True
    db_session.commit()
    clock.set(dt.datetime(2026, 12, 2, 9, 5, tzinfo=dt.UTC))  # inside the check-in window
    return {"confirmed": confirmed["id"], "pending": pending["id"]}


ROUTES = [
    ("GET", "/api/v1/bookings/{id}", "confirmed", None),
    ("PATCH", "/api/v1/bookings/{id}", "confirmed", {"title": "Taken over"}),
    ("PATCH", "/api/v1/bookings/{id}", "confirmed", {"start": "2026-12-02T12:00"}),
    ("DELETE", "/api/v1/bookings/{id}", "confirmed", None),
    ("DELETE", "/api/v1/bookings/{id}?scope=series&override_notice=true", "confirmed", None),
    ("POST", "/api/v1/bookings/{id}/approve", "pending", None),
    ("POST", "/api/v1/bookings/{id}/reject", "pending", {"reason": "No"}),
    ("POST", "/api/v1/bookings/{id}/check-in", "confirmed", None),
]


def _state(db_session, booking_id):
    booking = db_session.get(Booking, booking_id)
    db_session.refresh(booking)
    return (booking.status, booking.title, booking.start, booking.sequence, booking.checked_in_at)


@pytest.mark.parametrize("who", TENANT_A)
@pytest.mark.parametrize(("method", "url", "which", "body"), ROUTES)
def test_another_tenants_booking_is_404_like_a_missing_one(
    client, auth, db_session, b_bookings, who, method, url, which, body
):
    booking_id = b_bookings[which]
    before = _state(db_session, booking_id)
    theirs = client.open(url.format(id=booking_id), method=method, json=body, headers=auth(who))
    missing = client.open(url.format(id=MISSING), method=method, json=body, headers=auth(who))
    assert theirs.status_code == 404
    assert theirs.get_json() == missing.get_json()
    assert theirs.get_json()["error"] == "not_found"
    assert _state(db_session, booking_id) == before


@pytest.mark.parametrize(("method", "url", "which", "body"), ROUTES)
def test_a_member_does_not_reach_a_colleagues_booking_but_their_admin_does(
    client, auth, db_session, booking_of, make_member, tenant_a, clock, method, url, which, body
):
    colleague = make_member(role="member", tenant=tenant_a)
    booking = booking_of("admin_a", booked_for=colleague.id)
    response = client.open(
        url.format(id=booking["id"]), method=method, json=body, headers=auth("member_a")
    )
    assert response.status_code == 404
    if method == "GET":
        assert client.get(url.format(id=booking["id"]), headers=auth("admin_a")).status_code == 200


LISTS = [
    "/api/v1/bookings",
    "/api/v1/bookings?per_page=200",
    "/api/v1/bookings?tenant={tenant_b}",
    "/api/v1/bookings?resource=room",
    "/api/v1/bookings?resource=kitchen&status=pending",
    "/api/v1/bookings?start=2026-12-02T00:00&end=2026-12-03T00:00",
]


@pytest.mark.parametrize("who", TENANT_A)
@pytest.mark.parametrize("url", LISTS)
def test_another_tenants_bookings_are_absent_from_lists(
    client, auth, b_bookings, tenant_b, who, url
):
    response = client.get(url.format(tenant_b=tenant_b.id), headers=auth(who))
    assert response.status_code == 200
    assert response.get_json()["items"] == []
    assert response.get_json()["total"] == 0
    assert SECRET not in response.get_data(as_text=True)


@pytest.mark.parametrize("url", LISTS)
def test_the_manager_and_tenant_b_see_them_in_the_same_lists(
    client, auth, b_bookings, tenant_b, url
):
    for who in ("manager", "admin_b", "member_b"):
        response = client.get(url.format(tenant_b=tenant_b.id), headers=auth(who))
        ids = {item["id"] for item in response.get_json()["items"]}
        assert ids & set(b_bookings.values()), (who, url)


def test_nothing_of_tenant_b_changed_after_every_attempt(client, auth, db_session, b_bookings):
    for who in TENANT_A:
        for method, url, which, body in ROUTES:
            client.open(
                url.format(id=b_bookings[which]), method=method, json=body, headers=auth(who)
            )
    confirmed = db_session.get(Booking, b_bookings["confirmed"])
    pending = db_session.get(Booking, b_bookings["pending"])
    db_session.refresh(confirmed)
    db_session.refresh(pending)
    assert (confirmed.status, confirmed.title, confirmed.checked_in_at) == (
        BookingStatus.CONFIRMED,
        SECRET,
        None,
    )
    assert pending.status == BookingStatus.PENDING


# -- availability ----------------------------------------------------------------------

DAY = "start=2026-12-02T00:00&end=2026-12-03T00:00"


def availability(client, auth, who, slug="room", query=DAY):
    response = client.get(f"/api/v1/resources/{slug}/availability?{query}", headers=auth(who))
    assert response.status_code == 200, response.get_json()
    return response


@pytest.mark.parametrize(
    ("privacy", "label"),
    [
        (Privacy.BUSY_ONLY, ""),
        (Privacy.COMPANY, "Brouwerij Bravo"),
        (Privacy.COMPANY_AND_MEMBER, "Brouwerij Bravo: Bea Member"),
    ],
)
@pytest.mark.parametrize("who", TENANT_A)
def test_others_see_only_what_the_privacy_setting_allows(
    client, auth, room, db_session, booking_of, member_b, privacy, label, who
):
    room.privacy = privacy
    db_session.commit()
    booking_of("member_b", WED_10, WED_11, title=SECRET)
    response = availability(client, auth, who)
    assert response.get_json()["busy"] == [
        {
            "start": "2026-12-02T10:00:00+01:00",
            "end": "2026-12-02T11:00:00+01:00",
            "kind": "booked",
            "label": label,
            "booking_id": None,
        }
    ]
    text = response.get_data(as_text=True)
    assert SECRET not in text
    assert member_b.email not in text
    if privacy == Privacy.BUSY_ONLY:
        assert "Bravo" not in text
    if privacy != Privacy.COMPANY_AND_MEMBER:
        assert member_b.name not in text


@pytest.mark.parametrize("who", ["member_b", "admin_b", "manager"])
def test_those_who_may_read_the_booking_see_its_title_and_id(
    client, auth, room, db_session, booking_of, who
):
    room.privacy = Privacy.BUSY_ONLY
    db_session.commit()
    booking = booking_of("member_b", WED_10, WED_11, title=SECRET)
    busy = availability(client, auth, who).get_json()["busy"]
    assert [(b["label"], b["booking_id"]) for b in busy] == [(SECRET, booking["id"])]


def test_an_untitled_booking_shows_its_member_to_their_own_company(
    client, auth, booking_of, member_b
):
    booking_of("member_b", WED_10, WED_11)
    assert availability(client, auth, "admin_b").get_json()["busy"][0]["label"] == member_b.name


def test_the_incubators_own_events_show_as_incubator(client, auth, booking_of, room, db_session):
    room.privacy = Privacy.BUSY_ONLY
    db_session.commit()
    booking_of("manager", WED_10, WED_11, title="Board meeting")
    busy = availability(client, auth, "member_a").get_json()["busy"]
    assert [b["label"] for b in busy] == ["incubator"]
    assert "Board meeting" not in availability(client, auth, "admin_a").get_data(as_text=True)


def test_free_intervals_lie_within_opening_hours_and_around_bookings(
    client, auth, booking_of, room, db_session
):
    room.buffer_after_minutes = 30
    db_session.add(
        Closure(
            resource=room,
            start=dt.datetime(2026, 12, 2, 16, 0, tzinfo=dt.UTC),
            end=dt.datetime(2026, 12, 2, 17, 0, tzinfo=dt.UTC),
            reason="Painting",
        )
    )
    db_session.commit()
    booking_of("member_b", WED_10, WED_11)
    body = availability(client, auth, "member_a").get_json()
    assert body["resource"] == "room"
    assert (body["start"], body["end"]) == (
        "2026-12-02T00:00:00+01:00",
        "2026-12-03T00:00:00+01:00",
    )
    assert body["free"] == [
        # a booking ending later than 09:30 would need cleaning into the 10:00 booking
        {"start": "2026-12-02T07:00:00+01:00", "end": "2026-12-02T09:30:00+01:00"},
        {"start": "2026-12-02T11:30:00+01:00", "end": "2026-12-02T17:00:00+01:00"},
        {"start": "2026-12-02T18:00:00+01:00", "end": "2026-12-02T22:00:00+01:00"},
    ]
    assert [(b["kind"], b["label"]) for b in body["busy"]] == [
        ("booked", "Brouwerij Bravo"),
        ("closed", ""),
    ]
    assert "Painting" not in str(body)


def test_a_machine_shows_the_whole_fablab_booking_as_busy(client, auth, make_resource, booking_of):
    fablab = make_resource(slug="fablab", name="Fablab", privacy=Privacy.COMPANY)
    make_resource(slug="laser", name="Laser", kind="machine", parent=fablab)
    booking_of("manager", WED_10, WED_11, resource="fablab", title="Workshop")
    busy = availability(client, auth, "member_a", slug="laser").get_json()["busy"]
    assert [(b["start"], b["label"]) for b in busy] == [("2026-12-02T10:00:00+01:00", "incubator")]


def test_a_cancelled_booking_frees_its_slot(client, auth, booking_of):
    booking = booking_of("member_b", WED_10, WED_11)
    client.delete(f"/api/v1/bookings/{booking['id']}", headers=auth("member_b"))
    assert availability(client, auth, "member_a").get_json()["busy"] == []


def test_availability_of_an_unknown_resource_is_404(client, auth, room):
    response = client.get(f"/api/v1/resources/nope/availability?{DAY}", headers=auth("member_a"))
    assert response.status_code == 404


def test_every_free_interval_can_be_booked_edge_to_edge(
    client, auth, booking_of, post_booking, room, db_session
):
    room.buffer_before_minutes = 15
    room.buffer_after_minutes = 15
    db_session.commit()
    booking_of("member_b", WED_10, WED_11)
    free = availability(client, auth, "member_a").get_json()["free"]
    assert free[:2] == [
        {"start": "2026-12-02T07:00:00+01:00", "end": "2026-12-02T09:30:00+01:00"},
        {"start": "2026-12-02T11:30:00+01:00", "end": "2026-12-02T22:00:00+01:00"},
    ]
    assert post_booking("member_a", "2026-12-02T09:00", "2026-12-02T10:00").status_code == 409
    assert post_booking("member_a", "2026-12-02T11:00", "2026-12-02T12:00").status_code == 409
    assert post_booking("member_a", "2026-12-02T08:30", "2026-12-02T09:30").status_code == 201
    assert post_booking("member_a", "2026-12-02T11:30", "2026-12-02T12:00").status_code == 201


def test_the_whole_fablab_is_busy_while_a_machine_is_booked(
    client, auth, make_resource, booking_of, post_booking
):
    fablab = make_resource(slug="fablab", name="Fablab", privacy=Privacy.COMPANY)
    make_resource(slug="laser", name="Laser", kind="machine", parent=fablab)
    booking_of("member_b", WED_10, WED_11, resource="laser", title=SECRET)
    body = availability(client, auth, "member_a", slug="fablab").get_json()
    # labelled by the machine's own privacy setting (busy_only)
    assert [(b["start"], b["label"]) for b in body["busy"]] == [("2026-12-02T10:00:00+01:00", "")]
    assert SECRET not in str(body)
    assert body["free"] == [
        {"start": "2026-12-02T07:00:00+01:00", "end": "2026-12-02T10:00:00+01:00"},
        {"start": "2026-12-02T11:00:00+01:00", "end": "2026-12-02T22:00:00+01:00"},
    ]
    clash = post_booking("manager", WED_10, WED_11, resource="fablab")
    assert clash.status_code == 409
