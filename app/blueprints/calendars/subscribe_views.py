"""The Subscribe page: a secret feed link per device, shown once; my links, revoke, rotate."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app import web
from app.errors import translate
from app.labels import choices
from app.models import CalendarToken, Resource
from app.services import calendar_feeds
from app.services.bookings.queries import bookable_resources
from app.services.errors import N_, NotFound, PermissionDenied, ValidationFailed
from app.services.resources import get_resource

from .forms import SCOPE_HELP, SCOPE_LABELS, SubscribeForm


def _form() -> SubscribeForm:
    form = SubscribeForm()
    scopes = calendar_feeds.subscribable_scopes(web.actor())
    form.scope.choices = choices([(s.value, SCOPE_LABELS[s]) for s in scopes])
    form.resource.choices = choices(
        [("", _("Choose…")), *((r.slug, r.name) for r in bookable_resources())]
    )
    return form


def _render(form: SubscribeForm, status: int = 200) -> Any:
    member = web.actor()
    page = render_template(
        "calendars/subscribe.html",
        form=form,
        links=calendar_feeds.list_calendar_tokens(member),
        scope_labels=SCOPE_LABELS,
        scope_help=[
            (SCOPE_LABELS[s], SCOPE_HELP[s]) for s in calendar_feeds.subscribable_scopes(member)
        ],
    )
    return page, status


def _resource(slug: str | None) -> Resource | None:
    if not slug:
        return None
    try:
        return get_resource(web.actor(), slug)
    except NotFound:
        raise ValidationFailed({"resource": N_("Unknown resource.")}) from None


def _show_once(token: CalendarToken, secret: str) -> Any:
    """The links, once: never cached, never sent as a referrer."""
    links = calendar_feeds.feed_links(secret, public_url=current_app.config["PUBLIC_URL"])
    response = make_response(
        render_template(
            "calendars/link_created.html", token=token, links=links, scope_labels=SCOPE_LABELS
        )
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@login_required
def index() -> Any:
    return _render(_form())


@login_required
def create() -> Any:
    form = _form()
    if not form.validate_on_submit():
        return _render(form, 422)
    try:
        token, secret = calendar_feeds.create_calendar_token(
            member=web.actor(),
            scope=form.scope.data or "",
            name=form.name.data or "",
            resource=_resource(form.resource.data) if form.scope.data == "resource" else None,
            now=web.now(),
        )
    except (ValidationFailed, PermissionDenied) as exc:
        web.rollback()
        web.field_errors(form, getattr(exc, "fields", None) or {"scope": exc.message}, translate)
        return _render(form, 422)
    web.commit()
    return _show_once(token, secret)


@login_required
def revoke(token_id: int) -> Any:
    try:
        calendar_feeds.revoke_calendar_token(member=web.actor(), token_id=token_id, now=web.now())
    except NotFound:
        flash(_("No such calendar link."), "error")
    else:
        web.commit()
        flash(_("The link is revoked: calendars using it get nothing more."))
    return redirect(url_for("calendars.subscribe"))


@login_required
def rotate(token_id: int) -> Any:
    try:
        token, secret = calendar_feeds.rotate_calendar_token(
            member=web.actor(), token_id=token_id, now=web.now()
        )
    except NotFound:
        flash(_("No such calendar link."), "error")
        return redirect(url_for("calendars.subscribe"))
    web.commit()
    return _show_once(token, secret)
