"""/api/v1/badges: RFID cards and fobs, given by managers and by tenant admins."""

from __future__ import annotations

from flask import url_for

from app.models import Badge
from app.services import badges as service
from app.services.pagination import Page
from app.web import commit, now

from .auth import actor
from .references import member_ref
from .routing import ID, Created, api_route, page_size
from .schemas import BadgeCreate, BadgeListQuery, BadgeOut, BadgePage

TAG = "badges"
ONE = f"/badges/<{ID}:badge_id>"


@api_route(
    "/badges", "GET", query=BadgeListQuery, response=BadgePage, tag=TAG, summary="List badges"
)
def list_badges(query: BadgeListQuery) -> Page[Badge]:
    """Managers see every badge, tenant admins their tenant's, members their own."""
    return service.list_badges(
        actor(),
        member_id=query.member_id,
        include_revoked=query.include_revoked,
        page=query.page,
        per_page=page_size(query),
    )


@api_route(
    "/badges",
    "POST",
    body=BadgeCreate,
    response=BadgeOut,
    status=201,
    tag=TAG,
    summary="Give a member a badge",
    errors=(403, 409),
)
def create_badge(body: BadgeCreate) -> Created:
    """Managers, and tenant admins for their own members. The number is stored in its
    canonical form; a number already on an active badge is a 409."""
    badge = service.assign_badge(
        actor=actor(),
        member=member_ref(body.member_id),
        uid=body.uid,
        reader_format=body.reader_format,
        label=body.label,
        now=now(),
    )
    commit()
    return Created(badge, url_for(".get_badge", badge_id=badge.id, _external=True))


@api_route(ONE, "GET", response=BadgeOut, tag=TAG, summary="Read a badge")
def get_badge(badge_id: int) -> Badge:
    return service.get_badge(actor(), badge_id)


@api_route(ONE, "DELETE", tag=TAG, status=204, summary="Revoke a badge", errors=(403,))
def delete_badge(badge_id: int) -> None:
    """The badge is revoked, not erased: it stops opening doors, its history stays."""
    badge = service.get_badge(actor(), badge_id)
    service.revoke_badge(badge, actor=actor(), now=now())
    commit()
