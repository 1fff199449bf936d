"""The live public report: no login, linkable, and the one page other sites may frame.

`?lang=en|nl` picks the language from the link itself, so an embedded report
speaks the embedding site's language without cookies. The page sends
`frame-ancestors *` (app.setup.FRAMEABLE_ENDPOINTS) and no X-Frame-Options.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, render_template, request

from app.extensions import db
from app.services import public_report
from app.web import now

from .view import report_view

bp = Blueprint("public", __name__, url_prefix="/public")


@bp.before_request
def _language_from_link() -> None:
    lang = request.args.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        g.link_locale = lang


@bp.get("/")
def report():
    data = public_report.cached_report(
        db.session,
        now(),
        zone=public_report.zone_named(current_app.config["TIMEZONE"]),
        cache_key=("public-report", current_app.config["SQLALCHEMY_DATABASE_URI"]),
        max_age=float(current_app.config["PUBLIC_REPORT_CACHE_SECONDS"]),
    )
    response = current_app.make_response(
        render_template("public/report.html", **report_view(data, lang=g.get("link_locale")))
    )
    response.headers["Cache-Control"] = "public, max-age=60"
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response
