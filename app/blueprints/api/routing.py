"""The API's route registry and the HTTP work around every handler.

`api_route` records each operation in `OPERATIONS` (the OpenAPI document is
built from those records, so it cannot drift from the routes), registers the
view on the blueprint, reads the body and the query string into the declared
pydantic models, and turns what the handler returns into a response:

- a model or ORM object: serialised with the declared response model;
- `Created(obj, location)`: the same, with a `Location` header;
- a service `Page`: `{"items", "page", "per_page", "total", "pages"}` and a `Link` header;
- a dict or a dataclass: validated with the declared response model like an object;
- `None`: 204 No Content.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, request, url_for
from flask_babel import gettext
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from werkzeug.exceptions import BadRequest, UnsupportedMediaType
from werkzeug.routing import BaseConverter

from app.services.errors import N_, ValidationFailed
from app.services.pagination import Page

from .schemas import MAX_ID, SLUG_PATTERN, ListQuery

PREFIX = "/api/v1"
ID = f"int(min=1, max={MAX_ID})"  # larger numbers would overflow the database's integers
SLUG = "api_slug"

bp = Blueprint("api", __name__, url_prefix=PREFIX)
M = TypeVar("M", bound=BaseModel)
Q = TypeVar("Q", bound=BaseModel)


class SlugConverter(BaseConverter):
    """A path segment that can be a slug; anything else is a 404 before any query runs."""

    regex = SLUG_PATTERN.removeprefix("^").removesuffix("$")


@dataclass(frozen=True)
class Operation:
    rule: str
    method: str
    endpoint: str
    summary: str
    tag: str
    description: str = ""
    body: type[BaseModel] | None = None
    body_required: bool = True
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    public: bool = False  # no token needed (the public report); see PUBLIC_ENDPOINTS

    @property
    def path(self) -> str:
        return PREFIX + self.rule


OPERATIONS: list[Operation] = []
# Endpoints that answer without a bearer token: declared with `api_route(..., public=True)`.
PUBLIC_ENDPOINTS: set[str] = set()


@dataclass(frozen=True)
class Created:
    obj: Any
    location: str


def api_route(
    rule: str,
    method: str,
    *,
    summary: str,
    tag: str,
    body: type[BaseModel] | None = None,
    body_required: bool = True,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    description: str = "",
    errors: Sequence[int] = (),
    public: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `handler` for `method rule`; it receives path values, `body` and `query`.

    With `body_required=False` an empty request body stands for `{}` (the model's defaults).
    """

    def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
        operation = Operation(
            rule=rule,
            method=method,
            endpoint=f"{bp.name}.{handler.__name__}",
            summary=summary,
            tag=tag,
            description=description or inspect.getdoc(handler) or "",
            body=body,
            body_required=body_required,
            query=query,
            response=response,
            status=status,
            errors=tuple(errors),
            public=public,
        )

        @functools.wraps(handler)
        def view(**values: Any) -> Response:
            parsed_query = read_query(query) if query is not None else None
            if parsed_query is not None:
                values["query"] = parsed_query
            if body is not None:
                values["body"] = read_body(body, required=body_required)
            return respond(operation, handler(**values), parsed_query)

        bp.add_url_rule(rule, handler.__name__, view, methods=[method])
        OPERATIONS.append(operation)
        if public:
            PUBLIC_ENDPOINTS.add(operation.endpoint)
        return handler

    return decorate


# -- reading requests ----------------------------------------------------------

