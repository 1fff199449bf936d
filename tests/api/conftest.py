"""Fixtures for the API tests: two tenants (A and B) with an admin and a member each,
a manager, bearer headers, and a way to count rows before and after a request."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select


@pytest.fixture
def tenant_a(make_tenant):  # type: ignore[no-untyped-def]
    return make_tenant(name="Atelier Alfa", slug="alfa")


@pytest.fixture
def tenant_b(make_tenant):  # type: ignore[no-untyped-def]
    return make_tenant(name="Brouwerij Bravo", slug="bravo")


@pytest.fixture
def manager(make_member):  # type: ignore[no-untyped-def]
    return make_member(role="manager", name="Mona Manager")


@pytest.fixture
def admin_a(make_member, tenant_a):  # type: ignore[no-untyped-def]
    return make_member(role="tenant_admin", tenant=tenant_a, name="Anna Admin")


@pytest.fixture
def member_a(make_member, tenant_a):  # type: ignore[no-untyped-def]
    return make_member(role="member", tenant=tenant_a, name="Arne Member")


@pytest.fixture
def admin_b(make_member, tenant_b):  # type: ignore[no-untyped-def]
    return make_member(role="tenant_admin", tenant=tenant_b, name="Bert Admin")


@pytest.fixture
def member_b(make_member, tenant_b):  # type: ignore[no-untyped-def]
    return make_member(role="member", tenant=tenant_b, name="Bea Member")


@pytest.fixture
def people(manager, admin_a, member_a, admin_b, member_b):  # type: ignore[no-untyped-def]
    """Everybody by role name, for parametrized tests."""
    return {
        "manager": manager,
        "admin_a": admin_a,
        "member_a": member_a,
        "admin_b": admin_b,
        "member_b": member_b,
    }


@pytest.fixture
def auth(api_token, people):  # type: ignore[no-untyped-def]
    """`auth("admin_a")` or `auth(member)`: the bearer header of that person."""
    cache: dict[int, dict[str, str]] = {}

    def headers(who: Any) -> dict[str, str]:
        member = people[who] if isinstance(who, str) else who
        if member.id not in cache:
            cache[member.id] = api_token(member)
        return cache[member.id]

    return headers


@pytest.fixture
def count(db_session):  # type: ignore[no-untyped-def]
    """`count(Model)`: how many rows the table holds now."""

    def rows(model: Any) -> int:
        return int(db_session.scalar(select(func.count()).select_from(model)))

    return rows


@pytest.fixture
def snapshot(count):  # type: ignore[no-untyped-def]
    """Row counts of every table a write could touch, to show a refused request changed nothing."""
    from app.models import AuditLog, Badge, Member, OutgoingMail, Qualification, Resource, Tenant

    tables = (AuditLog, Badge, Member, OutgoingMail, Qualification, Resource, Tenant)

    def take() -> dict[str, int]:
        return {model.__name__: count(model) for model in tables}

    return take
