"""The building's settings and the audit log: managers only."""

import pytest
from sqlalchemy import select

from app.models import AuditLog, SiteSettings
from app.services.audit import list_audit, record
from app.services.errors import PermissionDenied
from tests.app.page_inputs import ESCAPED_SCRIPT, INVISIBLE, SCRIPT, SQL, TOO_LONG, UNICODE

pytestmark = pytest.mark.db

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _form(**overrides):
    data = {
        "name": "De Werkplaats",
        "hours_mon": "07:00-22:00",
        "hours_tue": "07:00-22:00",
        "hours_wed": "07:00-12:00, 13:00-22:00",
        "hours_thu": "07:00-22:00",
        "hours_fri": "07:00-18:00",
        "hours_sat": "",
        "hours_sun": "",
    }
    data.update(overrides)
    return data


def _settings(db_session):
    db_session.expire_all()
    return db_session.get(SiteSettings, 1)


@pytest.fixture
def saved_site(db_session):
    site = SiteSettings(id=1, name="Old Name", building_hours={"mon": [["08:00", "17:00"]]})
    db_session.add(site)
    db_session.flush()
    return site


# -- building settings ---------------------------------------------------------


def test_manager_sees_the_stored_name_and_hours(sign_in, make_member, saved_site):
    response = sign_in(make_member(role="manager")).get("/site/")
    assert response.status_code == 200
    assert b'value="Old Name"' in response.data
    assert b'value="08:00-17:00"' in response.data
    assert b"Europe/Brussels" in response.data


def test_manager_sees_the_default_hours_before_anything_is_saved(sign_in, make_member):
    response = sign_in(make_member(role="manager")).get("/site/")
    assert response.status_code == 200
    assert b'value="07:00-22:00"' in response.data


def test_manager_saves_the_name_and_building_hours(sign_in, make_member, db_session, saved_site):
    response = sign_in(make_member(role="manager")).post("/site/", data=_form())
    assert response.status_code == 302
    site = _settings(db_session)
    assert site.name == "De Werkplaats"
    assert site.building_hours["wed"] == [["07:00", "12:00"], ["13:00", "22:00"]]
    assert site.building_hours["sat"] == []
    assert set(site.building_hours) == set(DAYS)
    assert db_session.scalar(select(AuditLog).where(AuditLog.action == "site.update"))


@pytest.mark.parametrize("role", ["tenant_admin", "member"])
@pytest.mark.parametrize(
    ("method", "path"), [("get", "/site/"), ("post", "/site/"), ("get", "/site/audit")]
)
def test_only_managers_reach_the_building_pages(
    sign_in, make_member, db_session, saved_site, count, role, method, path
):
    client = sign_in(make_member(role=role))
    before = count(AuditLog)
    response = getattr(client, method)(path, data=_form(name="Hijacked"))
    assert response.status_code == 403
    assert _settings(db_session).name == "Old Name"
    assert count(AuditLog) == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", b"This field is required."),
        ("name", TOO_LONG, b"longer than 120 characters"),
        *[("name", text, b"invisible or control characters") for text in INVISIBLE],
        ("hours_mon", "7-22", b"Write times as HH:MM"),
        ("hours_mon", "07:00 to 22:00", b"Write each interval as 08:00-12:00"),
        ("hours_tue", "22:00-07:00", b"Each interval must end after it starts."),
        ("hours_wed", "08:00-12:00, 11:00-14:00", b"must not overlap"),
        ("hours_thu", "24:30-25:00", b"Write times as HH:MM"),
        ("hours_fri", SCRIPT, b"Write"),
        ("hours_sat", SQL, b"Write"),
        ("hours_sun", UNICODE, b"Write"),
        ("hours_sun", "08:00-\u200b12:00", b"Write times as HH:MM"),
        ("hours_mon", TOO_LONG, b"longer than 200 characters"),
    ],
)
def test_saving_refuses_bad_input_and_changes_nothing(
    sign_in, make_member, db_session, saved_site, count, field, value, message
):
    client = sign_in(make_member(role="manager"))
    before = count(AuditLog)
    response = client.post("/site/", data=_form(**{field: value}))
    assert response.status_code == 422
    assert message in response.data
    site = _settings(db_session)
    assert (site.name, site.building_hours) == ("Old Name", {"mon": [["08:00", "17:00"]]})
    assert count(AuditLog) == before


