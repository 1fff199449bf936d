"""Booking settings outside the booking pages: e-mail preferences and tenants' quota plans."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.models import Member, Tenant

pytestmark = pytest.mark.db


def fresh(db_session, model, obj_id):
    db_session.expire_all()
    return db_session.get(model, obj_id)


# -- e-mail preferences on the profile page -----------------------------------------


def test_a_member_turns_booking_e_mails_off_and_on(sign_in, make_member, db_session):
    member = make_member()
    client = sign_in(member)
    page = client.get("/profile/").data.decode()
    assert 'name="notify_bookings"' in page
    assert 'name="notify_digest"' not in page  # the digest is for managers
    response = client.post("/profile/notifications", data={})
    assert response.status_code == 302
    assert fresh(db_session, Member, member.id).notify_bookings is False
    assert "Your e-mail preferences are saved." in client.get("/profile/").data.decode()
    client.post("/profile/notifications", data={"notify_bookings": "y"})
    assert fresh(db_session, Member, member.id).notify_bookings is True


def test_a_member_cannot_change_the_digest_setting(sign_in, make_member, db_session):
    member = make_member()
    sign_in(member).post(
        "/profile/notifications", data={"notify_digest": "", "notify_bookings": "y"}
    )
    assert fresh(db_session, Member, member.id).notify_digest is True


def test_a_manager_turns_the_daily_digest_off(sign_in, make_member, db_session):
    manager = make_member(role="manager")
    client = sign_in(manager)
    assert 'name="notify_digest"' in client.get("/profile/").data.decode()
    client.post("/profile/notifications", data={"notify_bookings": "y"})
    stored = fresh(db_session, Member, manager.id)
    assert (stored.notify_bookings, stored.notify_digest) == (True, False)


def test_e_mail_preferences_check_the_csrf_token(
    app, monkeypatch, sign_in, make_member, db_session
):
    member = make_member()
    client = sign_in(member)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post("/profile/notifications", data={}).status_code == 400
    assert fresh(db_session, Member, member.id).notify_bookings is True


# -- the tenant form's quota plan --------------------------------------------------


def tenant_form(**overrides):
    data = {
        "name": "Studio Klei",
        "slug": "klei",
        "sector": "creative",
        "contract_start": "",
        "contract_end": "",
        "quota_room": "",
        "quota_kitchen": "",
        "quota_machine": "",
    }
    data.update(overrides)
    return data


def stored_tenant(db_session):
    db_session.expire_all()
    return db_session.scalar(select(Tenant).where(Tenant.slug == "klei"))


def test_without_the_checkbox_no_quota_is_enforced(sign_in, make_member, db_session):
    client = sign_in(make_member(role="manager"))
    response = client.post("/manage/tenants/new", data=tenant_form(quota_room="8"))
    assert response.status_code == 302
    tenant = stored_tenant(db_session)
    assert tenant.quota_hours is None
    assert tenant.allow_overage is False


def test_an_enforced_plan_stores_every_kind_and_empty_means_none_included(
    sign_in, make_member, db_session
):
    client = sign_in(make_member(role="manager"))
    response = client.post(
        "/manage/tenants/new",
        data=tenant_form(enforce_quota="y", quota_room="8", quota_machine="2.5", allow_overage="y"),
    )
    assert response.status_code == 302
    tenant = stored_tenant(db_session)
    assert tenant.quota_hours == {"room": 8, "kitchen": 0, "machine": 2.5}
    assert tenant.allow_overage is True
    page = client.get("/manage/tenants/").data.decode()
    assert "room: 8 h, kitchen: 0 h, machine: 2.5 h" in page
    assert "overage allowed" in page


def test_the_edit_form_shows_the_plan_and_can_remove_it(
    sign_in, make_member, make_tenant, db_session
):
    tenant = make_tenant(slug="klei", name="Studio Klei", quota_hours={"kitchen": 10})
    client = sign_in(make_member(role="manager"))
    page = client.get(f"/manage/tenants/{tenant.id}").data.decode()
    assert '<input checked id="enforce_quota" name="enforce_quota" type="checkbox"' in page
    assert 'name="quota_kitchen"' in page
    assert 'value="10"' in page
    response = client.post(f"/manage/tenants/{tenant.id}", data=tenant_form())
    assert response.status_code == 302
    assert stored_tenant(db_session).quota_hours is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("quota_room", "-1", "Number must be between 0 and 744."),
        ("quota_room", "745", "Number must be between 0 and 744."),
        ("quota_kitchen", "many", "Not a valid decimal value."),
        ("quota_machine", "NaN", "Give a number of hours from 0 to 744."),
        ("quota_machine", "sNaN", "Give a number of hours from 0 to 744."),
        ("quota_machine", "-Infinity", "Give a number of hours from 0 to 744."),
        ("quota_machine", "1e9999", "Number must be between 0 and 744."),
    ],
)
def test_bad_quota_hours_are_refused(sign_in, make_member, db_session, field, value, message):
    client = sign_in(make_member(role="manager"))
    response = client.post(
        "/manage/tenants/new", data=tenant_form(enforce_quota="y", **{field: value})
    )
    assert response.status_code == 422
    assert message in response.data.decode()
    assert stored_tenant(db_session) is None


def test_an_enforced_plan_is_what_the_booking_rules_use(
    sign_in, make_member, make_resource, db_session, clock
):
    manager = make_member(role="manager")
    client = sign_in(manager)
    client.post("/manage/tenants/new", data=tenant_form(enforce_quota="y", quota_room="1"))
    tenant = stored_tenant(db_session)
    assert tenant.quota_hours["room"] == Decimal(1)
    make_resource(slug="room", name="Room")
    member = make_member(tenant=tenant)
    response = sign_in(member).post(
        "/bookings/new",
        data={
            "resource": "room",
            "date": "2026-12-02",
            "start_time": "10:00",
            "end_time": "12:00",
            "repeat": "none",
            "ends": "count",
            "count": "1",
        },
    )
    assert response.status_code == 422
    assert "Refused by the rule \u201cQuota\u201d:" in response.data.decode()
