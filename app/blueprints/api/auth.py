"""Who is calling: a bearer token, nothing else.

A login session cookie does not count here (the API is CSRF-exempt, so a
cookie must never authorise it), and the API keeps its own member on `g`
instead of Flask-Login's `current_user`.
"""

from __future__ import annotations

from typing import cast

from flask import Response, g, request
from flask_babel import gettext

from app.errors import json_error
from app.extensions import db
from app.models import Member
from app.services.api_tokens import authenticate_api_token
from app.web import now

from .routing import PUBLIC_ENDPOINTS, bp

CHALLENGE = 'Bearer realm="api"'


def actor() -> Member:
    """The member whose token authorised this request."""
    return cast(Member, g.api_member)


def _unauthorized(message: str, *, token_given: bool) -> Response:
    response = json_error(401, "unauthorized", message)
    response.headers["WWW-Authenticate"] = (
        f'{CHALLENGE}, error="invalid_token"' if token_given else CHALLENGE
    )
    return response


@bp.before_request
def authenticate() -> Response | None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None  # open to anyone by declaration; never reads a token or a cookie
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        return _unauthorized(
            gettext("Log in with an API token: send the header Authorization: Bearer <token>."),
            token_given=False,
        )
    member = authenticate_api_token(secret, now=now())
    if member is None:
        return _unauthorized(
            gettext("This API token is not valid: unknown, expired, revoked or deactivated."),
            token_given=True,
        )
    if db.session.dirty:  # the service recorded the token's use (at most hourly)
        db.session.commit()
    g.api_member = member
    return None


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    return response
