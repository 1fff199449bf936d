"""The OpenAPI 3.1 document, built from the route registry and the very pydantic
models that validate the requests and shape the responses.

`GET /api/openapi.json` needs no token. The document is built once per app.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, Literal

from flask import Blueprint, Response, current_app
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .routing import OPERATIONS, Operation
from .schemas import MAX_ID, SLUG_PATTERN, Error, PageOf

REF = "#/components/schemas/{model}"
Mode = Literal["validation", "serialization"]

docs = Blueprint("api_docs", __name__, url_prefix="/api")

DESCRIPTION = """\
The JSON API of the makers incubator.

**Authentication.** Every `/api/v1` request needs a personal API token in the header
`Authorization: Bearer <token>`; a login session cookie does not count. A token stops
working as soon as it is revoked or expires, or its member or tenant is deactivated.
A token acts with its member's rights, exactly as on the web pages.

**Requests.** Bodies are JSON objects sent as `application/json` (anything else is a 415,
JSON that does not parse a 400). Field types are strict: a number is never accepted as a
string nor the other way round, and unknown fields are refused.

**Errors.** Every error has one shape, the `Error` schema: `{"error": code, "message": text}`,
plus `fields` (which field is wrong and why, with 422) or `rule` where they apply.
Objects of another tenant answer 404, exactly like objects that do not exist.

**Time.** Responses give every instant in UTC, as ISO-8601 with the `Z` offset
(e.g. `2030-03-01T13:30:00Z`), except bookings and availability, which give the
facility's offset so the local wall time reads directly (e.g. `2030-03-01T14:30:00+01:00`);
dates are `YYYY-MM-DD`. In requests, an instant with an offset is that instant; one
without an offset is facility-local time (Europe/Brussels unless configured otherwise).
A local booking time that does not exist or happens twice (the daylight-saving changes)
is refused with 422 and `rule: "local_time"`: send it with its offset.

**Bookings** refused by a business rule answer 422 with a stable `rule` code (such as
`min_length`, `max_length`, `granularity`, `lead_time`, `horizon`, `in_past`,
`opening_hours`, `closed`, `quota_exceeded`, `training_required`, `not_bookable`,
`resource_unavailable`, `recurrence`, `local_time`, `change_notice`, `interval`) and a
message in the member's language; a clash with another booking answers 409 with the
periods in the way in `conflicts`.

**Lists** are paginated with `?page=` (from 1) and `?per_page=`, answer
`{"items", "page", "per_page", "total", "pages"}` and carry an RFC 8288 `Link` header
with `next`, `prev`, `first` and `last`. A page past the end has no items.

**Deleting** a tenant, member or resource deactivates it and keeps its history;
deleting a badge or a qualification revokes it.
"""

TAGS = [
    {"name": "members", "description": "People who log in, and `/me`: the token's own member."},
    {"name": "tenants", "description": "The companies that share the building."},
    {"name": "resources", "description": "Rooms, the kitchen, the Fablab and its machines."},
    {"name": "badges", "description": "RFID cards and fobs that open doors and machines."},
    {"name": "qualifications", "description": "Who is trained on which machine."},
    {"name": "bookings", "description": "Booking rooms, the kitchen and machines; free/busy."},
    {"name": "calendars", "description": "Secret calendar feed links (iCal), one per device."},
    {"name": "devices", "description": "The Pis at doors and machines; remote commands."},
    {"name": "activity", "description": "Access events and machine sessions the devices report."},
    {"name": "reports", "description": "Usage reports: hours, sessions and entries per group."},
    {"name": "public", "description": "The live public report: no token, CORS for any site."},
    {"name": "statements", "description": "Monthly statements per tenant: quota, overage, amount."},
    {"name": "meta", "description": "This document."},
]

ERROR_RESPONSES: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "The body is not valid JSON."),
    401: ("Unauthorized", "No valid API token (a `WWW-Authenticate: Bearer` challenge)."),
    403: ("Forbidden", "The token's member may not do this."),
    404: ("NotFound", "No such object, or one the token's member may not see."),
    409: (
        "Conflict",
        "The change clashes with the current state (bookings: `conflicts` lists the periods).",
    ),
    415: ("UnsupportedMediaType", "The body was not sent as `application/json`."),
    422: (
        "Invalid",
        "Some fields are not valid (`fields` says which and why), or a business rule "
        "refused the request (`rule` names it).",
    ),
}

SUCCESS = {
    200: "The object as it is now.",
    201: "Created: the new object.",
    202: "Accepted: queued, with an id to read its state back.",
}

PATH_PARAMETER = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
PARAMETER_SCHEMAS: dict[str, dict[str, Any]] = {
    "int": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    "api_slug": {"type": "string", "maxLength": 64, "pattern": SLUG_PATTERN},
}


def openapi_path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    """`/tenants/<int(...):tenant_id>` -> `/tenants/{tenant_id}` and its path parameters."""
    parameters = [
        {
            "name": match["name"],
            "in": "path",
            "required": True,
            "schema": PARAMETER_SCHEMAS.get(match["converter"] or "", {"type": "string"}),
        }
        for match in PATH_PARAMETER.finditer(rule)
    ]
    return PATH_PARAMETER.sub(lambda m: "{" + m["name"] + "}", rule), parameters


def _models(operations: Iterable[Operation]) -> list[tuple[type[BaseModel], Mode]]:
    wanted: list[tuple[type[BaseModel], Mode]] = [(Error, "serialization")]
    for op in operations:
        if op.body is not None:
            wanted.append((op.body, "validation"))
        if op.query is not None:
            wanted.append((op.query, "validation"))
        if op.response is not None:
            wanted.append((op.response, "serialization"))
    return list(dict.fromkeys(wanted))


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent rather than null: `int | None` documents as `int`."""
    options = [option for option in schema.get("anyOf", []) if option != {"type": "null"}]
    rest = {key: value for key, value in schema.items() if key not in {"anyOf", "title"}}
    if len(options) == 1 and len(schema["anyOf"]) == 2:
        rest = {**options[0], **rest}
    if rest.get("default", "x") is None:
        del rest["default"]
    return rest


