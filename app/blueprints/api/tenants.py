"""/api/v1/tenants: the companies renting space. Managers manage them; others see their own."""

from __future__ import annotations

from flask import url_for

from app.models import Tenant
from app.services import tenants as service
from app.services.pagination import Page
from app.web import commit, now

from .auth import actor
from .routing import ID, Created, api_route, page_size
from .schemas import TenantCreate, TenantListQuery, TenantOut, TenantPage, TenantUpdate

TAG = "tenants"
ONE = f"/tenants/<{ID}:tenant_id>"


@api_route(
    "/tenants", "GET", query=TenantListQuery, response=TenantPage, tag=TAG, summary="List tenants"
)
def list_tenants(query: TenantListQuery) -> Page[Tenant]:
    """Managers see every tenant; everyone else sees only their own."""
    return service.list_tenants(
        actor(), include_inactive=query.include_inactive, page=query.page, per_page=page_size(query)
    )


@api_route(
    "/tenants",
    "POST",
    body=TenantCreate,
    response=TenantOut,
    status=201,
    tag=TAG,
    summary="Add a tenant",
    errors=(403,),
)
def create_tenant(body: TenantCreate) -> Created:
    """Managers only."""
    tenant = service.create_tenant(actor=actor(), **body.model_dump())
    commit()
    return Created(tenant, url_for(".get_tenant", tenant_id=tenant.id, _external=True))


@api_route(ONE, "GET", response=TenantOut, tag=TAG, summary="Read a tenant")
def get_tenant(tenant_id: int) -> Tenant:
    return service.get_tenant(actor(), tenant_id)


@api_route(
    ONE,
    "PATCH",
    body=TenantUpdate,
    response=TenantOut,
    tag=TAG,
    summary="Change a tenant",
    errors=(403,),
)
def update_tenant(tenant_id: int, body: TenantUpdate) -> Tenant:
    """Managers only. Send only the fields to change."""
    tenant = service.get_tenant(actor(), tenant_id)
    service.update_tenant(tenant, actor=actor(), now=now(), **body.given())
    commit()
    return tenant


@api_route(ONE, "DELETE", tag=TAG, status=204, summary="Deactivate a tenant", errors=(403,))
def delete_tenant(tenant_id: int) -> None:
    """Managers only. The tenant is deactivated, not erased: its history stays, and its
    members' logins and API tokens stop working at once."""
    tenant = service.get_tenant(actor(), tenant_id)
    service.deactivate_tenant(tenant, actor=actor(), now=now())
    commit()
