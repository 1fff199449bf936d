"""Bad input to the booking routes: refused with a clear message, and nothing written."""

import pytest

from app.models import Booking, BookingClaim, BookingSeries

pytestmark = pytest.mark.db

VALID = {"resource": "room", "start": "2026-12-02T10:00", "end": "2026-12-02T11:00"}


@pytest.fixture
def written(count):
    def rows():
        return (count(Booking), count(BookingClaim), count(BookingSeries))

    return rows


def case(what, changes, *, rule=None, fields=None, message=None):
    """One bad body: what is changed in VALID, and the rule, field messages or message expected
    (a field message of None: any message on that field)."""
    return pytest.param(changes, rule, fields, message, id=what)


NOT_A_TIME = "Give a date and time such as 2026-12-01T14:00."
BAD_BODIES = [
    case("end before start", {"end": "2026-12-02T09:00"}, rule="interval",
         message="The end must be after the start."),
    case("zero length", {"end": "2026-12-02T10:00"}, rule="interval",
         message="The end must be after the start."),
    case("year 9999", {"start": "9999-12-02T10:00", "end": "9999-12-02T11:00"},
         fields={"start": "This date is out of range."}),
    case("year 9999 at the end", {"end": "9999-12-02T11:00"},
         fields={"end": "This date is out of range."}),
    case("six years ahead", {"start": "2032-12-02T10:00", "end": "2032-12-02T11:00"},
         rule="horizon"),
    case("not a time", {"start": "tomorrow at ten"}, fields={"start": NOT_A_TIME}),
    case("month 13", {"start": "2026-13-02T10:00"}, fields={"start": NOT_A_TIME}),
    case("a number for a time", {"start": 1764666000}, fields={"start": "This must be text."}),
    case("a null time", {"start": None}, fields={"start": "This must be text."}),
    case("garbage rrule", {"recurrence": "every other tuesday"}, rule="recurrence",
         message="The recurrence rule is not valid."),
    case("unsupported rrule part", {"recurrence": "FREQ=WEEKLY;BYSETPOS=1;COUNT=2"},
         rule="recurrence",
         message="The recurrence rule uses parts we do not support: BYSETPOS."),
    case("hourly rrule", {"recurrence": "FREQ=HOURLY;COUNT=2"}, rule="recurrence",
         message="Choose a daily, weekly or monthly repetition."),
    case("endless rrule", {"recurrence": "FREQ=WEEKLY"}, rule="recurrence",
         message="Give either a number of occurrences or an end date."),
    case("10,000 occurrences", {"recurrence": "FREQ=DAILY;COUNT=10000"}, rule="recurrence",
         message="A series can have at most 200 occurrences."),
    case("until far away", {"recurrence": "FREQ=DAILY;UNTIL=20991231"}, rule="recurrence",
         message="A series can have at most 200 occurrences."),
    case("rrule too long", {"recurrence": "FREQ=DAILY;COUNT=2;" + "X" * 400},
         fields={"recurrence": "This is too long."}),
    case("unknown field", {"colour": "red"}, fields={"colour": "Unknown field."}),
    case("unknown resource", {"resource": "moon"}, fields={"resource": "Unknown resource."}),
    case("bad slug", {"resource": "Room 1"}, fields={"resource": None}),
    case("resource as a number", {"resource": 7}, fields={"resource": "This must be text."}),
    case("booked_for as text", {"booked_for": "5"},
         fields={"booked_for": "This must be a whole number."}),
    case("booked_for zero", {"booked_for": 0},
         fields={"booked_for": "This number is out of range."}),
    case("booked_for huge", {"booked_for": 2**40},
         fields={"booked_for": "This number is out of range."}),
    case("skip_conflicts as text", {"skip_conflicts": "yes"},
         fields={"skip_conflicts": "This must be true or false."}),
    case("title as a number", {"title": 5}, fields={"title": "This must be text."}),
    case("title too long", {"title": "x" * 201}, fields={"title": "This is too long."}),
    case("title with control characters", {"title": "a\x00b"}, fields={"title": None}),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "rule", "fields", "message"), BAD_BODIES)
def test_a_bad_booking_is_refused_clearly_and_writes_nothing(
    client, auth, room, clock, written, changes, rule, fields, message
):
    headers = auth("member_a")
    before = written()
    response = client.post("/api/v1/bookings", json={**VALID, **changes}, headers=headers)
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["message"]
    assert body.get("rule") == rule
    if fields is not None:
        assert set(body["fields"]) == set(fields)
        for name, text in fields.items():
            if text is not None:
                assert body["fields"][name] == text
    if message is not None:
        assert body["message"] == message
    assert written() == before