def _query_parameters(
    schema: dict[str, Any], *, default_page_size: int, max_page_size: int
) -> list[dict[str, Any]]:
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        prop = _without_null(prop)
        description = prop.pop("description", "")
        if name == "per_page":
            description = (
                f"Items per page: {default_page_size} when not given; "
                f"values above {max_page_size} are capped at {max_page_size}."
            )
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": description,
                "schema": prop,
            }
        )
    return parameters


def _error_statuses(op: Operation, has_path_parameters: bool) -> list[int]:
    statuses = {*op.errors} if op.public else {401, *op.errors}
    if has_path_parameters:
        statuses.add(404)
    if op.body is not None:
        statuses |= {400, 415, 422}
    if op.query is not None:
        statuses.add(422)
    return sorted(statuses)


def _success(op: Operation, refs: dict[Any, Any]) -> dict[str, Any]:
    if op.response is None:
        return {"description": "Done; no content."}
    paged = issubclass(op.response, PageOf)
    answer: dict[str, Any] = {
        "description": "One page of items." if paged else SUCCESS[op.status],
        "content": {"application/json": {"schema": refs[(op.response, "serialization")]}},
    }
    headers: dict[str, Any] = {}
    if op.status == 201:
        headers["Location"] = {
            "description": "The URL of the created object.",
            "schema": {"type": "string", "format": "uri"},
        }
    if paged:
        headers["Link"] = {
            "description": 'RFC 8288 links: rel="next", "prev", "first", "last".',
            "schema": {"type": "string"},
        }
    if headers:
        answer["headers"] = headers
    return answer


def build_document(
    operations: Iterable[Operation], *, default_page_size: int, max_page_size: int
) -> dict[str, Any]:
    operations = list(operations)
    refs, top = models_json_schema(_models(operations), ref_template=REF)
    schemas: dict[str, Any] = top.get("$defs", {})
    paths: dict[str, dict[str, Any]] = {}
    query_schemas: set[str] = set()
    for op in operations:
        path, path_parameters = openapi_path(op.path)
        item = paths.setdefault(path, {})
        if path_parameters:
            item["parameters"] = path_parameters
        operation: dict[str, Any] = {
            "operationId": op.endpoint.rpartition(".")[2],
            "summary": op.summary,
            "tags": [op.tag],
        }
        if op.description:
            operation["description"] = op.description
        if op.public:
            operation["security"] = []
        if op.query is not None:
            query_schemas.add(op.query.__name__)
            operation["parameters"] = _query_parameters(
                schemas[op.query.__name__],
                default_page_size=default_page_size,
                max_page_size=max_page_size,
            )
        if op.body is not None:
            operation["requestBody"] = {
                "required": op.body_required,
                "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
            }
        responses = {str(op.status): _success(op, refs)}
        for status in _error_statuses(op, bool(path_parameters)):
            responses[str(status)] = {
                "$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"
            }
        operation["responses"] = responses
        item[op.method.lower()] = operation
    for name in query_schemas:  # documented as parameters, not as schemas
        schemas.pop(name, None)
    paths["/api/openapi.json"] = {
        "get": {
            "operationId": "openapi",
            "summary": "This OpenAPI document",
            "tags": ["meta"],
            "security": [],
            "responses": {
                "200": {
                    "description": "The OpenAPI 3.1 document.",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Makers Incubator API",
            "version": "1",
            "description": DESCRIPTION,
        },
        "tags": TAGS,
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": {
                name: {
                    "description": text,
                    "content": {
                        "application/json": {"schema": {"$ref": REF.format(model="Error")}}
                    },
                }
                for name, text in ERROR_RESPONSES.values()
            },
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token, made on the profile page.",
                }
            },
        },
    }


@docs.get("/openapi.json")
def openapi() -> Response:
    text = current_app.extensions.get("api_openapi")
    if text is None:
        document = build_document(
            OPERATIONS,
            default_page_size=int(current_app.config["API_PAGE_SIZE"]),
            max_page_size=int(current_app.config["API_MAX_PAGE_SIZE"]),
        )
        text = current_app.extensions["api_openapi"] = json.dumps(document)
    return Response(text, mimetype="application/json")
