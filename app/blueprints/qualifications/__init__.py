"""Trainings ("qualifications"): managers record and revoke them; others read their own."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from app.errors import translate
from app.labels import choices
from app.services import members, resources
from app.services import qualifications as service
from app.services.errors import ValidationFailed
from app.web import (
    actor,
    commit,
    field_errors,
    guard,
    int_arg,
    is_manager,
    local_target,
    now,
    page_arg,
    require,
)

from .forms import GrantForm

bp = Blueprint("qualifications", __name__, url_prefix="/qualifications")


guard(bp)


def _resource_choices(*, by_id: bool = False) -> list[tuple[Any, str]]:
    """Active resources, keyed by slug (what the service takes) or by id (the list filter)."""
    return [
        (r.id if by_id else r.slug, f"{r.parent.name} / {r.name}" if r.parent else r.name)
        for r in resources.list_resources(actor()).items
    ]


def _member_choices() -> list[tuple[int, str]]:
    people = members.list_members(actor(), per_page=5000).items
    return [(m.id, f"{m.name} ({m.tenant.name})" if m.tenant else m.name) for m in people]


@bp.get("/")
def index():
    member_id, resource_id = int_arg("member"), int_arg("resource")
    show_all = request.args.get("all") == "1"
    filters_hidden = not (actor().is_manager or actor().is_tenant_admin)
    page = service.list_qualifications(
        actor(),
        member_id=member_id,
        resource_id=resource_id,
        include_revoked=show_all,
        page=page_arg(),
    )
    return render_template(
        "qualifications/index.html",
        page=page,
        filters={"member": member_id, "resource": resource_id, "all": 1 if show_all else None},
        member_choices=_member_choices() if not filters_hidden else [],
        resource_choices=_resource_choices(by_id=True) if not filters_hidden else [],
        now=now(),
    )


@bp.route("/new", methods=["GET", "POST"])
def create():
    require(is_manager)
    form = GrantForm(member_id=int_arg("member"), next=request.args.get("next", ""))
    form.member_id.choices = choices((str(k), v) for k, v in _member_choices())
    form.resource.choices = choices(_resource_choices())
    back = local_target(form.next.data, url_for("qualifications.index"))
    if form.validate_on_submit():
        try:
            granted = service.grant_qualification(
                actor=actor(),
                member=members.get_member(actor(), form.member_id.data),
                resource=resources.get_resource(actor(), form.resource.data or ""),
                expires_at=form.expiry(current_app.config["TIMEZONE"]),
                now=now(),
            )
        except ValidationFailed as exc:
            field_errors(form, exc.fields, translate)
        else:
            commit()
            flash(
                _(
                    "%(name)s is trained on %(resource)s.",
                    name=granted.member.name,
                    resource=granted.resource.name,
                )
            )
            return redirect(back)
    status = 422 if form.is_submitted() else 200
    return render_template("qualifications/form.html", form=form, back=back), status


@bp.post("/<int:qualification_id>/revoke")
def revoke(qualification_id: int):
    require(is_manager)
    found = service.get_qualification(actor(), qualification_id)
    service.revoke_qualification(found, actor=actor(), now=now())
    commit()
    flash(
        _(
            "%(name)s's training on %(resource)s is revoked.",
            name=found.member.name,
            resource=found.resource.name,
        )
    )
    return redirect(local_target(request.args.get("next"), url_for("qualifications.index")))
