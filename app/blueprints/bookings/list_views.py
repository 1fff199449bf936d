"""Lists: my bookings, my company's bookings (tenant admins), the approval queue (managers)."""

from __future__ import annotations

from flask import abort, render_template, request

from app import web
from app.services import tenants
from app.services.bookings import queries

from . import edge


def _upcoming() -> bool:
    return request.args.get("show") != "past"


def mine():
    page = queries.member_bookings(
        web.actor(), upcoming=_upcoming(), now=edge.now(), page=web.page_arg()
    )
    return render_template("bookings/mine.html", page=page, upcoming=_upcoming())


def company():
    actor = web.actor()
    if not (actor.is_manager or actor.is_tenant_admin):
        abort(403)
    tenant_id = web.int_arg("tenant") if actor.is_manager else None
    page = queries.company_bookings(
        actor, upcoming=_upcoming(), now=edge.now(), tenant_id=tenant_id, page=web.page_arg()
    )
    choices = (
        [(t.id, t.name) for t in tenants.list_tenants(actor, per_page=1000).items]
        if actor.is_manager
        else []
    )
    return render_template(
        "bookings/company.html",
        page=page,
        upcoming=_upcoming(),
        tenant_id=tenant_id,
        tenants=choices,
    )


def approvals():
    actor = web.actor()
    if not actor.is_manager:
        abort(403)
    return render_template("bookings/approvals.html", bookings=queries.pending_approvals(actor))
