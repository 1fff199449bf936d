"""Domain errors. The edge (one handler in app.errors) maps them to HTML or JSON.

Messages are English message ids marked with `N_`; the edge translates them
into the reader's language, filling in `params`.
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark a message for translation without translating it here."""
    return message


class DomainError(Exception):
    code = "error"
    status = 400

    def __init__(
        self,
        message: str,
        *,
        params: dict[str, Any] | None = None,
        fields: dict[str, str] | None = None,
        rule: str | None = None,
    ) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params or {}
        self.fields = fields or {}
        self.rule = rule


class NotFound(DomainError, LookupError):
    code = "not_found"
    status = 404


class PermissionDenied(DomainError, PermissionError):
    code = "forbidden"
    status = 403


class Conflict(DomainError, ValueError):
    code = "conflict"
    status = 409


class RuleViolation(DomainError, ValueError):
    code = "rule_violation"
    status = 422


class ValidationFailed(DomainError, ValueError):
    """One or more fields are wrong; `fields` maps each to what is wrong with it."""

    code = "invalid"
    status = 422

    def __init__(self, fields: dict[str, str], message: str = N_("Some fields are not valid.")):
        super().__init__(message, fields=fields)


class Unset:
    """The value of a keyword argument that the caller did not give."""

    _instance: Unset | None = None

    def __new__(cls) -> Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Any = Unset()
