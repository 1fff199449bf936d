"""The trainings pages: managers record and revoke, tenant admins and members read."""

import datetime as dt

import pytest
from sqlalchemy import select

from app.models import AuditLog, Qualification, ResourceKind
from tests.app.page_inputs import SCRIPT, SQL, TOO_LONG, UNICODE

pytestmark = pytest.mark.db


@pytest.fixture
def laser(make_resource):
    return make_resource(slug="laser", name="Laser cutter", kind=ResourceKind.MACHINE)


@pytest.fixture
def train(db_session, now):
    def grant(member, resource, **fields):
        found = Qualification(member=member, resource=resource, granted_at=now, **fields)
        db_session.add(found)
        db_session.flush()
        return found

    return grant


def _grant(member, resource, **overrides):
    data = {"member_id": str(member.id), "resource": resource.slug, "expires_at": ""}
    data.update(overrides)
    return data


def _table(response):
    """The list's rows only (the filter's member list names everyone)."""
    page = response.data.decode()
    return page[page.index("<tbody>") : page.index("</tbody>")]


def _current(db_session, member):
    db_session.expire_all()
    return list(
        db_session.scalars(
            select(Qualification).where(
                Qualification.member_id == member.id, Qualification.revoked_at.is_(None)
            )
        )
    )


# -- reading -----------------------------------------------------------------


def test_manager_sees_every_training(sign_in, make_member, laser, train):
    train(make_member(name="Alice Alpha"), laser)
    train(make_member(name="Bob Beta"), laser)
    response = sign_in(make_member(role="manager")).get("/qualifications/")
    assert response.status_code == 200
    assert "Alice Alpha" in _table(response)
    assert "Bob Beta" in _table(response)
    assert b"/revoke" in response.data


def test_manager_filters_by_resource(sign_in, make_member, make_resource, laser, train):
    printer = make_resource(slug="printer", name="Printer", kind=ResourceKind.MACHINE)
    train(make_member(name="Alice Alpha"), laser)
    train(make_member(name="Bob Beta"), printer)
    response = sign_in(make_member(role="manager")).get(f"/qualifications/?resource={laser.id}")
    assert "Alice Alpha" in _table(response)
    assert "Bob Beta" not in _table(response)


def test_manager_filters_by_member(sign_in, make_member, laser, train):
    alice = make_member(name="Alice Alpha")
    train(alice, laser)
    train(make_member(name="Bob Beta"), laser)
    response = sign_in(make_member(role="manager")).get(f"/qualifications/?member={alice.id}")
    assert "Alice Alpha" in _table(response)
    assert "Bob Beta" not in _table(response)


@pytest.mark.parametrize("value", ["abc", SQL, "-1", "٣", TOO_LONG])
def test_odd_filter_values_are_ignored(sign_in, make_member, laser, train, value):
    train(make_member(name="Alice Alpha"), laser)
    client = sign_in(make_member(role="manager"))
    response = client.get("/qualifications/", query_string={"member": value, "resource": value})
    assert response.status_code == 200
    assert "Alice Alpha" in _table(response)


def test_revoked_trainings_are_listed_only_on_request(sign_in, make_member, laser, train, now):
    train(make_member(name="Alice Alpha"), laser, revoked_at=now)
    client = sign_in(make_member(role="manager"))
    assert "Alice Alpha" not in _table(client.get("/qualifications/"))
    assert "Alice Alpha" in _table(client.get("/qualifications/?all=1"))


def test_tenant_admin_reads_their_members_trainings_only(sign_in, make_member, laser, train):
    admin = make_member(role="tenant_admin")
    train(make_member(tenant=admin.tenant, name="Own Colleague"), laser)
    train(make_member(name="Stranger Elsewhere"), laser)
    response = sign_in(admin).get("/qualifications/")
    assert response.status_code == 200
    assert "Own Colleague" in _table(response)
    assert "Stranger Elsewhere" not in _table(response)
    assert b"/revoke" not in response.data
    assert b"/qualifications/new" not in response.data


def test_tenant_admin_cannot_read_another_tenants_member_through_the_filter(
    sign_in, make_member, laser, train
):
    admin = make_member(role="tenant_admin")
    stranger = make_member(name="Stranger Elsewhere")
    train(stranger, laser)
    response = sign_in(admin).get(f"/qualifications/?member={stranger.id}&all=1")
    assert response.status_code == 200
    assert "Stranger Elsewhere" not in _table(response)


def test_member_reads_only_their_own_trainings(sign_in, make_member, laser, train):
    member = make_member(name="Me Myself")
    train(member, laser)
    train(make_member(tenant=member.tenant, name="Colleague"), laser)
    response = sign_in(member).get("/qualifications/")
    assert response.status_code == 200
    assert b"My trainings" in response.data
    assert "Me Myself" in _table(response)
    assert "Colleague" not in _table(response)
    assert b"/revoke" not in response.data


