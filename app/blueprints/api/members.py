"""/api/v1/members and /api/v1/me: people who log in.

Managers manage everyone; tenant admins their own tenant's members (giving only
the roles member and tenant_admin); members see only themselves.
"""

from __future__ import annotations

from flask import url_for

from app.models import Member
from app.services import members as service
from app.services.pagination import Page
from app.web import commit, mail_context, now

from .auth import actor
from .routing import ID, Created, api_route, page_size
from .schemas import MemberCreate, MemberListQuery, MemberOut, MemberPage, MemberUpdate

TAG = "members"
ONE = f"/members/<{ID}:member_id>"


@api_route("/me", "GET", response=MemberOut, tag=TAG, summary="The token's own member")
def me() -> Member:
    """Who this token belongs to: the cheapest authenticated request."""
    return actor()


@api_route(
    "/members", "GET", query=MemberListQuery, response=MemberPage, tag=TAG, summary="List members"
)
def list_members(query: MemberListQuery) -> Page[Member]:
    """Managers see everyone, tenant admins their tenant's members, members themselves."""
    return service.list_members(
        actor(),
        tenant_id=query.tenant_id,
        include_inactive=query.include_inactive,
        search=query.search,
        page=query.page,
        per_page=page_size(query),
    )


@api_route(
    "/members",
    "POST",
    body=MemberCreate,
    response=MemberOut,
    status=201,
    tag=TAG,
    summary="Add a member",
    errors=(403,),
)
def create_member(body: MemberCreate) -> Created:
    """Managers and tenant admins. Without a password the member is invited by e-mail."""
    member = service.create_member(
        actor=actor(), mail_context=mail_context(), now=now(), **body.model_dump()
    )
    commit()
    return Created(member, url_for(".get_member", member_id=member.id, _external=True))


@api_route(ONE, "GET", response=MemberOut, tag=TAG, summary="Read a member")
def get_member(member_id: int) -> Member:
    return service.get_member(actor(), member_id)


@api_route(
    ONE,
    "PATCH",
    body=MemberUpdate,
    response=MemberOut,
    tag=TAG,
    summary="Change a member",
    errors=(403,),
)
def update_member(member_id: int, body: MemberUpdate) -> Member:
    """Send only the fields to change. Nobody changes their own role or deactivates
    themselves; staff and tenant accounts never turn into each other."""
    member = service.get_member(actor(), member_id)
    service.update_member(member, actor=actor(), now=now(), **body.given())
    commit()
    return member


@api_route(ONE, "DELETE", tag=TAG, status=204, summary="Deactivate a member", errors=(403,))
def delete_member(member_id: int) -> None:
    """The member is deactivated, not erased: history stays; logins, API tokens and
    badges stop working at once."""
    member = service.get_member(actor(), member_id)
    service.deactivate_member(member, actor=actor(), now=now())
    commit()
