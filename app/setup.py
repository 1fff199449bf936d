"""The pieces `create_app` wires together, each small enough to read at a glance."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, Response, g, request, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from app.extensions import babel, csrf, db, limiter, login_manager, migrate

MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")


def init_logging(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )


def init_proxy(app: Flask) -> None:
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops
        )


def select_locale() -> str:
    from flask import current_app

    supported = current_app.config["LANGUAGES"]
    # A page may fix its language from the link itself (the public report's ?lang=,
    # which works inside another site's iframe, where our cookies are not sent).
    if g.get("link_locale") in supported:
        return str(g.link_locale)
    # The API's member (bearer token) decides there; a session cookie does not count.
    member = g.get("api_member") if request.path.startswith("/api/") else current_user
    if member is not None and member.is_authenticated and member.locale in supported:
        return str(member.locale)
    chosen = session.get("locale")
    if chosen in supported:
        return str(chosen)
    return (
        request.accept_languages.best_match(supported) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(
        app, locale_selector=select_locale, timezone_selector=lambda: app.config["TIMEZONE"]
    )
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"

    from app.auth_loading import load_user

    login_manager.user_loader(load_user)


def init_templates(app: Flask) -> None:
    zone = ZoneInfo(app.config["TIMEZONE"])

    @app.template_filter("localtime")
    def localtime(value: dt.datetime | None, fmt: str = "short") -> str:
        from flask_babel import format_datetime

        if value is None:
            return ""
        return format_datetime(value.astimezone(zone), fmt)

    @app.template_filter("localdate")
    def localdate(value: dt.date | None, fmt: str = "medium") -> str:
        from flask_babel import format_date

        if value is None:
            return ""
        return format_date(value, fmt)

    from app import labels

    app.jinja_env.globals.update(
        sector_label=lambda v: labels.label(labels.SECTORS, v),
        role_label=lambda v: labels.label(labels.ROLES, v),
        kind_label=lambda v: labels.label(labels.RESOURCE_KINDS, v),
        status_label=lambda v: labels.label(labels.RESOURCE_STATUSES, v),
        privacy_label=lambda v: labels.label(labels.PRIVACY, v),
        booking_status_label=lambda v: labels.label(labels.BOOKING_STATUSES, v),
        rule_label=lambda v: labels.label(labels.BOOKING_RULES, v),
    )

    @app.context_processor
    def inject_globals() -> dict[str, object]:
        from flask_babel import get_locale

        return {
            "site_name": app.config["SITE_NAME"],
            "current_locale": str(get_locale()),
            "languages": app.config["LANGUAGES"],
        }


# The only pages other sites may show in a frame: the public report (by endpoint name).
FRAMEABLE_ENDPOINTS = frozenset({"public.report"})


def init_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint in FRAMEABLE_ENDPOINTS:
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                "script-src 'self'; frame-ancestors *; form-action 'self'; base-uri 'none'",
            )
        elif not g.get("allow_framing"):
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
            )
        return response
