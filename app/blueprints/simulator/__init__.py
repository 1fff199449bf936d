"""The demo's simulator: present a badge to a simulated Pi and see what happened.

Only while the app runs under `incubator demo` (config ``DEMO_SIMULATOR``);
404 otherwise, for everyone. Managers only. A scan is published on the demo's
``sim/<dev>/scan`` topic with the demo's simulator account
(`app.demo_system.scans`): the one place the web app publishes on MQTT, and
only in the demo. The page then waits a moment for the device's decision to
reach the database through the gateway, and says what it was.
"""

from __future__ import annotations

import time
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.demo_system.scans import ScanNotSent, check_badge, publish_scan
from app.demo_system.state import DemoState
from app.event_labels import EVENT_TYPES, REASONS
from app.labels import choices
from app.models import Device
from app.services import demo, device_activity
from app.services.device_activity import ActivityFilter
from app.web import actor, guard, is_manager, rollback

from .forms import ScanForm

bp = Blueprint("simulator", __name__, url_prefix="/simulator")
ANSWER_WAIT_S = 3.0


@bp.before_request
def _demo_only() -> None:
    config = current_app.config
    if not config.get("DEMO_SIMULATOR") or config.get("ENV") == "production":
        abort(404)


guard(bp, is_manager)


def _state() -> DemoState | None:
    directory = current_app.config.get("DEMO_STATE_DIR")
    return DemoState.load(Path(directory)) if directory else None


def _form(devices: list[Device], selected: str | None, badge: str | None = None) -> ScanForm:
    form = ScanForm(data={"device": selected, "badge": badge} if selected else None)
    form.device.choices = choices([(d.id, d.label or d.id) for d in devices])
    badges = [
        (b.uid, f"{b.holder if b.holder != '-' else _('Unknown badge')} · {b.uid}")
        for b in demo.DEMO_BADGES
    ]
    form.badge.choices = choices([*badges, ("", _("Another: type it below"))])
    return form


def _page(form: ScanForm, devices: list[Device], selected: str | None, status: int = 200):
    device = next((d for d in devices if d.id == selected), devices[0] if devices else None)
    events, sessions = [], []
    if device is not None:
        events = device_activity.recent_events(device, limit=15)
        sessions = device_activity.list_usage_sessions(
            actor(), ActivityFilter(device_id=device.id), per_page=5
        ).items
    page = render_template(
        "simulator/index.html",
        form=form,
        device=device,
        events=events,
        sessions=sessions,
        badges=demo.DEMO_BADGES,
        state=_state(),
        event_types=EVENT_TYPES,
        reasons=REASONS,
    )
    return page, status


@bp.get("/")
def index():
    devices = demo.simulated_devices(actor())
    selected = request.args.get("device") or (devices[0].id if devices else None)
    badge = request.args.get("badge")
    return _page(_form(devices, selected, badge), devices, selected)


@bp.post("/")
def scan():
    devices = demo.simulated_devices(actor())
    form = _form(devices, None)
    state = _state()
    if not form.validate_on_submit():
        return _page(form, devices, form.device.data, 422)
    raw = form.other.data or form.badge.data or ""  # what is typed wins
    try:
        uid = check_badge(raw)
    except ValueError:
        form.other.errors = [_("This is not a badge number: use hexadecimal, e.g. 04:A2:2B:1C.")]
        return _page(form, devices, form.device.data, 422)
    device_id = form.device.data or ""
    if state is None:
        flash(_("The demo's broker is not known: is `incubator demo` running?"), "error")
        return redirect(url_for("simulator.index", device=device_id))
    before = demo.latest_event_id(device_id)
    rollback()
    try:
        publish_scan(state, device_id, uid)
    except ScanNotSent:
        flash(_("The scan could not be sent: the demo's broker does not answer."), "error")
        return redirect(url_for("simulator.index", device=device_id))
    flash(*_outcome(device_id, uid, before))
    # the same badge stays chosen: scanning it again is how a session ends
    return redirect(url_for("simulator.index", device=device_id, badge=uid))


def _outcome(device_id: str, uid: str, before: int) -> tuple[str, str]:
    """Wait a moment for what the device reports; the words and the flash category.

    The categories (``granted``, ``refused``, ``ended``, ``pending``) are also
    classes of the message, for tests and styles.
    """
    deadline = time.monotonic() + ANSWER_WAIT_S
    while True:
        event = demo.answer_after(device_id, before)
        rollback()  # the next look sees what the gateway committed since
        if event is not None:
            if event.type == "session.end":
                reason = REASONS.get(event.reason or "", event.reason or "")
                message = _(
                    "%(badge)s at %(device)s: the session ended (%(reason)s).",
                    badge=uid,
                    device=device_id,
                    reason=reason,
                )
                return message, "ended"
            if event.granted:
                message = _("%(badge)s at %(device)s: granted.", badge=uid, device=device_id)
                return message, "granted"
            reason = REASONS.get(event.reason or "", event.reason or "")
            message = _(
                "%(badge)s at %(device)s: refused (%(reason)s).",
                badge=uid,
                device=device_id,
                reason=reason,
            )
            return message, "warning refused"
        if time.monotonic() >= deadline:
            message = _(
                "%(badge)s scanned at %(device)s; its decision has not arrived yet: "
                "reload the page in a moment.",
                badge=uid,
                device=device_id,
            )
            return message, "warning pending"
        time.sleep(0.1)
