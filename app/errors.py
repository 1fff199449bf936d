"""The one place that turns errors into responses: JSON under /api/, HTML elsewhere."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.extensions import db
from app.services.errors import DomainError

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    500: "server_error",
    503: "unavailable",
}


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def translate(message: str, params: dict[str, Any] | None = None) -> str:
    text = gettext(message)
    if params:
        try:
            return text % params
        except (KeyError, ValueError, TypeError):
            return text
    return text


def error_body(
    code: str,
    message: str,
    *,
    fields: dict[str, str] | None = None,
    rule: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"error": code, "message": message}
    if fields:
        body["fields"] = fields
    if rule:
        body["rule"] = rule
    if extra:
        body.update(extra)
    return body


def json_error(status: int, code: str, message: str, **kwargs: Any) -> Response:
    response = jsonify(error_body(code, message, **kwargs))
    response.status_code = status
    return response


def conflicts_extra(exc: DomainError) -> dict[str, Any] | None:
    """A booking Conflict's clashing periods, as ISO-8601 with the facility's offset."""
    intervals: list[tuple[dt.datetime, dt.datetime]] | None = getattr(exc, "conflicts", None)
    if intervals is None:
        return None
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    return {
        "conflicts": [
            {"start": start.astimezone(zone).isoformat(), "end": end.astimezone(zone).isoformat()}
            for start, end in intervals
        ]
    }


def _html_error(status: int, message: str) -> tuple[str, int]:
    return render_template("errors/error.html", status=status, message=message), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError) -> Any:
        db.session.rollback()
        message = translate(exc.message, exc.params)
        if wants_json():
            fields = {k: translate(v) for k, v in exc.fields.items()}
            return json_error(
                exc.status,
                exc.code,
                message,
                fields=fields,
                rule=exc.rule,
                extra=conflicts_extra(exc),
            )
        return _html_error(exc.status, message)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> Any:
        message = gettext("Your form expired or was sent from elsewhere. Please try again.")
        if wants_json():
            return json_error(400, "csrf", message)
        return _html_error(400, message)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        status = exc.code or 500
        if status == 429:
            message = gettext("Too many attempts. Wait a few minutes and try again.")
        else:
            message = exc.description or exc.name
        if wants_json():
            response = json_error(status, HTTP_CODES.get(status, "error"), message)
            for header in ("Allow", "WWW-Authenticate", "Retry-After"):
                if header in exc.get_response().headers:
                    response.headers[header] = exc.get_response().headers[header]
            return response
        return _html_error(status, message)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        if isinstance(exc, HTTPException):  # pragma: no cover - handled above
            return exc
        db.session.rollback()
        log.error("unhandled error on %s %s", request.method, request.path, exc_info=exc)
        message = gettext("Something went wrong on our side. It has been logged.")
        if wants_json():
            return json_error(500, "server_error", message)
        return _html_error(500, message)
