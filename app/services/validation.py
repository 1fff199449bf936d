"""Field checks shared by every service that accepts text from people."""

from __future__ import annotations

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email

from .errors import N_

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def clean_text(
    value: str, *, max_length: int, required: bool = True, multiline: bool = False
) -> tuple[str, str | None]:
    """Strip and check a text; returns (value, error message id or None).

    One line, unless `multiline` lets line breaks through (stored as LF); no
    other control or invisible character passes.
    """
    value = unicodedata.normalize("NFC", value or "").strip()
    allowed: set[str] = set()
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        allowed = {"\n"}
    if required and not value:
        return value, N_("This field is required.")
    if len(value) > max_length:
        return value, N_("This is too long.")
    if any(unicodedata.category(ch) in {"Cc", "Cf"} and ch not in allowed for ch in value):
        return value, N_("This contains invisible or control characters.")
    return value, None


def clean_email(value: str) -> tuple[str, str | None]:
    value = (value or "").strip()
    if not value:
        return value, N_("This field is required.")
    if len(value) > 254:
        return value, N_("This is too long.")
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return value, N_("This is not a valid e-mail address.")
    return result.normalized.lower(), None


def clean_slug(value: str) -> tuple[str, str | None]:
    value = (value or "").strip()
    if not value:
        return value, N_("This field is required.")
    if not SLUG_RE.match(value):
        return value, N_(
            "Use 1 to 64 lower-case letters, digits and hyphens, "
            "starting and ending with a letter or digit."
        )
    return value, None


def printable(value: str) -> str:
    """`value` without control and invisible characters, for search terms (never stored)."""
    return "".join(ch for ch in value if unicodedata.category(ch) not in {"Cc", "Cf"})
