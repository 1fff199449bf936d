"""The JSON API: `/api/v1/...` with bearer tokens, and its OpenAPI document at `/api/openapi.json`.

One module per resource area registers its operations on the `api` blueprint
through `routing.api_route`; `spec` builds the document from the same records.
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    # Importing the areas registers their routes on the blueprint (once per process).
    from . import (  # noqa: F401
        auth,
        badges,
        bookings,
        calendar_tokens,
        device_activity,
        devices,
        live,
        members,
        public,
        qualifications,
        reports,
        resources,
        statements,
        tenants,
    )
    from .routing import SLUG, SlugConverter, bp
    from .spec import docs

    app.url_map.converters[SLUG] = SlugConverter
    app.register_blueprint(bp)
    app.register_blueprint(docs)
    # Bearer tokens, never cookies, authorise the API, so CSRF does not apply.
    app.extensions["csrf"].exempt(bp)
    app.extensions["csrf"].exempt(docs)