@pytest.mark.parametrize("name", [SCRIPT, SQL, UNICODE])
def test_odd_but_valid_building_names_are_stored_as_typed_and_shown_escaped(
    sign_in, make_member, db_session, saved_site, name
):
    client = sign_in(make_member(role="manager"))
    assert client.post("/site/", data=_form(name=name)).status_code == 302
    assert _settings(db_session).name == name
    page = client.get("/site/").data
    assert SCRIPT.encode() not in page
    if name == SCRIPT:
        assert ESCAPED_SCRIPT in page


# -- audit log -------------------------------------------------------------------


def _log(db_session, *actions, object_type="member"):
    for action in actions:
        record(actor=None, action=action, object_type=object_type, object_id=action)
    db_session.flush()


def _rows(response):
    page = response.data.decode()
    return page[page.index("<tbody>") : page.index("</tbody>")]


def test_the_audit_log_lists_newest_first(sign_in, make_member, db_session):
    _log(db_session, "member.create", "member.update", "member.deactivate")
    response = sign_in(make_member(role="manager")).get("/site/audit")
    assert response.status_code == 200
    rows = _rows(response)
    assert (
        rows.index("member.deactivate") < rows.index("member.update") < rows.index("member.create")
    )


def test_the_audit_log_is_paginated(sign_in, make_member, db_session):
    _log(db_session, *[f"tenant.step{n:03d}" for n in range(60)])
    client = sign_in(make_member(role="manager"))
    first = _rows(client.get("/site/audit?action=tenant.step"))
    second_response = client.get("/site/audit?action=tenant.step&page=2")
    second = _rows(second_response)
    assert "tenant.step059" in first
    assert "tenant.step000" not in first
    assert "tenant.step000" in second
    assert first.count("<tr>") == 50
    assert second.count("<tr>") == 10
    assert b"page=1&amp;action=tenant.step" in second_response.data


def test_the_audit_log_filters_by_action_prefix(sign_in, make_member, db_session):
    _log(db_session, "member.create")
    _log(db_session, "badge.assign", object_type="badge")
    response = sign_in(make_member(role="manager")).get("/site/audit?action=badge.")
    assert "badge.assign" in _rows(response)
    assert "member.create" not in _rows(response)


def test_an_underscore_in_the_prefix_is_no_wildcard(sign_in, make_member, db_session):
    _log(db_session, "member.create")
    response = sign_in(make_member(role="manager")).get("/site/audit?action=member_")
    assert "member.create" not in _rows(response)


def test_the_audit_log_filters_by_object_type(sign_in, make_member, db_session):
    _log(db_session, "member.create")
    _log(db_session, "badge.assign", object_type="badge")
    response = sign_in(make_member(role="manager")).get("/site/audit?object_type=badge")
    assert "badge.assign" in _rows(response)
    assert "member.create" not in _rows(response)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("action", SCRIPT, b"Use lower-case letters, "),
        ("action", "%", b"Use lower-case letters"),
        ("action", SQL, b"Use lower-case letters"),
        ("action", UNICODE, b"Use lower-case letters"),
        ("action", "member\x00", b"Use lower-case letters"),
        ("action", TOO_LONG, b"longer than 64 characters"),
        ("object_type", "badge.", b"Use lower-case letters and "),
        ("object_type", TOO_LONG, b"longer than 32 characters"),
    ],
)
def test_bad_audit_filters_are_refused_with_a_message(
    sign_in, make_member, db_session, field, value, message
):
    _log(db_session, "member.create")
    response = sign_in(make_member(role="manager")).get("/site/audit", query_string={field: value})
    assert response.status_code == 422
    assert message in response.data
    assert b"member.create" not in response.data
    assert SCRIPT.encode() not in response.data


def test_audit_details_are_shown_escaped(sign_in, make_member, db_session):
    record(
        actor=None,
        action="tenant.create",
        object_type="tenant",
        object_id=1,
        details={"name": SCRIPT},
    )
    db_session.flush()
    response = sign_in(make_member(role="manager")).get("/site/audit")
    assert ESCAPED_SCRIPT in response.data
    assert SCRIPT.encode() not in response.data


@pytest.mark.parametrize("role", ["tenant_admin", "member"])
def test_the_audit_service_refuses_everyone_but_managers(make_member, role):
    with pytest.raises(PermissionDenied):
        list_audit(make_member(role=role))


@pytest.mark.parametrize("page", ["٣", "-1", "abc", "99999999999", SQL])
def test_an_odd_page_number_shows_the_first_page(sign_in, make_member, db_session, page):
    _log(db_session, "member.create")
    response = sign_in(make_member(role="manager")).get("/site/audit", query_string={"page": page})
    assert response.status_code == 200
    assert "member.create" in _rows(response)
