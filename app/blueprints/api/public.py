"""/api/v1/public/*: the live public report as JSON, for anyone, from any site.

No token (declared with `public=True`), CORS without credentials on these paths
only (preflight included), and cached briefly: `Cache-Control: public,
max-age=60`, an ETag with conditional GET, and the service's in-process cache.
"""

from __future__ import annotations

from typing import Literal

from flask import Response, current_app, request
from pydantic import BaseModel, Field

from app.extensions import db
from app.services import public_report
from app.web import now

from .routing import PREFIX, api_route, bp

TAG = "public"
PUBLIC_PREFIX = f"{PREFIX}/public/"
MAX_AGE = 60
# Headers a browser may ask to send in a cross-site request here (none needs a preflight
# for a plain GET; these are what fetch() with revalidation may add).
ALLOWED_HEADERS = ("Accept", "Accept-Language", "Content-Language", "If-None-Match")

SectorCode = Literal["traditional", "creative", "tech", "knowledge", "other"]
CompanyCount = int | None
COUNT = "Number of companies; null when 1 or 2 (counts under `min_count` are not shown)."


class SectorStats(BaseModel):
    sector: SectorCode = Field(description="Sectors with fewer than 3 companies are in `other`.")
    companies: CompanyCount = Field(description=COUNT)


class FacilityStats(BaseModel):
    slug: str
    name: str
    has_machines: bool = Field(description="True: `in_use` of `units` counts running machines.")
    units: int = Field(description="Machines in the facility, or 1 for a room.")
    in_use: int | None = Field(description="In use right now; null while the building is closed.")
    machine_hours: float
    room_hours: float
    companies: CompanyCount = Field(description=COUNT)
    sectors: list[SectorStats]
    named_companies: list[str] = Field(description="Companies that agreed to be named.")
    active_days: int = Field(description="Days this month on which companies used it.")
    mixed_days: int = Field(description="Days on which companies of two or more sectors used it.")


class TotalStats(BaseModel):
    machine_hours: float
    room_hours: float
    companies: CompanyCount = Field(description=COUNT)
    sectors: list[SectorStats]
    mixed_days: int


class MonthHours(BaseModel):
    month: str = Field(description="YYYY-MM, facility-local calendar month.")
    machine_hours: float
    room_hours: float


class PublicStats(BaseModel):
    generated_at: str
    month: str
    building_open: bool
    min_count: int
    facilities: list[FacilityStats]
    totals: TotalStats
    trend: list[MonthHours] = Field(description="The last 12 months, this one last.")


@api_route(
    "/public/stats",
    "GET",
    response=PublicStats,
    tag=TAG,
    summary="The live public report",
    public=True,
)
def public_stats() -> dict[str, object]:
    """No token needed. Anonymous: no person is named, a company only when it opted in;
    company counts of 1 or 2 are null and small sectors count as `other`; `in_use` is
    null outside building hours. This month up to now; cached for up to a minute."""
    return public_report.cached_report(
        db.session,
        now(),
        zone=public_report.zone_named(current_app.config["TIMEZONE"]),
        cache_key=("public-report", current_app.config["SQLALCHEMY_DATABASE_URI"]),
        max_age=float(current_app.config["PUBLIC_REPORT_CACHE_SECONDS"]),
    )


@bp.after_request
def _public_headers(response: Response) -> Response:
    """CORS and caching for /api/v1/public/* only; every other API path gets neither."""
    if not request.path.startswith(PUBLIC_PREFIX):
        return response
    response.headers["Access-Control-Allow-Origin"] = "*"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, OPTIONS"
        asked = request.headers.get("Access-Control-Request-Headers", "")
        allowed = {h.lower(): h for h in ALLOWED_HEADERS}
        granted = [
            allowed[h.strip().lower()] for h in asked.split(",") if h.strip().lower() in allowed
        ]
        if granted:
            response.headers["Access-Control-Allow-Headers"] = ", ".join(granted)
        response.headers["Access-Control-Max-Age"] = "86400"
        response.status_code = 204
        response.set_data(b"")
        return response
    if request.method in ("GET", "HEAD") and response.status_code == 200:
        response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
        response.add_etag()
        response.make_conditional(request)
    return response
