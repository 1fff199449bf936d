"""Start pages per role, the language switch and the health check."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import text

from app.extensions import db
from app.services import dashboard
from app.services.members import update_own_profile
from app.web import actor, commit

from . import live_views

bp = Blueprint("main", __name__)
log = logging.getLogger(__name__)
bp.add_url_rule("/dashboard/live.json", view_func=login_required(live_views.live_json))


@bp.get("/")
@login_required
def home():
    member = actor()
    if member.is_manager:
        return render_template(
            "main/home_manager.html",
            stats=dashboard.manager_overview(),
            live=live_views.live_payload(durations=True),
            live_etag=live_views.live_etag(),
        )
    if member.is_tenant_admin:
        return render_template(
            "main/home_tenant_admin.html", stats=dashboard.tenant_overview(member)
        )
    return render_template("main/home_member.html", stats=dashboard.member_overview(member))


@bp.post("/language")
def set_language():
    locale = request.form.get("locale", "")
    target = request.form.get("next") or url_for("main.home")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("main.home")
    if locale in ("en", "nl"):
        session["locale"] = locale
        if current_user.is_authenticated:
            member = actor()
            update_own_profile(member, name=member.name, locale=locale)
            commit()
    return redirect(target)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        log.exception("health check: the database does not answer")
        db.session.rollback()
        return jsonify({"status": "unavailable", "database": "down"}), 503
    return jsonify({"status": "ok"})
