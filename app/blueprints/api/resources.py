"""/api/v1/resources: rooms, the kitchen, the Fablab and its machines, addressed by slug.

Every member reads them (they book them); only managers change them.
"""

from __future__ import annotations

from flask import url_for

from app.models import Resource
from app.services import resources as service
from app.services.pagination import Page
from app.web import commit, now

from .auth import actor
from .routing import SLUG, Created, api_route, page_size
from .schemas import (
    ResourceCreate,
    ResourceListQuery,
    ResourceOut,
    ResourcePage,
    ResourceUpdate,
)

TAG = "resources"
ONE = f"/resources/<{SLUG}:slug>"


@api_route(
    "/resources",
    "GET",
    query=ResourceListQuery,
    response=ResourcePage,
    tag=TAG,
    summary="List resources",
)
def list_resources(query: ResourceListQuery) -> Page[Resource]:
    """Deactivated resources are listed for managers only, and only when asked."""
    return service.list_resources(
        actor(),
        include_inactive=query.include_inactive,
        kind=query.kind,
        page=query.page,
        per_page=page_size(query),
    )


@api_route(
    "/resources",
    "POST",
    body=ResourceCreate,
    response=ResourceOut,
    status=201,
    tag=TAG,
    summary="Add a resource",
    errors=(403,),
)
def create_resource(body: ResourceCreate) -> Created:
    """Managers only. Fields left out take their defaults."""
    values = body.given()
    slug, parent = values.pop("slug"), values.pop("parent", None)
    resource = service.create_resource(actor=actor(), slug=slug, parent=parent, values=values)
    commit()
    return Created(resource, url_for(".get_resource", slug=resource.slug, _external=True))


@api_route(ONE, "GET", response=ResourceOut, tag=TAG, summary="Read a resource")
def get_resource(slug: str) -> Resource:
    return service.get_resource(actor(), slug)


@api_route(
    ONE,
    "PATCH",
    body=ResourceUpdate,
    response=ResourceOut,
    tag=TAG,
    summary="Change a resource",
    errors=(403,),
)
def update_resource(slug: str, body: ResourceUpdate) -> Resource:
    """Managers only. Send only the fields to change; `"parent": null` detaches it,
    `"active": true` reactivates a deactivated resource."""
    resource = service.get_resource(actor(), slug)
    values = body.given()
    active = values.pop("active", None)
    service.update_resource(
        resource, actor=actor(), parent=values.pop("parent", False), values=values
    )
    if active is True:
        service.reactivate_resource(resource, actor=actor())
    elif active is False:
        service.deactivate_resource(resource, actor=actor(), now=now())
    commit()
    return resource


@api_route(ONE, "DELETE", tag=TAG, status=204, summary="Deactivate a resource", errors=(403,))
def delete_resource(slug: str) -> None:
    """Managers only. The resource is deactivated, not erased: its history stays."""
    resource = service.get_resource(actor(), slug)
    service.deactivate_resource(resource, actor=actor(), now=now())
    commit()
