"""Badges: managers assign them to anyone, tenant admins to their own company's members."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.errors import translate
from app.labels import choices
from app.services import badges as service
from app.services import members, unknown_badges
from app.services.errors import Conflict, ValidationFailed
from app.web import (
    actor,
    commit,
    field_errors,
    guard,
    int_arg,
    local_target,
    manages_people,
    now,
    page_arg,
)

from .forms import BadgeForm

bp = Blueprint("badges", __name__, url_prefix="/badges")


guard(bp, manages_people)


def _unknown_window() -> dt.timedelta:
    return dt.timedelta(minutes=int(current_app.config["UNKNOWN_BADGE_MINUTES"]))


def _picked_scan() -> dict[str, str]:
    """`?scan=<event id>`: an offered unknown badge, picked without JavaScript."""
    event_id = int_arg("scan")
    scan = (
        unknown_badges.unknown_scan(event_id, now=now(), window=_unknown_window())
        if event_id is not None
        else None
    )
    return {"uid": scan.uid, "reader_format": "hex"} if scan is not None else {}


def _badge_form() -> BadgeForm:
    form = BadgeForm(
        member_id=int_arg("member"), next=request.args.get("next", ""), **_picked_scan()
    )
    people = members.list_members(actor(), per_page=5000).items
    form.member_id.choices = choices(
        (str(m.id), f"{m.name} ({m.tenant.name})" if m.tenant else m.name)
        for m in people
        if actor().can_manage_member(m)
    )
    return form


@bp.get("/")
def index():
    show_all = request.args.get("all") == "1"
    page = service.list_badges(actor(), include_revoked=show_all, page=page_arg())
    return render_template("badges/index.html", page=page, show_all=show_all)


@bp.route("/new", methods=["GET", "POST"])
def create():
    form = _badge_form()
    back = local_target(form.next.data, url_for("badges.index"))
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            badge = service.assign_badge(
                actor=actor(),
                member=members.get_member(actor(), form.member_id.data),
                uid=form.uid.data or "",
                reader_format=form.reader_format.data or "",
                label=form.label.data or "",
                now=now(),
            )
        except ValidationFailed as exc:
            field_errors(form, exc.fields, translate)
        except Conflict as exc:
            form.uid.errors = [translate(exc.message, exc.params)]
            status = 409
        else:
            commit()
            flash(
                _("Badge %(uid)s is assigned to %(name)s.", uid=badge.uid, name=badge.member.name)
            )
            return redirect(back)
    unknown = unknown_badges.recent_unknown_badges(now=now(), window=_unknown_window())
    return render_template("badges/form.html", form=form, back=back, unknown=unknown), status


@bp.post("/<int:badge_id>/revoke")
def revoke(badge_id: int):
    badge = service.get_badge(actor(), badge_id)
    service.revoke_badge(badge, actor=actor(), now=now())
    commit()
    flash(_("Badge %(uid)s is revoked. Doors and machines refuse it.", uid=badge.uid))
    return redirect(local_target(request.args.get("next"), url_for("badges.index")))
