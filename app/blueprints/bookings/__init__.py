"""Booking pages: the week grid, the booking form, my bookings, approvals.

The URL map is written out here, in one place; the handlers live in small
modules by subject and never import this one.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, url_for
from flask_login import current_user, login_required

from app.services.bookings import queries

from . import booking_views, form_views, grid_views, list_views

bp = Blueprint("bookings", __name__, url_prefix="/bookings")


@bp.before_request
@login_required
def _logged_in() -> None:
    return None


@bp.app_context_processor
def _approvals_waiting() -> dict[str, Any]:
    """`pending_approvals()` for the navigation; asked only when a manager's page is drawn."""

    def count() -> int:
        if not (current_user.is_authenticated and current_user.is_manager):
            return 0
        return queries.count_pending_approvals(current_user)

    return {"pending_approvals": count}


def _index():
    return redirect(url_for("bookings.grid"))


ROUTES: list[tuple[str, str, Any, tuple[str, ...]]] = [
    ("/", "index", _index, ("GET",)),
    ("/grid", "grid", grid_views.grid, ("GET",)),
    ("/new", "create", form_views.create, ("GET", "POST")),
    ("/mine", "mine", list_views.mine, ("GET",)),
    ("/company", "company", list_views.company, ("GET",)),
    ("/approvals", "approvals", list_views.approvals, ("GET",)),
    ("/<int:booking_id>", "detail", booking_views.detail, ("GET",)),
    ("/<int:booking_id>.ics", "ics", booking_views.ics, ("GET",)),
    ("/<int:booking_id>/move", "move", booking_views.move, ("POST",)),
    ("/<int:booking_id>/cancel", "cancel", booking_views.cancel, ("POST",)),
    ("/<int:booking_id>/check-in", "check_in", booking_views.check_in, ("POST",)),
    ("/<int:booking_id>/approve", "approve", booking_views.approve, ("POST",)),
    ("/<int:booking_id>/reject", "reject", booking_views.reject, ("POST",)),
]

for rule, endpoint, view, methods in ROUTES:
    bp.add_url_rule(rule, endpoint, view, methods=list(methods))
