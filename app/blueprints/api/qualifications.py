"""/api/v1/qualifications: who is trained on which machine. Managers grant and revoke."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, url_for

from app.models import Qualification
from app.services import qualifications as service
from app.services.pagination import Page
from app.web import commit, now

from .auth import actor
from .references import member_ref, resource_ref
from .routing import ID, Created, api_route, page_size
from .schemas import (
    QualificationCreate,
    QualificationListQuery,
    QualificationOut,
    QualificationPage,
)

TAG = "qualifications"
ONE = f"/qualifications/<{ID}:qualification_id>"


def _instant(moment: dt.datetime | None) -> dt.datetime | None:
    """A moment without an offset is facility-local time."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=ZoneInfo(current_app.config["TIMEZONE"]))


@api_route(
    "/qualifications",
    "GET",
    query=QualificationListQuery,
    response=QualificationPage,
    tag=TAG,
    summary="List qualifications",
)
def list_qualifications(query: QualificationListQuery) -> Page[Qualification]:
    """Managers see all, tenant admins their tenant's members', members their own."""
    resource = resource_ref(query.resource) if query.resource else None
    return service.list_qualifications(
        actor(),
        member_id=query.member_id,
        resource_id=resource.id if resource else None,
        include_revoked=query.include_revoked,
        page=query.page,
        per_page=page_size(query),
    )


@api_route(
    "/qualifications",
    "POST",
    body=QualificationCreate,
    response=QualificationOut,
    status=201,
    tag=TAG,
    summary="Grant a qualification",
    errors=(403,),
)
def create_qualification(body: QualificationCreate) -> Created:
    """Managers only. Granting again renews the current grant with the new expiry."""
    qualification = service.grant_qualification(
        actor=actor(),
        member=member_ref(body.member_id),
        resource=resource_ref(body.resource),
        expires_at=_instant(body.expires_at),
        now=now(),
    )
    commit()
    location = url_for(".get_qualification", qualification_id=qualification.id, _external=True)
    return Created(qualification, location)


@api_route(ONE, "GET", response=QualificationOut, tag=TAG, summary="Read a qualification")
def get_qualification(qualification_id: int) -> Qualification:
    return service.get_qualification(actor(), qualification_id)


@api_route(ONE, "DELETE", tag=TAG, status=204, summary="Revoke a qualification", errors=(403,))
def delete_qualification(qualification_id: int) -> None:
    """Managers only. Revoked, not erased: its history stays."""
    qualification = service.get_qualification(actor(), qualification_id)
    service.revoke_qualification(qualification, actor=actor(), now=now())
    commit()
