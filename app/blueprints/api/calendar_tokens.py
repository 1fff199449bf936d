"""/api/v1/calendar-tokens: secret calendar feed links, one per device.

The link (`url`, and the same as `webcal_url`) is answered once, when it is
made or rotated; afterwards only its first characters (`prefix`) are shown.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from pydantic import AliasChoices, Field

from app.models import CalendarScope, CalendarToken
from app.services import calendar_feeds as service
from app.services.pagination import Page
from app.web import commit, now

from .auth import actor
from .references import resource_ref
from .routing import ID, Created, api_route, page_size
from .schemas import Body, Instant, ListQuery, Out, PageOf, Slug

TAG = "calendars"
ONE = f"/calendar-tokens/<{ID}:token_id>"


class CalendarTokenCreate(Body):
    scope: CalendarScope = Field(
        description="member: my bookings; tenant: my company's; resource: one room or "
        "machine, privacy-filtered; site: everything (managers)."
    )
    resource: Slug | None = Field(
        default=None, description="The resource's short name; only with scope resource."
    )
    name: str = Field(default="", max_length=80, description='The device it is for, e.g. "phone".')


class CalendarTokenRotate(Body):
    name: str | None = Field(
        default=None, max_length=80, description="A new device name; absent: the same."
    )


class CalendarTokenOut(Out):
    id: int
    name: str
    scope: CalendarScope
    resource: str | None = Field(
        validation_alias=AliasChoices("resource_slug", "resource"),
        description="The resource's short name (scope resource).",
    )
    prefix: str = Field(description="The link's secret begins with this.")
    created_at: Instant
    last_used_at: Instant | None = Field(description="Updated at most once an hour.")


class CalendarTokenCreated(CalendarTokenOut):
    url: str = Field(description="The feed's https:// link: shown this once only.")
    webcal_url: str = Field(description="The same as webcal://, which opens a calendar app.")


class CalendarTokenPage(PageOf[CalendarTokenOut]):
    pass


def _created(token: CalendarToken, secret: str) -> Created:
    links = service.feed_links(secret, public_url=current_app.config["PUBLIC_URL"])
    body: dict[str, Any] = {
        **CalendarTokenOut.model_validate(token).model_dump(),
        "url": links.url,
        "webcal_url": links.webcal_url,
    }
    return Created(body, url_for(".get_calendar_token", token_id=token.id, _external=True))


@api_route(
    "/calendar-tokens",
    "POST",
    body=CalendarTokenCreate,
    response=CalendarTokenCreated,
    status=201,
    tag=TAG,
    summary="Make a calendar feed link",
    errors=(403,),
)
def create_calendar_token(body: CalendarTokenCreate) -> Created:
    """One link per device. Members may subscribe to their own bookings, their company's,
    and any resource's; managers to everything (site) but not a company's."""
    token, secret = service.create_calendar_token(
        member=actor(),
        scope=body.scope.value,
        name=body.name,
        resource=resource_ref(body.resource) if body.resource else None,
        now=now(),
    )
    commit()
    return _created(token, secret)


@api_route(
    "/calendar-tokens",
    "GET",
    query=ListQuery,
    response=CalendarTokenPage,
    tag=TAG,
    summary="List my calendar feed links",
)
def list_calendar_tokens(query: ListQuery) -> Page[CalendarToken]:
    """The live links of the token's member (never anyone else's), newest first."""
    return service.calendar_token_page(actor(), page=query.page, per_page=page_size(query))


@api_route(ONE, "GET", response=CalendarTokenOut, tag=TAG, summary="Read a calendar feed link")
def get_calendar_token(token_id: int) -> CalendarToken:
    return service.get_calendar_token(actor(), token_id)


@api_route(ONE, "DELETE", status=204, tag=TAG, summary="Revoke a calendar feed link")
def delete_calendar_token(token_id: int) -> None:
    """The link stops working at once: its feed answers 404."""
    service.revoke_calendar_token(member=actor(), token_id=token_id, now=now())
    commit()


@api_route(
    f"{ONE}/rotate",
    "POST",
    body=CalendarTokenRotate,
    body_required=False,
    response=CalendarTokenCreated,
    status=201,
    tag=TAG,
    summary="Replace a calendar feed link",
)
def rotate_calendar_token(token_id: int, body: CalendarTokenRotate) -> Created:
    """A new link for the same device and calendar; the old one stops working at once.
    The body is optional."""
    token, secret = service.rotate_calendar_token(
        member=actor(), token_id=token_id, name=body.name, now=now()
    )
    commit()
    return _created(token, secret)