def test_the_valid_body_of_these_tests_is_accepted(client, auth, room, clock):
    assert client.post("/api/v1/bookings", json=VALID, headers=auth("member_a")).status_code == 201


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        ("[]", "application/json", 422),
        ('"x"', "application/json", 422),
        ("{", "application/json", 400),
        ("{}", "text/plain", 415),
        ("", "application/json", 400),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(
    client, auth, room, clock, written, data, content_type, status
):
    before = written()
    response = client.post(
        "/api/v1/bookings", data=data, content_type=content_type, headers=auth("member_a")
    )
    assert response.status_code == status
    assert response.get_json()["message"]
    assert written() == before


def test_missing_fields_are_named(client, auth, room, clock):
    response = client.post("/api/v1/bookings", json={}, headers=auth("member_a"))
    assert response.get_json()["fields"] == {
        "resource": "This field is required.",
        "start": "This field is required.",
        "end": "This field is required.",
    }


@pytest.fixture
def booking(client, auth, room, clock):
    response = client.post("/api/v1/bookings", json=VALID, headers=auth("member_a"))
    return response.get_json()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"scope": "everything"}, {"scope": "Choose one of the listed values."}),
        ({"start": None}, {"start": "This must be text."}),
        ({"title": None}, {"title": "This must be text."}),
        ({"override_notice": "yes"}, {"override_notice": "This must be true or false."}),
        ({"resource": "kitchen"}, {"resource": "Unknown field."}),
        ({"start": "9999-01-01T10:00"}, {"start": "This date is out of range."}),
        ({"end": "later"}, {"end": "Give a date and time such as 2026-12-01T14:00."}),
    ],
)
def test_a_bad_change_is_refused_clearly(client, auth, booking, db_session, body, fields):
    response = client.patch(
        f"/api/v1/bookings/{booking['id']}", json=body, headers=auth("member_a")
    )
    assert response.status_code == 422
    assert response.get_json()["fields"] == fields
    stored = db_session.get(Booking, booking["id"])
    db_session.refresh(stored)
    assert stored.sequence == booking["sequence"]


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("scope=all", {"scope": "Choose one of the listed values."}),
        ("override_notice=maybe", {"override_notice": "This must be true or false."}),
    ],
)
def test_a_bad_cancel_query_is_refused(client, auth, booking, query, fields):
    response = client.delete(f"/api/v1/bookings/{booking['id']}?{query}", headers=auth("member_a"))
    assert response.status_code == 422
    assert response.get_json()["fields"] == fields


def test_a_reject_reason_must_be_text(client, auth, booking):
    response = client.post(
        f"/api/v1/bookings/{booking['id']}/reject", json={"reason": 5}, headers=auth("manager")
    )
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"reason": "This must be text."}


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("", {"start": "This field is required.", "end": "This field is required."}),
        ("start=2026-12-02T10:00", {"end": "This field is required."}),
        (
            "start=2026-12-02T10:00&end=2026-12-02T09:00",
            {"end": "The end must be after the start."},
        ),
        (
            "start=2026-12-02T10:00&end=2026-12-02T10:00",
            {"end": "The end must be after the start."},
        ),
        (
            "start=2026-12-02T10:00&end=2028-12-02T10:00",
            {"end": "Ask for at most a year at a time."},
        ),
        ("start=9999-01-01T00:00&end=9999-01-02T00:00", {"start": "This date is out of range."}),
        ("start=soon&end=later", {"start": "Give a date and time such as 2026-12-01T14:00."}),
    ],
)
def test_a_bad_availability_query_is_refused(client, auth, room, query, fields):
    response = client.get(f"/api/v1/resources/room/availability?{query}", headers=auth("member_a"))
    assert response.status_code == 422
    assert response.get_json()["fields"] == fields


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("status=booked", {"status": "Choose one of the listed values."}),
        ("status=pending,", {"status": "Choose one of the listed values."}),
        ("tenant=abc", {"tenant": "This must be a whole number."}),
        ("resource=moon", {"resource": "Unknown resource."}),
        (
            "start=2026-12-02T10:00&end=2026-12-01T10:00",
            {"end": "The end must be after the start."},
        ),
        ("end=99999", {"end": "Give a date and time such as 2026-12-01T14:00."}),
    ],
)
def test_a_bad_list_query_is_refused(client, auth, room, query, fields):
    response = client.get(f"/api/v1/bookings?{query}", headers=auth("member_a"))
    assert response.status_code == 422
    assert response.get_json()["fields"] == fields
