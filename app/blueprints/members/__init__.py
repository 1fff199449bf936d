"""Pages for managing people: managers see everyone, tenant admins their own company."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.errors import translate
from app.labels import ROLES, choices, label
from app.models import Member, Role
from app.services import badges, qualifications, tenants
from app.services import members as service
from app.services.errors import UNSET, ValidationFailed
from app.web import (
    actor,
    commit,
    field_errors,
    guard,
    int_arg,
    mail_context,
    manages_people,
    now,
    page_arg,
    rollback,
)

from .forms import NO_TENANT, MemberForm, NewMemberForm

bp = Blueprint("members", __name__, url_prefix="/members")


guard(bp, manages_people)


def _tenants() -> list[tuple[int, str]]:
    return [(t.id, t.name) for t in tenants.list_tenants(actor(), per_page=1000).items]


def _new_form() -> NewMemberForm:
    form = NewMemberForm(tenant_id=int_arg("tenant") or NO_TENANT)
    form.role.choices = choices((r.value, label(ROLES, r)) for r in actor().roles_grantable())
    if actor().is_manager:
        staff = (str(NO_TENANT), _("None: incubator staff"))
        form.tenant_id.choices = choices([staff, *((str(k), v) for k, v in _tenants())])
    else:
        del form.tenant_id  # a tenant admin adds people to their own company only
    return form


def _edit_form(member: Member) -> MemberForm:
    form = MemberForm(
        data={
            "name": member.name,
            "email": member.email,
            "role": member.role.value,
            "locale": member.locale or "",
        }
    )
    if member.id == actor().id:
        del form.role  # nobody changes their own role
    else:
        # Staff and tenant accounts never turn into each other.
        roles = [r for r in actor().roles_grantable() if (r == Role.MANAGER) == member.is_manager]
        form.role.choices = choices((r.value, label(ROLES, r)) for r in roles)
    return form


@bp.get("/")
def index():
    show_all = request.args.get("all") == "1"
    tenant_id = int_arg("tenant")
    search = request.args.get("q", "").strip()[:100]
    page = service.list_members(
        actor(), tenant_id=tenant_id, include_inactive=show_all, search=search, page=page_arg()
    )
    tenant_list = _tenants() if actor().is_manager else []
    return render_template(
        "members/index.html",
        page=page,
        show_all=show_all,
        tenant_id=tenant_id,
        search=search,
        tenants=tenant_list,
    )


@bp.route("/new", methods=["GET", "POST"])
def create():
    form = _new_form()
    if form.validate_on_submit():
        try:
            member = service.create_member(
                actor=actor(),
                email=form.email.data or "",
                name=form.name.data or "",
                role=form.role.data or "",
                tenant_id=form.chosen_tenant(),
                password=form.password.data or None,
                locale=form.locale.data or None,
                mail_context=mail_context(),
                now=now(),
            )
        except ValidationFailed as exc:
            field_errors(form, exc.fields, translate)
        else:
            commit()
            if form.password.data:
                flash(_("%(name)s is added and can log in now.", name=member.name))
            else:
                flash(_("%(name)s is added. An invitation e-mail is on its way.", name=member.name))
            return redirect(url_for("members.detail", member_id=member.id))
    status = 422 if form.is_submitted() else 200
    return render_template("members/form.html", form=form, member=None), status


@bp.get("/<int:member_id>")
def detail(member_id: int):
    member = service.get_member(actor(), member_id)
    return render_template(
        "members/detail.html",
        member=member,
        badges=badges.list_badges(
            actor(), member_id=member.id, include_revoked=True, per_page=200
        ).items,
        trainings=qualifications.list_qualifications(
            actor(), member_id=member.id, per_page=200
        ).items,
        now=now(),
    )


@bp.route("/<int:member_id>/edit", methods=["GET", "POST"])
def edit(member_id: int):
    member = service.get_member(actor(), member_id)
    service.require_manageable(actor(), member)
    form = _edit_form(member)
    if form.validate_on_submit():
        try:
            service.update_member(
                member,
                actor=actor(),
                name=form.name.data or "",
                email=form.email.data or "",
                role=form.role.data if "role" in form else UNSET,
                locale=form.locale.data or None,
                now=now(),
            )
        except ValidationFailed as exc:
            rollback()
            field_errors(form, exc.fields, translate)
        else:
            commit()
            flash(_("%(name)s is saved.", name=member.name))
            return redirect(url_for("members.detail", member_id=member.id))
    status = 422 if form.is_submitted() else 200
    return render_template("members/form.html", form=form, member=member), status


@bp.post("/<int:member_id>/deactivate")
def deactivate(member_id: int):
    member = service.get_member(actor(), member_id)
    service.deactivate_member(member, actor=actor(), now=now())
    commit()
    flash(_("%(name)s is deactivated: logged out, badges revoked.", name=member.name))
    return redirect(url_for("members.detail", member_id=member.id))


@bp.post("/<int:member_id>/reactivate")
def reactivate(member_id: int):
    member = service.get_member(actor(), member_id)
    service.update_member(member, actor=actor(), active=True, now=now())
    commit()
    flash(_("%(name)s is active again. Badges must be assigned anew.", name=member.name))
    return redirect(url_for("members.detail", member_id=member.id))
