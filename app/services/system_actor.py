"""The actor for changes made from the command line by the operator."""

from __future__ import annotations

from app.models import Member, Role


def system_manager() -> Member:
    """An unsaved manager standing for the operator at the console (audited as no actor)."""
    member = Member(id=None, email="operator@localhost", name="operator", role=Role.MANAGER)
    return member
