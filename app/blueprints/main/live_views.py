"""The managers' live view: drawn into the dashboard, and polled as JSON by app/static/live.js.

`GET /dashboard/live.json` answers with a strong ETag made from
`live.live_version()` (maxima and counts, one cheap statement) and the reader's
language, so a poll that finds nothing new costs that one statement and a 304.
The page and the JSON are built from the same `live_payload`, so the page shows
the same rows without JavaScript.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, current_app, jsonify, request, url_for
from flask_babel import format_datetime, format_time, get_locale
from flask_babel import gettext as _

from app.event_labels import ALERT_KINDS, EVENT_TYPES, REASONS, label
from app.models import DeviceAlert
from app.services import live
from app.web import is_manager, now, require

CACHE_CONTROL = "private, no-cache"


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def _when(moment: dt.datetime, today: dt.date) -> str:
    """The time alone today, with the date on other days (the facility's clock)."""
    local = moment.astimezone(_zone())
    if local.date() == today:
        return format_time(local, "medium")
    return format_datetime(local, "short")


def _decision(granted: bool | None) -> str:
    if granted is None:
        return ""
    return _("granted") if granted else _("denied")


def _device_name(label_: str, device_id: str) -> str:
    return label_ or device_id


def _event(event: live.LiveEvent, today: dt.date) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at.astimezone(_zone()).isoformat(),
        "time": _when(event.at, today),
        "device": event.device_id,
        "device_name": _device_name(event.device_label, event.device_id),
        "resource": event.resource,
        "type": event.type,
        "type_label": label(EVENT_TYPES, event.type),
        "granted": event.granted,
        "decision": _decision(event.granted),
        "reason": event.reason,
        "reason_label": label(REASONS, event.reason) if event.reason != "ok" else "",
        "member": event.member,
    }


def _session(session: live.OpenSession, today: dt.date) -> dict[str, Any]:
    return {
        "id": session.id,
        "device": session.device_id,
        "device_name": _device_name(session.device_label, session.device_id),
        "resource": session.resource,
        "member": session.member,
        "started_at": session.started_at.astimezone(_zone()).isoformat(),
        "since": _when(session.started_at, today),
    }


def _alert(alert: DeviceAlert, today: dt.date) -> dict[str, Any]:
    return {
        "id": alert.id,
        "kind": alert.kind.value,
        "kind_label": label(ALERT_KINDS, alert.kind.value),
        "device": alert.device_id,
        "device_name": _device_name(alert.device.label, alert.device_id),
        "url": url_for("devices.detail", device_id=alert.device_id),
        "since_at": alert.opened_at.astimezone(_zone()).isoformat(),
        "since": _when(alert.opened_at, today),
    }


def duration_label(since: dt.datetime, moment: dt.datetime) -> str:
    """How long so far, as live.js writes it: minutes, or hours and minutes."""
    minutes = max(int((moment - since).total_seconds() // 60), 0)
    if minutes < 60:
        return _("%(minutes)s min", minutes=minutes)
    return _("%(hours)s h %(minutes)s min", hours=minutes // 60, minutes=minutes % 60)


def live_payload(*, durations: bool = False) -> dict[str, Any]:
    """The view as JSON; `durations` adds each session's length so far (the page only:
    it changes every minute, so the JSON leaves it to the browser and keeps its ETag)."""
    view = live.live_view(events=int(current_app.config["LIVE_EVENTS"]))
    moment = now()
    today = moment.astimezone(_zone()).date()
    sessions = [_session(s, today) for s in view.sessions]
    if durations:
        for row, session in zip(sessions, view.sessions, strict=True):
            row["duration"] = duration_label(session.started_at, moment)
    return {
        "poll_seconds": int(current_app.config["LIVE_POLL_SECONDS"]),
        "devices": {"online": view.fleet.online, "offline": view.fleet.offline},
        "events": [_event(e, today) for e in view.events],
        "sessions": sessions,
        "alerts": [_alert(a, today) for a in view.alerts],
    }


def live_etag() -> str:
    """Changes with the data, the reader's language and the facility's day (dates shown)."""
    today = now().astimezone(_zone()).date().isoformat()
    source = f"{live.live_version()}|{get_locale()}|{today}|{current_app.config['LIVE_EVENTS']}"
    return hashlib.sha256(source.encode()).hexdigest()[:32]


def live_json() -> Response:
    require(is_manager)
    etag = live_etag()
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        response = jsonify(live_payload())
    response.set_etag(etag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.vary.add("Cookie")
    return response