@pytest.mark.parametrize("role", ["tenant_admin", "member"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/qualifications/new"),
        ("post", "/qualifications/new"),
        ("post", "/qualifications/{id}/revoke"),
    ],
)
def test_only_managers_record_and_revoke_trainings(
    sign_in, make_member, laser, train, count, role, method, path
):
    actor = make_member(role=role)
    own = train(make_member(tenant=actor.tenant), laser)
    foreign = train(make_member(), laser)
    client = sign_in(actor)
    before = (count(Qualification), count(AuditLog))
    for target in (own, foreign):
        response = getattr(client, method)(
            path.format(id=target.id), data=_grant(target.member, laser)
        )
        # The same answer for either: it depends on the role, never on the object.
        assert response.status_code == 403
    assert (count(Qualification), count(AuditLog)) == before
    assert count(Qualification, Qualification.revoked_at.is_not(None)) == 0


# -- recording ---------------------------------------------------------------


def test_manager_records_a_training_without_an_end(sign_in, make_member, laser, db_session):
    member = make_member()
    response = sign_in(make_member(role="manager")).post(
        "/qualifications/new", data=_grant(member, laser)
    )
    assert response.status_code == 302
    [found] = _current(db_session, member)
    assert found.resource_id == laser.id
    assert found.expires_at is None
    assert db_session.scalar(select(AuditLog).where(AuditLog.action == "qualification.grant"))


@pytest.mark.parametrize(
    ("day", "expected_utc"),
    [
        ("2099-07-15", dt.datetime(2099, 7, 15, 21, 59, 59, tzinfo=dt.UTC)),  # summer time
        ("2099-01-15", dt.datetime(2099, 1, 15, 22, 59, 59, tzinfo=dt.UTC)),  # winter time
    ],
)
def test_the_end_date_means_the_end_of_that_day_in_brussels(
    sign_in, make_member, laser, db_session, day, expected_utc
):
    member = make_member()
    client = sign_in(make_member(role="manager"))
    assert (
        client.post("/qualifications/new", data=_grant(member, laser, expires_at=day)).status_code
        == 302
    )
    [found] = _current(db_session, member)
    assert found.expires_at == expected_utc


def test_recording_again_renews_the_one_current_training(
    sign_in, make_member, laser, train, db_session
):
    member = make_member()
    train(member, laser, expires_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
    client = sign_in(make_member(role="manager"))
    assert client.post("/qualifications/new", data=_grant(member, laser)).status_code == 302
    [found] = _current(db_session, member)
    assert found.expires_at is None


def test_the_member_page_link_preselects_and_returns(sign_in, make_member, laser):
    member = make_member()
    client = sign_in(make_member(role="manager"))
    page = client.get(f"/qualifications/new?member={member.id}&next=/members/{member.id}").data
    assert f'<option selected value="{member.id}">'.encode() in page
    data = _grant(member, laser, next=f"/members/{member.id}")
    response = client.post("/qualifications/new", data=data)
    assert response.headers["Location"].endswith(f"/members/{member.id}")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("member_id", "", b"This field is required."),
        ("member_id", "abc", b"could not coerce"),
        ("member_id", "999999", b"Not a valid choice"),
        ("member_id", SQL, b"could not coerce"),
        ("resource", "", b"This field is required."),
        ("resource", "nope", b"Not a valid choice"),
        ("resource", SCRIPT, b"Not a valid choice"),
        ("resource", UNICODE, b"Not a valid choice"),
        ("expires_at", "not a date", b"Not a valid date value."),
        ("expires_at", "31/12/2099", b"Not a valid date value."),
        ("expires_at", "2099-02-30", b"Not a valid date value."),
        ("expires_at", TOO_LONG, b"Not a valid date value."),
        ("expires_at", "2000-01-01", b"Choose a moment in the future."),
    ],
)
def test_recording_refuses_bad_input_and_stores_nothing(
    sign_in, make_member, laser, count, field, value, message
):
    member = make_member()
    client = sign_in(make_member(role="manager"))
    before = (count(Qualification), count(AuditLog))
    response = client.post("/qualifications/new", data={**_grant(member, laser), field: value})
    assert response.status_code == 422
    assert message in response.data
    assert (count(Qualification), count(AuditLog)) == before


def test_a_deactivated_member_cannot_be_trained(sign_in, make_member, laser, count):
    member = make_member(active=False)
    client = sign_in(make_member(role="manager"))
    before = count(Qualification)
    response = client.post("/qualifications/new", data=_grant(member, laser))
    assert response.status_code == 422
    assert count(Qualification) == before


# -- revoking ----------------------------------------------------------------


def test_manager_revokes_a_training(sign_in, make_member, laser, train, db_session):
    member = make_member()
    found = train(member, laser)
    response = sign_in(make_member(role="manager")).post(f"/qualifications/{found.id}/revoke")
    assert response.status_code == 302
    assert _current(db_session, member) == []
    assert db_session.scalar(select(AuditLog).where(AuditLog.action == "qualification.revoke"))


def test_revoking_from_the_member_page_returns_there(sign_in, make_member, laser, train):
    member = make_member()
    found = train(member, laser)
    client = sign_in(make_member(role="manager"))
    assert (
        f"/qualifications/{found.id}/revoke?next=/members/{member.id}".encode()
        in client.get(f"/members/{member.id}").data
    )
    response = client.post(f"/qualifications/{found.id}/revoke?next=/members/{member.id}")
    assert response.headers["Location"].endswith(f"/members/{member.id}")


def test_revoking_an_unknown_training_is_404(sign_in, make_member):
    assert (
        sign_in(make_member(role="manager")).post("/qualifications/999999/revoke").status_code
        == 404
    )
