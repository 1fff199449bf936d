"""/api/v1/live: the managers' live view, for a wall screen or a script that polls.

The same data as the dashboard's `/dashboard/live.json`, in the API's shape
(codes, ids, times with the facility's offset). A strong ETag comes from
`live.live_version()`; a poll that sends it back in `If-None-Match` while
nothing changed gets `304 Not Modified` for the price of one small statement.
Managers only (anyone else: 403).
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from flask import Response, current_app, request
from pydantic import BaseModel, Field

from app.services import live
from app.services.errors import N_, PermissionDenied

from .auth import actor
from .booking_schemas import Local
from .routing import api_route

TAG = "activity"


class LiveEventOut(BaseModel):
    id: int
    at: Local = Field(description="When it happened, by the device's clock when synchronised.")
    device: str
    device_label: str
    resource_id: int | None
    resource: str | None = Field(description="The resource's name.")
    type: str = Field(description="access.decision, session.start, door.forced, ...")
    granted: bool | None
    reason: str | None = Field(description="The reason code of a decision or a session end.")
    member_id: int | None
    member: str | None = Field(description="The member's name.")


class OpenSessionOut(BaseModel):
    id: int
    device: str
    device_label: str
    resource_id: int | None
    resource: str | None
    member_id: int | None
    member: str | None
    started_at: Local


class FleetOut(BaseModel):
    online: int = Field(description="Devices in service that are online.")
    offline: int


class AlertOut(BaseModel):
    id: int
    kind: str = Field(description="forced_door, held_open or offline.")
    device: str
    opened_at: Local = Field(description="When the incident began.")


class LiveOut(BaseModel):
    events: list[LiveEventOut] = Field(description="Newest first, as they arrived.")
    sessions: list[OpenSessionOut] = Field(description="Machine sessions running now.")
    devices: FleetOut
    alerts: list[AlertOut] = Field(description="Alerts not over yet.")


def _etag() -> str:
    source = f"api|{live.live_version()}|{current_app.config['LIVE_EVENTS']}"
    return hashlib.sha256(source.encode()).hexdigest()[:32]


@api_route(
    "/live",
    "GET",
    response=LiveOut,
    tag=TAG,
    summary="The live view: latest events, running sessions, devices, open alerts",
    errors=(403,),
)
def live_view() -> Response:
    """Managers only. Send the last `ETag` back as `If-None-Match`: nothing new answers
    304 without a body."""
    if not actor().is_manager:
        raise PermissionDenied(N_("Only managers see the live view."))
    etag = _etag()
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        view = live.live_view(events=int(current_app.config["LIVE_EVENTS"]))
        body = LiveOut(
            events=[LiveEventOut.model_validate(_fields(e)) for e in view.events],
            sessions=[OpenSessionOut.model_validate(_fields(s)) for s in view.sessions],
            devices=FleetOut(online=view.fleet.online, offline=view.fleet.offline),
            alerts=[
                AlertOut(id=a.id, kind=a.kind.value, device=a.device_id, opened_at=a.opened_at)
                for a in view.alerts
            ],
        )
        response = Response(body.model_dump_json(), mimetype="application/json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _fields(row: live.LiveEvent | live.OpenSession) -> dict[str, Any]:
    values = dataclasses.asdict(row)
    values["device"] = values.pop("device_id")
    return values