# The same message id as app.services.validation.clean_slug's, so it shares its translation.
SLUG_MESSAGE = N_(
    "Use 1 to 64 lower-case letters, digits and hyphens, "
    "starting and ending with a letter or digit."
)
MESSAGES = {
    "missing": N_("This field is required."),
    "extra_forbidden": N_("Unknown field."),
    "string_type": N_("This must be text."),
    "string_too_long": N_("This is too long."),
    "string_pattern_mismatch": SLUG_MESSAGE,  # slugs are the only patterned strings
    "int_type": N_("This must be a whole number."),
    "int_parsing": N_("This must be a whole number."),
    "int_from_float": N_("This must be a whole number."),
    "greater_than_equal": N_("This number is out of range."),
    "less_than_equal": N_("This number is out of range."),
    "bool_type": N_("This must be true or false."),
    "bool_parsing": N_("This must be true or false."),
    "enum": N_("Choose one of the listed values."),
    "literal_error": N_("Choose one of the listed values."),
    "date_type": N_("Write a date as YYYY-MM-DD."),
    "date_parsing": N_("Write a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": N_("Write a date as YYYY-MM-DD."),
    "date_from_datetime_inexact": N_("Write a date as YYYY-MM-DD."),
    "datetime_type": N_("Write a moment as ISO-8601, e.g. 2030-03-01T14:30:00+01:00."),
    "datetime_parsing": N_("Write a moment as ISO-8601, e.g. 2030-03-01T14:30:00+01:00."),
    "datetime_from_date_parsing": N_("Write a moment as ISO-8601, e.g. 2030-03-01T14:30:00+01:00."),
    "float_type": N_("This must be a number."),
    "float_parsing": N_("This must be a number."),
    "decimal_type": N_("This must be an amount such as 12.50."),
    "decimal_parsing": N_("This must be an amount such as 12.50."),
    "finite_number": N_("This must be an amount such as 12.50."),
    "dict_type": N_("This must be a JSON object."),
    "list_type": N_("This must be a list."),
}


def _message(error: ErrorDetails) -> str:
    if error["type"] == "value_error":  # our own validators raise ValueError(message id)
        return str(error.get("ctx", {}).get("error", error["msg"]))
    return MESSAGES.get(error["type"], error["msg"])


def invalid(errors: list[ErrorDetails]) -> ValidationFailed:
    """Pydantic's errors in the API's shape: one message per top-level field."""
    fields: dict[str, str] = {}
    for error in errors:
        if not error["loc"]:
            return ValidationFailed({}, N_("The body must be a JSON object."))
        fields.setdefault(str(error["loc"][0]), _message(error))
    return ValidationFailed(fields)


def read_body(model: type[M], *, required: bool = True) -> M:
    if not required and not request.get_data():
        return model.model_validate({})
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(
            gettext("Send the body as JSON, with the header Content-Type: application/json.")
        )
    try:
        return model.model_validate_json(request.get_data())
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        if any(error["type"] == "json_invalid" for error in errors):
            raise BadRequest(gettext("The body is not valid JSON.")) from None
        raise invalid(errors) from None


def read_query(model: type[Q]) -> Q:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise invalid(exc.errors(include_url=False, include_input=False)) from None


def page_size(query: ListQuery) -> int:
    """The page size asked for, capped at API_MAX_PAGE_SIZE (50 when not asked)."""
    largest = int(current_app.config["API_MAX_PAGE_SIZE"])
    return min(query.per_page or int(current_app.config["API_PAGE_SIZE"]), largest)


# -- writing responses ---------------------------------------------------------


def respond(operation: Operation, result: Any, query: BaseModel | None) -> Response:
    if result is None:
        return Response(status=204)
    if isinstance(result, Response):  # answered in another format (a CSV download)
        return result
    headers: dict[str, str] = {}
    if isinstance(result, Created):
        headers["Location"] = result.location
        result = result.obj
    if isinstance(result, Page):
        if isinstance(query, ListQuery):
            headers["Link"] = link_header(result, query)
        result = {
            "items": result.items,
            "page": result.page,
            "per_page": result.per_page,
            "total": result.total,
            "pages": result.pages,
        }
    assert operation.response is not None, f"{operation.endpoint} returned a body"
    body = operation.response.model_validate(result, from_attributes=True).model_dump_json()
    return Response(body, status=operation.status, headers=headers, mimetype="application/json")


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def link_header(page: Page[Any], query: ListQuery) -> str:
    """RFC 8288 links to the next, previous, first and last pages, keeping the filters."""
    kept = query.model_dump(mode="json", exclude_unset=True, exclude={"page", "per_page"})
    args = {name: _query_value(value) for name, value in kept.items() if value is not None}

    def link(number: int, rel: str) -> str:
        url = url_for(
            request.endpoint or "",
            _external=True,
            **(request.view_args or {}),
            **args,
            page=number,
            per_page=page.per_page,
        )
        return f'<{url}>; rel="{rel}"'

    links = []
    if page.has_next:
        links.append(link(page.page + 1, "next"))
    if page.page > 1:
        links.append(link(min(page.page - 1, page.pages), "prev"))
    links += [link(1, "first"), link(page.pages, "last")]
    return ", ".join(links)
