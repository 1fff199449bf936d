"""Feed links: who may subscribe to what, secrets kept secret, and the Subscribe page."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest

from app.models import AuditLog, CalendarToken
from app.services import calendar_feeds
from app.services.errors import NotFound, PermissionDenied, ValidationFailed
from tests.app.calendar_support import cross_check_every_feed

pytestmark = pytest.mark.db

NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
LINK_RE = re.compile(r"https://incubator\.test\.example/ical/(cal_[A-Za-z0-9_-]+)\.ics")


@pytest.fixture(autouse=True)
def _every_feed_read_by_three_parsers(monkeypatch):
    cross_check_every_feed(monkeypatch)


@pytest.fixture
def people(make_tenant, make_member):
    alfa = make_tenant(name="Atelier Alfa")
    return {
        "manager": make_member("manager"),
        "tenant_admin": make_member("tenant_admin", tenant=alfa),
        "member": make_member(tenant=alfa),
    }


@pytest.fixture
def room(make_resource):
    return make_resource(name="Room")


def make(member, scope, resource=None, name="phone"):
    return calendar_feeds.create_calendar_token(
        member=member, scope=scope, name=name, resource=resource, now=NOW
    )


# -- the service -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "scope", "allowed"),
    [
        ("member", "member", True),
        ("member", "tenant", True),
        ("member", "resource", True),
        ("member", "site", False),
        ("tenant_admin", "tenant", True),
        ("tenant_admin", "site", False),
        ("manager", "member", True),
        ("manager", "resource", True),
        ("manager", "site", True),
        ("manager", "tenant", False),  # staff belong to no company
    ],
)
def test_who_may_subscribe_to_which_feed(people, room, who, scope, allowed):
    resource = room if scope == "resource" else None
    if allowed:
        token, _secret = make(people[who], scope, resource)
        assert token.scope.value == scope
    else:
        with pytest.raises(PermissionDenied):
            make(people[who], scope, resource)


def test_the_secret_has_at_least_128_random_bits_and_only_its_hash_is_kept(people, db_session):
    token, secret = make(people["member"], "member")
    db_session.commit()
    assert secret.startswith("cal_m_")  # the scope's mark: the lookup needs only that scope's data
    random_part = secret.removeprefix("cal_m_")
    assert len(random_part) * 6 >= 128
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:12]
    stored = [str(row.details) for row in db_session.query(AuditLog)]
    assert stored
    assert not any(random_part[8:] in text for text in stored)
    other = make(people["member"], "member")[1]
    assert other != secret


def test_a_resource_feed_names_a_resource_and_others_do_not(people, room):
    with pytest.raises(ValidationFailed) as missing:
        make(people["member"], "resource")
    assert "resource" in missing.value.fields
    with pytest.raises(ValidationFailed) as extra:
        make(people["member"], "member", room)
    assert "resource" in extra.value.fields
    with pytest.raises(ValidationFailed) as unknown:
        make(people["member"], "everything")
    assert "scope" in unknown.value.fields


def test_an_inactive_resource_cannot_be_subscribed_to(people, make_resource):
    closed = make_resource(active=False)
    with pytest.raises(PermissionDenied):
        make(people["member"], "resource", closed)


def test_nobody_revokes_or_rotates_another_members_link(people, make_member):
    token, _secret = make(people["member"], "member")
    stranger = make_member()
    with pytest.raises(NotFound):
        calendar_feeds.revoke_calendar_token(member=stranger, token_id=token.id, now=NOW)
    with pytest.raises(NotFound):
        calendar_feeds.rotate_calendar_token(member=stranger, token_id=token.id, now=NOW)
    with pytest.raises(NotFound):
        calendar_feeds.revoke_calendar_token(member=people["manager"], token_id=token.id, now=NOW)


def test_feed_links_use_the_public_url(people):
    links = calendar_feeds.feed_links("cal_abc", public_url="https://incubator.example.org/")
    assert links.url == "https://incubator.example.org/ical/cal_abc.ics"
    assert links.webcal_url == "webcal://incubator.example.org/ical/cal_abc.ics"


# -- the Subscribe page -------------------------------------------------------------------


def test_the_subscribe_page_needs_a_login(client):
    response = client.get("/calendar/subscribe")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_making_a_link_shows_it_once_as_https_and_webcal(people, sign_in, db_session):
    client = sign_in(people["member"])
    page = client.get("/calendar/subscribe").get_data(as_text=True)
    assert 'value="tenant"' in page
    assert 'value="site"' not in page
    response = client.post("/calendar/subscribe", data={"name": "phone", "scope": "member"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    text = response.get_data(as_text=True)
    [secret] = set(LINK_RE.findall(text))
    assert f"webcal://incubator.test.example/ical/{secret}.ics" in text
    assert 'id="feed-https" data-copy-label="Copy"' in text
    assert "calendar.js" in text
    listing = client.get("/calendar/subscribe").get_data(as_text=True)
    assert secret not in listing
    assert secret[:12] in listing
    assert "phone" in listing
    assert client.get(f"/ical/{secret}.ics").status_code == 200


def test_a_resource_link_from_the_page(people, room, sign_in, db_session):
    client = sign_in(people["member"])
    response = client.post(
        "/calendar/subscribe", data={"name": "laptop", "scope": "resource", "resource": room.slug}
    )
    assert response.status_code == 200
    assert db_session.query(CalendarToken).one().resource_id == room.id


def test_a_resource_link_without_a_resource_is_refused_on_the_page(people, sign_in, count):
    client = sign_in(people["member"])
    response = client.post("/calendar/subscribe", data={"name": "laptop", "scope": "resource"})
    assert response.status_code == 422
    assert "Choose a resource." in response.get_data(as_text=True)
    assert count(CalendarToken) == 0


def test_a_member_cannot_make_a_site_link_on_the_page(people, sign_in, count):
    client = sign_in(people["member"])
    response = client.post("/calendar/subscribe", data={"name": "x", "scope": "site"})
    assert response.status_code == 422
    assert count(CalendarToken) == 0


def test_revoke_and_rotate_from_the_page(people, sign_in, db_session):
    client = sign_in(people["member"])
    first = LINK_RE.findall(
        client.post("/calendar/subscribe", data={"name": "phone", "scope": "member"}).get_data(
            as_text=True
        )
    )[0]
    token = db_session.query(CalendarToken).one()
    rotated = client.post(f"/calendar/links/{token.id}/rotate")
    assert rotated.headers["Cache-Control"] == "no-store"
    second = LINK_RE.findall(rotated.get_data(as_text=True))[0]
    assert second != first
    assert client.get(f"/ical/{first}.ics").status_code == 404
    new = db_session.query(CalendarToken).filter(CalendarToken.revoked_at.is_(None)).one()
    response = client.post(f"/calendar/links/{new.id}/revoke", follow_redirects=True)
    assert "No calendar links yet." in response.get_data(as_text=True)
    assert client.get(f"/ical/{second}.ics").status_code == 404


def test_nobody_revokes_another_members_link_on_the_page(people, sign_in):
    token, secret = make(people["tenant_admin"], "member")
    client = sign_in(people["member"])
    client.post(f"/calendar/links/{token.id}/revoke")
    assert client.get(f"/ical/{secret}.ics").status_code == 200


def test_every_page_links_to_the_subscribe_page_and_managers_to_imports(people, sign_in):
    member_page = sign_in(people["member"]).get("/calendar/subscribe").get_data(as_text=True)
    assert 'href="/calendar/subscribe"' in member_page
    assert 'href="/calendar/imports"' not in member_page
    manager_page = sign_in(people["manager"]).get("/calendar/subscribe").get_data(as_text=True)
    assert 'href="/calendar/imports"' in manager_page
