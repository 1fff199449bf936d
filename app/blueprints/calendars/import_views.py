"""Managers' imported calendars: add by link or file, refresh, replace, switch off; collisions."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required

from app import web
from app.errors import translate
from app.labels import choices
from app.models import Resource
from app.services import calendar_collisions
from app.services import calendar_imports as service
from app.services.bookings.queries import bookable_resources
from app.services.calendar_imports import Download, ImportResult, ImportSettings
from app.services.errors import RuleViolation, ValidationFailed

from .forms import SourceForm, UploadForm


def _settings() -> ImportSettings:
    return ImportSettings.from_config(current_app.config)


def _source_form() -> SourceForm:
    form = SourceForm()
    form.resources.choices = choices((r.slug, r.name) for r in bookable_resources())
    return form


def _chosen(form: SourceForm) -> list[Resource]:
    wanted = set(form.resources.data or [])
    return [r for r in bookable_resources() if r.slug in wanted]


def _render(form: SourceForm | None = None, status: int = 200) -> Any:
    member = web.actor()
    page = render_template(
        "calendars/imports.html",
        sources=service.list_sources(member),
        form=form or _source_form(),
        upload_form=UploadForm(),
        collisions=calendar_collisions.imported_collisions(member, now=web.now()),
    )
    return page, status


def _report(result: ImportResult) -> None:
    if result.outcome == "failed":
        flash(_("The calendar could not be refreshed: %(error)s", error=result.error), "error")
        return
    if result.outcome == "unchanged":
        flash(_("The calendar has not changed."))
    else:
        flash(_("Closures added: %(added)s; removed: %(removed)s.", **_counts(result)))
    if result.collisions:
        count = len(result.collisions)
        flash(
            ngettext(
                "%(num)d booking is inside a new closure: see the list below.",
                "%(num)d bookings are inside new closures: see the list below.",
                count,
            ),
            "warning",
        )


def _counts(result: ImportResult) -> dict[str, int]:
    return {"added": result.added, "removed": result.removed}


@login_required
def index() -> Any:
    web.require(web.is_manager)
    return _render()


@login_required
def add() -> Any:
    web.require(web.is_manager)
    form = _source_form()
    if not form.validate_on_submit():
        return _render(form, 422)
    upload = form.file.data.read() if form.file.data else None
    try:
        fetched = _download(service.clean_url(form.url.data or "")) if upload is None else None
        result = service.add_source(
            actor=web.actor(),
            name=form.name.data or "",
            url=form.url.data or None,
            fetched=fetched,
            upload=upload,
            resources=_chosen(form),
            settings=_settings(),
            now=web.now(),
        )
    except ValidationFailed as exc:
        web.rollback()
        form.form_errors.append(translate(exc.message))
        web.field_errors(form, exc.fields, translate)
        return _render(form, 422)
    web.commit()
    _report(result)
    return redirect(url_for("calendars.imports"))


def _download(url: str, etag: str | None = None, modified: str | None = None) -> Download:
    """Fetch with no transaction open: no database lock waits on a slow calendar server."""
    web.rollback()
    return service.download(url, settings=_settings(), etag=etag, last_modified=modified)


@login_required
def refresh(source_id: int) -> Any:
    web.require(web.is_manager)
    plan = service.plan_refresh(service.get_source(web.actor(), source_id), force=True)
    fetched = _download(plan.url)
    source = service.get_source(web.actor(), source_id)
    result = service.refresh_source(
        source, fetched=fetched, settings=_settings(), now=web.now(), actor=web.actor()
    )
    web.commit()
    _report(result)
    return redirect(url_for("calendars.imports"))


@login_required
def upload(source_id: int) -> Any:
    web.require(web.is_manager)
    source = service.get_source(web.actor(), source_id)
    form = UploadForm()
    if not form.validate_on_submit():
        flash(_("Choose an .ics file to upload."), "error")
        return redirect(url_for("calendars.imports"))
    try:
        result = service.replace_upload(
            source,
            actor=web.actor(),
            upload=form.file.data.read(),
            settings=_settings(),
            now=web.now(),
        )
    except (ValidationFailed, RuleViolation) as exc:
        web.rollback()
        reasons = "; ".join(translate(m) for m in getattr(exc, "fields", {}).values())
        flash(f"{translate(exc.message)} {reasons}".strip(), "error")
        return redirect(url_for("calendars.imports"))
    web.commit()
    _report(result)
    return redirect(url_for("calendars.imports"))


@login_required
def deactivate(source_id: int) -> Any:
    web.require(web.is_manager)
    source = service.get_source(web.actor(), source_id)
    removed = service.deactivate_source(source, actor=web.actor(), now=web.now())
    web.commit()
    flash(_("The calendar is switched off; %(count)s closures removed.", count=removed))
    return redirect(url_for("calendars.imports"))
