"""Objects named in a body or a query string: unknown and invisible ones look the same.

A reference the caller may not see is a field error ("Unknown member."), the
same answer as for an id that does not exist, so nothing reveals another
tenant's objects.
"""

from __future__ import annotations

from app.models import Member, Resource
from app.services import members, resources
from app.services.errors import N_, NotFound, ValidationFailed

from .auth import actor


def member_ref(member_id: int, *, field: str = "member_id") -> Member:
    try:
        return members.get_member(actor(), member_id)
    except NotFound:
        raise ValidationFailed({field: N_("Unknown member.")}) from None


def resource_ref(slug: str, *, field: str = "resource") -> Resource:
    try:
        return resources.get_resource(actor(), slug)
    except NotFound:
        raise ValidationFailed({field: N_("Unknown resource.")}) from None
