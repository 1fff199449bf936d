"""Rooms, the kitchen, the Fablab and its machines: everyone reads, managers edit."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.errors import translate
from app.labels import choices
from app.models import Resource, ResourceKind
from app.services import resources as service
from app.services.errors import ValidationFailed
from app.web import actor, commit, field_errors, guard, is_manager, now, require, rollback
from app.web_forms import DAY_LABELS

from .forms import ResourceForm, resource_data

bp = Blueprint("resources", __name__, url_prefix="/resources")


guard(bp)


def _tree(items: list[Resource]) -> list[tuple[Resource, list[Resource]]]:
    """Top-level resources, each with its listed children (the Fablab and its machines)."""
    listed = {r.id for r in items}
    return [
        (r, [c for c in items if c.parent_id == r.id])
        for r in items
        if r.parent_id is None or r.parent_id not in listed
    ]


def _form(resource: Resource | None = None) -> ResourceForm:
    form = ResourceForm(data=resource_data(resource)) if resource else ResourceForm()
    if resource is not None:
        del form.slug  # the short name is in links and feeds: it never changes
    holders = [
        r
        for r in service.list_resources(actor()).items
        if r.parent_id is None and r.kind != ResourceKind.MACHINE and r is not resource
    ]
    form.parent.choices = choices(
        [("", _("Nothing: a room of its own")), *((r.slug, r.name) for r in holders)]
    )
    return form


@bp.get("/")
def index():
    show_all = actor().is_manager and request.args.get("all") == "1"
    page = service.list_resources(actor(), include_inactive=show_all)
    return render_template("resources/index.html", tree=_tree(page.items), show_all=show_all)


@bp.get("/<slug>")
def detail(slug: str):
    resource = service.get_resource(actor(), slug)
    return render_template("resources/detail.html", resource=resource, days=DAY_LABELS)


@bp.route("/new", methods=["GET", "POST"])
def create():
    require(is_manager)
    form = _form()
    if form.validate_on_submit():
        try:
            resource = service.create_resource(
                actor=actor(),
                slug=form.slug.data or "",
                parent=form.parent.data or None,
                values=form.values(),
            )
        except ValidationFailed as exc:
            rollback()
            field_errors(form, exc.fields, translate)
        else:
            commit()
            flash(_("%(name)s is added.", name=resource.name))
            return redirect(url_for("resources.detail", slug=resource.slug))
    status = 422 if form.is_submitted() else 200
    return render_template("resources/form.html", form=form, resource=None), status


@bp.route("/<slug>/edit", methods=["GET", "POST"])
def edit(slug: str):
    require(is_manager)
    resource = service.get_resource(actor(), slug)
    form = _form(resource)
    if form.validate_on_submit():
        try:
            service.update_resource(
                resource, actor=actor(), values=form.values(), parent=form.parent.data or None
            )
        except ValidationFailed as exc:
            rollback()
            field_errors(form, exc.fields, translate)
        else:
            commit()
            flash(_("%(name)s is saved.", name=resource.name))
            return redirect(url_for("resources.detail", slug=resource.slug))
    status = 422 if form.is_submitted() else 200
    return render_template("resources/form.html", form=form, resource=resource), status


@bp.post("/<slug>/deactivate")
def deactivate(slug: str):
    require(is_manager)
    resource = service.get_resource(actor(), slug)
    service.deactivate_resource(resource, actor=actor(), now=now())
    commit()
    flash(_("%(name)s is deactivated: it can no longer be booked or used.", name=resource.name))
    return redirect(url_for("resources.detail", slug=resource.slug))


@bp.post("/<slug>/reactivate")
def reactivate(slug: str):
    require(is_manager)
    resource = service.get_resource(actor(), slug)
    service.reactivate_resource(resource, actor=actor())
    commit()
    flash(_("%(name)s is active again.", name=resource.name))
    return redirect(url_for("resources.detail", slug=resource.slug))
