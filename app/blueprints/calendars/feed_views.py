"""`GET|HEAD /ical/<token>.ics`: a calendar feed, with conditional GET.

No login: the secret link is the credential. An unknown, revoked or dead link
is a plain 404, the same for each. Answers carry a strong ETag (a hash of the
bytes) and the link's Last-Modified, which never goes backwards; a matching
`If-None-Match` (or, without one, an `If-Modified-Since` not older than it) is
answered 304 without a body.
"""

from __future__ import annotations

from flask import Response, current_app, request
from werkzeug.http import http_date

from app import web
from app.services import calendar_feeds
from app.services.calendar_feeds import FeedSettings, RenderedFeed

PRIVATE = {"Cache-Control": "private", "Referrer-Policy": "no-referrer"}


def feed(token: str) -> Response:
    now = web.now()
    settings = FeedSettings.from_config(current_app.config)
    today = now.astimezone(settings.zone).date()
    found = calendar_feeds.resolve_feed_token(token, now=now, today=today)
    if found is None:
        return Response("Not found\n", status=404, mimetype="text/plain", headers={**PRIVATE})
    # Committed before a (slow) rendering, so no database lock waits on it, and after:
    # the last use (at most hourly), a new ETag and Last-Modified.
    rendered = calendar_feeds.serve_feed(found, now=now, settings=settings, release=web.commit)
    web.commit()
    return _conditional(rendered)


def _not_modified(rendered: RenderedFeed) -> bool:
    if request.if_none_match:  # when present, If-Modified-Since is ignored (RFC 9110)
        return request.if_none_match.contains_weak(rendered.etag.strip('"'))
    since = request.if_modified_since
    return since is not None and rendered.last_modified.replace(microsecond=0) <= since


def _conditional(rendered: RenderedFeed) -> Response:
    headers = {
        **PRIVATE,
        "ETag": rendered.etag,
        "Last-Modified": http_date(rendered.last_modified),
    }
    if _not_modified(rendered):
        return Response(status=304, headers=headers)
    return Response(
        rendered.body, status=200, content_type="text/calendar; charset=utf-8", headers=headers
    )
