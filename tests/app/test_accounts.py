"""Logging in and out, invitations, resets, password changes, rate limits."""

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from app.extensions import limiter
from app.models import LoginLink, Member, OutgoingMail, TenantStatus
from tests.conftest import FAST_PASSWORD

pytestmark = pytest.mark.db


def _login(client, email, password=FAST_PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def _mails_to(db_session, address):
    return list(db_session.scalars(select(OutgoingMail).where(OutgoingMail.recipient == address)))


def _link_in(mail):
    match = re.search(r"/account/set-password/([A-Za-z0-9_\-]+)", mail.body)
    assert match, mail.body
    return match.group(1)


def test_login_with_the_right_password_opens_the_home_page(client, make_member):
    member = make_member()
    response = _login(client, member.email.upper())
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_login_with_a_wrong_password_is_refused_with_a_message(client, make_member):
    member = make_member()
    response = _login(client, member.email, "wrong password!")
    assert response.status_code == 200
    assert b"not right" in response.data
    assert client.get("/").status_code == 302


def test_unknown_address_gets_the_same_answer_as_a_wrong_password(client, make_member):
    member = make_member()
    wrong = _login(client, member.email, "wrong password!").data
    unknown = _login(client, "nobody@example.org", "wrong password!").data
    assert b"not right" in wrong
    assert b"not right" in unknown


def test_deactivated_member_cannot_log_in(client, make_member):
    member = make_member(active=False)
    response = _login(client, member.email)
    assert response.status_code == 200
    assert b"deactivated" in response.data
    assert client.get("/").status_code == 302


def test_member_of_a_deactivated_tenant_cannot_log_in(client, make_member, make_tenant):
    tenant = make_tenant(status=TenantStatus.INACTIVE)
    member = make_member(tenant=tenant)
    assert _login(client, member.email).status_code == 200
    assert client.get("/").status_code == 302


def test_deactivating_a_member_ends_their_open_session(client, make_member, db_session):
    member = make_member()
    _login(client, member.email)
    assert client.get("/").status_code == 200
    member.active = False
    member.rotate_session()
    db_session.flush()
    assert client.get("/").status_code == 302


def test_logout_needs_a_post_and_ends_the_session(client, make_member):
    member = make_member()
    _login(client, member.email)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_open_redirect_after_login_is_refused(client, make_member):
    member = make_member()
    response = client.post(
        "/login?next=//evil.example/x", data={"email": member.email, "password": FAST_PASSWORD}
    )
    assert response.headers["Location"] == "/"


@pytest.fixture
def limited(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_IP", "8 per 10 minutes")
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT", "3 per 10 minutes")
    limiter.reset()
    yield
    limiter.reset()


def test_repeated_failed_logins_for_one_account_are_rate_limited(client, make_member, limited, app):
    member = make_member()
    allowed = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
    for _ in range(allowed):
        assert _login(client, member.email, "wrong password!").status_code == 200
    response = _login(client, member.email)  # even the right password waits now
    assert response.status_code == 429
    assert b"Too many attempts" in response.data
    # another account from the same address is not blocked by this one's limit
    other = make_member()
    assert _login(client, other.email).status_code == 302


def test_failed_logins_from_one_address_are_rate_limited(client, make_member, limited, app):
    allowed = int(app.config["LOGIN_LIMIT_PER_IP"].split()[0])
    for n in range(allowed):
        _login(client, f"someone{n}@example.org", "wrong password!")
    assert _login(client, "another@example.org", "wrong password!").status_code == 429


def test_rate_limit_uses_the_real_client_address_behind_the_proxy(make_member, limited, app):
    """With INCUBATOR_PROXY_HOPS the limit follows X-Forwarded-For, not nginx's address."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    original = app.wsgi_app
    app.wsgi_app = ProxyFix(original, x_for=1)
    try:
        client = app.test_client()
        allowed = int(app.config["LOGIN_LIMIT_PER_IP"].split()[0])
        for n in range(allowed):
            client.post(
                "/login",
                data={"email": f"a{n}@example.org", "password": "x"},
                headers={"X-Forwarded-For": "203.0.113.9"},
            )
        blocked = client.post(
            "/login",
            data={"email": "b@example.org", "password": "x"},
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
        other = client.post(
            "/login",
            data={"email": "c@example.org", "password": "x"},
            headers={"X-Forwarded-For": "198.51.100.7"},
        )
    finally:
        app.wsgi_app = original
    assert blocked.status_code == 429
    assert other.status_code == 200


def test_forgot_password_answers_the_same_for_known_and_unknown_addresses(
    client, make_member, db_session
):
    member = make_member()
    known = client.post("/account/forgot", data={"email": member.email}, follow_redirects=True)
    unknown = client.post(
        "/account/forgot", data={"email": "ghost@example.org"}, follow_redirects=True
    )
    assert known.status_code == unknown.status_code == 200
    assert known.data.replace(member.email.encode(), b"") == unknown.data.replace(
        b"ghost@example.org", b""
    )
    assert len(_mails_to(db_session, member.email)) == 1
    assert _mails_to(db_session, "ghost@example.org") == []


def test_reset_link_sets_a_new_password_once(client, make_member, db_session):
    member = make_member()
    client.post("/account/forgot", data={"email": member.email})
    token = _link_in(_mails_to(db_session, member.email)[0])
    new = "a brand new password"
    response = client.post(f"/account/set-password/{token}", data={"password": new, "confirm": new})
    assert response.status_code == 302
    assert _login(client, member.email, new).status_code == 302
    client.post("/logout")
    again = client.post(f"/account/set-password/{token}", data={"password": new, "confirm": new})
    assert again.status_code == 404


def test_reset_link_expires_after_an_hour(client, make_member, db_session):
    member = make_member()
    client.post("/account/forgot", data={"email": member.email})
    token = _link_in(_mails_to(db_session, member.email)[0])
    link = db_session.scalar(select(LoginLink).where(LoginLink.member_id == member.id))
    assert link.expires_at - link.created_at == dt.timedelta(hours=1)
    link.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    db_session.flush()
    assert client.get(f"/account/set-password/{token}").status_code == 404


def test_a_new_reset_link_voids_the_older_one(client, make_member, db_session):
    member = make_member()
    client.post("/account/forgot", data={"email": member.email})
    client.post("/account/forgot", data={"email": member.email})
    first, second = (_link_in(m) for m in _mails_to(db_session, member.email))
    assert client.get(f"/account/set-password/{first}").status_code == 404
    assert client.get(f"/account/set-password/{second}").status_code == 200


def test_short_new_password_is_refused_and_the_link_stays_usable(client, make_member, db_session):
    member = make_member()
    client.post("/account/forgot", data={"email": member.email})
    token = _link_in(_mails_to(db_session, member.email)[0])
    response = client.post(
        f"/account/set-password/{token}", data={"password": "short", "confirm": "short"}
    )
    assert response.status_code == 200
    assert b"10 characters" in response.data
    assert client.get(f"/account/set-password/{token}").status_code == 200


def test_invitation_mail_is_in_the_members_language_and_valid_72_hours(
    db_session, make_member, now
):
    from app.services.accounts import MailContext
    from app.services.members import create_member

    manager = make_member(role="manager")
    tenant_member = make_member()
    invited = create_member(
        actor=manager,
        email="nieuw@example.org",
        name="Nieuw Lid",
        role="member",
        tenant_id=tenant_member.tenant_id,
        locale="nl",
        mail_context=MailContext("https://incubator.test.example", "Makers Incubator"),
        now=now,
    )
    db_session.flush()
    [mail] = _mails_to(db_session, "nieuw@example.org")
    assert "https://incubator.test.example/account/set-password/" in mail.body
    assert "wachtwoord" in mail.body.lower()
    link = db_session.scalar(select(LoginLink).where(LoginLink.member_id == invited.id))
    assert link.expires_at - link.created_at == dt.timedelta(hours=72)
    assert invited.password_hash is None


def test_change_password_needs_the_current_one(client, make_member, db_session):
    member = make_member()
    _login(client, member.email)
    wrong = client.post(
        "/profile/password",
        data={"current_password": "nope", "new_password": "x" * 12, "confirm": "x" * 12},
    )
    assert wrong.status_code == 422
    right = client.post(
        "/profile/password",
        data={"current_password": FAST_PASSWORD, "new_password": "y" * 12, "confirm": "y" * 12},
    )
    assert right.status_code == 302
    assert client.get("/").status_code == 200  # this session goes on
    client.post("/logout")
    assert _login(client, member.email, "y" * 12).status_code == 302


def test_passwords_are_stored_with_argon2id(db_session):
    from app.services.passwords import hash_password

    assert hash_password("something long enough").startswith("$argon2id$")


def test_session_cookie_flags(client, make_member):
    member = make_member()
    response = _login(client, member.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_csrf_is_required_on_login(client, make_member, monkeypatch, app):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    member = make_member()
    response = _login(client, member.email)
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_counts_stay_when_a_login_fails(client, db_session, make_member):
    make_member()
    before = db_session.scalar(select(func.count(Member.id)))
    _login(client, "x@example.org", "bad")
    assert db_session.scalar(select(func.count(Member.id))) == before
