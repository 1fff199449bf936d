"""Translations outside a request (e-mails, CLI), from the same catalogues Flask-Babel uses."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.support import NullTranslations, Translations

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
SUPPORTED = ("en", "nl")


def pick_locale(preferred: str | None) -> str:
    return preferred if preferred in SUPPORTED else "en"


@lru_cache(maxsize=8)
def translations(locale: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS_DIR), [locale], domain="messages")


def gettext_for(locale: str | None):
    """A `gettext` bound to one language, for text made outside a request."""
    catalogue = translations(pick_locale(locale))

    def _(message: str, **variables: object) -> str:
        text = catalogue.gettext(message)
        return text % variables if variables else text

    return _


def format_local(when: dt.datetime, zone: str, locale: str | None, fmt: str = "medium") -> str:
    return format_datetime(when.astimezone(ZoneInfo(zone)), fmt, locale=pick_locale(locale))
