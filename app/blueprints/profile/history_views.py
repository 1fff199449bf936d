"""My access history: the signed-in member's own badge scans and machine sessions."""

from __future__ import annotations

import datetime as dt

from flask import render_template, request
from flask_babel import gettext as _

from app.event_labels import REASONS, label
from app.services import access_history
from app.web import actor, now, page_arg

PER_PAGE = 25


def _sessions_page() -> int:
    value = request.args.get("sessions", "1")
    return int(value) if value.isascii() and value.isdigit() and 0 < int(value) < 100000 else 1


def duration_label(length: dt.timedelta) -> str:
    minutes = max(int(length.total_seconds() // 60), 0)
    if minutes < 60:
        return _("%(minutes)s min", minutes=minutes)
    return _("%(hours)s h %(minutes)s min", hours=minutes // 60, minutes=minutes % 60)


def history():
    member = actor()
    scans = access_history.own_scans(member, page=page_arg(), per_page=PER_PAGE)
    uses = access_history.own_sessions(member, now=now(), page=_sessions_page(), per_page=PER_PAGE)
    return render_template(
        "profile/history.html",
        scans=scans,
        uses=uses,
        reason_label=lambda code: label(REASONS, code),
        duration_label=duration_label,
    )
