"""Logging in and out, invitations and password resets."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.errors import translate
from app.extensions import limiter
from app.services import accounts
from app.services.errors import NotFound, ValidationFailed
from app.web import commit, field_errors, mail_context, now

from .forms import ForgotForm, LoginForm, SetPasswordForm

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)


def _failed(response):
    """Only failed logins count towards the limits; a success redirects."""
    return response.status_code != 302


def _account_key() -> str:
    return "login-account:" + (request.form.get("email") or "").strip().lower()[:254]


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"], deduct_when=_failed
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        result = accounts.authenticate(form.email.data or "", form.password.data or "")
        if result.outcome == accounts.LoginOutcome.OK and result.member is not None:
            login_user(result.member)
            commit()
            log.info("member %s logged in", result.member.id)
            return redirect(_safe_next(request.args.get("next")))
        if result.outcome == accounts.LoginOutcome.DEACTIVATED:
            form.form_errors.append(_("This account is deactivated. Ask the incubator staff."))
        else:
            form.form_errors.append(_("The e-mail address or password is not right."))
        log.info("failed login from %s", request.remote_addr)
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("You are logged out."))
    return redirect(url_for("auth.login"))


@bp.route("/account/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"])
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        accounts.request_password_reset(
            form.email.data or "",
            context=mail_context(),
            now=now(),
            valid_hours=current_app.config["RESET_VALID_HOURS"],
        )
        commit()
        flash(_("If this address has an account, a link to reset the password is on its way."))
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/account/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    link = accounts.find_usable_link(token, now=now())
    if link is None:
        return render_template("auth/link_invalid.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            member = accounts.set_password_with_link(token, form.password.data or "", now=now())
        except ValidationFailed as exc:
            field_errors(form, exc.fields, translate)
        except NotFound:
            return render_template("auth/link_invalid.html"), 404
        else:
            commit()
            logout_user()
            flash(_("Your password is set. You can log in now."))
            log.info("member %s set a password through a %s link", member.id, link.purpose)
            return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, member=link.member)
