"""Usage report pages: `/reports` for managers (every company) and for a company's own
people (their own company, in the same form), and its CSV download."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from app.web import guard

from . import views

bp = Blueprint("reports", __name__, url_prefix="/reports")
guard(bp)

ROUTES: list[tuple[str, str, Any]] = [
    ("", "usage", views.usage),
    ("/usage.csv", "usage_csv", views.usage_csv),
]

for rule, endpoint, view in ROUTES:
    bp.add_url_rule(rule, endpoint, view, methods=["GET"])
