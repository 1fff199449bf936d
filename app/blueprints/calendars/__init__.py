"""Calendars: the secret feeds (`/ical/<token>.ics`), the Subscribe page, managers' imports.

The feed needs no login (its secret link is the credential); every other page
does. The URL map is written out here; the handlers live in small modules by
subject and never import this one.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from . import feed_views, import_views, subscribe_views

bp = Blueprint("calendars", __name__)

ROUTES: list[tuple[str, str, Any, tuple[str, ...]]] = [
    ("/ical/<token>.ics", "feed", feed_views.feed, ("GET",)),  # HEAD comes with GET
    ("/calendar/subscribe", "subscribe", subscribe_views.index, ("GET",)),
    ("/calendar/subscribe", "create_link", subscribe_views.create, ("POST",)),
    ("/calendar/links/<int:token_id>/revoke", "revoke_link", subscribe_views.revoke, ("POST",)),
    ("/calendar/links/<int:token_id>/rotate", "rotate_link", subscribe_views.rotate, ("POST",)),
    ("/calendar/imports", "imports", import_views.index, ("GET",)),
    ("/calendar/imports", "add_import", import_views.add, ("POST",)),
    (
        "/calendar/imports/<int:source_id>/refresh",
        "refresh_import",
        import_views.refresh,
        ("POST",),
    ),
    ("/calendar/imports/<int:source_id>/upload", "upload_import", import_views.upload, ("POST",)),
    (
        "/calendar/imports/<int:source_id>/deactivate",
        "deactivate_import",
        import_views.deactivate,
        ("POST",),
    ),
]

for rule, endpoint, view, methods in ROUTES:
    bp.add_url_rule(rule, endpoint, view, methods=list(methods))


class HideFeedSecrets(logging.Filter):
    """Log `/ical/<token>.ics` without the token (the development server, error reports)."""

    PATTERN = re.compile(r"/ical/[^\s\"'?/]+")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/ical/" in message:
            record.msg = self.PATTERN.sub("/ical/<token>.ics", message)
            record.args = ()
        return True


@bp.record_once
def _hide_secrets_in_logs(state: BlueprintSetupState) -> None:
    for name in ("werkzeug", "app.errors"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, HideFeedSecrets) for f in logger.filters):
            logger.addFilter(HideFeedSecrets())
