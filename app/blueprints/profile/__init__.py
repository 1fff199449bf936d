"""Everyone's own page: name, language, password and API tokens."""

from __future__ import annotations

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required, login_user

from app.errors import translate
from app.services import accounts, api_tokens
from app.services.errors import NotFound, ValidationFailed
from app.services.members import update_notification_preferences, update_own_profile
from app.web import actor, commit, field_errors, now

from . import history_views
from .forms import NotificationForm, PasswordForm, ProfileForm, TokenForm

bp = Blueprint("profile", __name__, url_prefix="/profile")
bp.add_url_rule("/history", view_func=history_views.history)


@bp.before_request
@login_required
def _require_login() -> None:
    return None


def _render(**forms):
    member = actor()
    forms.setdefault("profile_form", ProfileForm(obj=member, locale=member.locale or ""))
    forms.setdefault("password_form", PasswordForm())
    forms.setdefault("token_form", TokenForm())
    forms.setdefault("notification_form", _notification_form())
    return render_template("profile/index.html", tokens=api_tokens.list_api_tokens(member), **forms)


def _notification_form(formdata: object = None) -> NotificationForm:
    member = actor()
    form = NotificationForm(
        formdata=formdata,
        data={
            "notify_bookings": member.notify_bookings,
            "notify_digest": member.notify_digest,
            "notify_alerts": member.notify_alerts,
        },
    )
    if not member.is_manager:
        del form.notify_digest  # the digest of pending approvals is for managers
        del form.notify_alerts  # so are the alerts about doors and devices
    return form


@bp.get("/")
def index():
    return _render()


@bp.post("/")
def update():
    form = ProfileForm()
    if form.validate_on_submit():
        try:
            update_own_profile(actor(), name=form.name.data or "", locale=form.locale.data or None)
        except ValidationFailed as exc:
            field_errors(form, exc.fields, translate)
        else:
            commit()
            if form.locale.data:
                session["locale"] = form.locale.data
            flash(_("Your profile is saved."))
            return redirect(url_for("profile.index"))
    return _render(profile_form=form), 422


@bp.post("/notifications")
def notifications():
    form = _notification_form(formdata=request.form)
    if not form.validate_on_submit():
        return _render(notification_form=form), 422
    member = actor()
    digest = form.notify_digest.data if "notify_digest" in form else member.notify_digest
    alerts = bool(form.notify_alerts.data) if "notify_alerts" in form else None
    update_notification_preferences(
        member, bookings=bool(form.notify_bookings.data), digest=bool(digest), alerts=alerts
    )
    commit()
    flash(_("Your e-mail preferences are saved."))
    return redirect(url_for("profile.index"))


@bp.post("/password")
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        member = actor()
        try:
            accounts.change_password(
                member, current=form.current_password.data or "", new=form.new_password.data or ""
            )
        except ValidationFailed as exc:
            field_errors(form, exc.fields, translate)
        else:
            commit()
            login_user(member)  # the session id changed with the password
            flash(_("Your password is changed. Other devices are logged out."))
            return redirect(url_for("profile.index"))
    return _render(password_form=form), 422


@bp.post("/tokens")
def create_token():
    form = TokenForm()
    if form.validate_on_submit():
        try:
            token, secret = api_tokens.create_api_token(
                member=actor(),
                name=form.name.data or "",
                expires_at=form.expiry(now()),
                now=now(),
            )
        except ValidationFailed as exc:
            field_errors(form, exc.fields, translate)
        else:
            commit()
            response = make_response(
                render_template("profile/token_created.html", token=token, secret=secret)
            )
            response.headers["Cache-Control"] = "no-store"
            return response
    return _render(token_form=form), 422


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    try:
        api_tokens.revoke_api_token(member=actor(), token_id=token_id, now=now())
    except NotFound:
        flash(_("No such token."), "error")
    else:
        commit()
        flash(_("The token is revoked."))
    return redirect(url_for("profile.index"))
