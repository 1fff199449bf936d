"""Devices: the fleet of Pis at doors and machines, for managers.

Registering and rotating show the device's password and complete bridge config
once, on a page that is never cached (`Cache-Control: no-store`); nothing
keeps them afterwards.
"""

from __future__ import annotations

import base64
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from app.device_provisioning import (
    bridge_config_text,
    bridge_material,
    sealing_key,
    server_account_names,
)
from app.errors import translate
from app.labels import choices
from app.models import Device, DeviceKind, ResourceKind
from app.services import device_activity, device_commands, devices, resources
from app.services.errors import Conflict, ValidationFailed
from app.web import actor, commit, field_errors, guard, is_manager, now, page_arg, rollback
from app.web_forms import DAY_LABELS, week_to_form

from .forms import KINDS, DeviceEditForm, DeviceForm
from .labels import COMMAND_NAMES, COMMAND_STATES, EVENT_TYPES, REASONS

bp = Blueprint("devices", __name__, url_prefix="/devices")

guard(bp, is_manager)


def _resource_choices(kind: str | None = None) -> list[tuple[str, str]]:
    listed = resources.list_resources(actor()).items
    usable = [r for r in listed if kind != "door" or r.kind != ResourceKind.MACHINE]
    return choices([("", _("None: the building's entrance")), *((r.slug, r.name) for r in usable)])


def _device(device_id: str) -> Device:
    return devices.get_device(actor(), device_id)


@bp.get("/")
def index():
    show_all = request.args.get("all") == "1"
    page = devices.list_devices(actor(), include_inactive=show_all, page=page_arg())
    return render_template("devices/index.html", page=page, show_all=show_all, kinds=KINDS)


def _credentials_page(device: Device, password: str, material: Any, *, new: bool) -> Response:
    """The one page that ever shows the password: never cached."""
    text = bridge_config_text(device, password=password, material=material, now=now())
    download = "data:application/toml;charset=utf-8;base64," + base64.b64encode(
        text.encode("utf-8")
    ).decode("ascii")
    page = render_template(
        "devices/credentials.html",
        device=device,
        password=password,
        config_text=text,
        download=download,
        new=new,
    )
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@bp.route("/new", methods=["GET", "POST"])
def create():
    form = DeviceForm()
    form.resource.choices = _resource_choices()
    if form.validate_on_submit():
        material = bridge_material(current_app.config)
        try:
            registered = devices.register_device(
                actor=actor(),
                id=form.id.data or "",
                kind=form.kind.data or "",
                resource_slug=form.resource.data or None,
                label=form.label.data or "",
                now=now(),
                sealing_key=sealing_key(current_app.config),
                reserved_ids=server_account_names(current_app.config),
            )
        except ValidationFailed as exc:
            rollback()
            field_errors(form, exc.fields, translate)
        except Conflict as exc:
            rollback()
            form.id.errors = [translate(exc.message, exc.params)]
        else:
            page = _credentials_page(registered.device, registered.password, material, new=True)
            commit()
            return page
    status = 422 if form.is_submitted() else 200
    return render_template("devices/form.html", form=form), status


@bp.get("/<device_id>")
def detail(device_id: str):
    device = _device(device_id)
    moment = now()
    commands = [
        (command, device_commands.command_state(command, now=moment))
        for command in device_commands.recent_commands(device)
    ]
    return render_template(
        "devices/detail.html",
        device=device,
        commands=commands,
        events=device_activity.recent_events(device),
        kinds=KINDS,
        states=COMMAND_STATES,
        command_names=COMMAND_NAMES,
        event_types=EVENT_TYPES,
        reasons=REASONS,
        days=DAY_LABELS,
    )


def _command_args(command: str) -> dict[str, Any]:
    form = request.form
    if command == "unlock":
        return {"seconds": 5}
    if command == "power_off":
        return {"force": form.get("force") == "1"}
    if command == "lockout":
        return {"on": form.get("on") == "1"}
    return {}


@bp.post("/<device_id>/commands")
def command(device_id: str):
    device = _device(device_id)
    name = request.form.get("command", "")
    queued = device_commands.queue_command(
        actor=actor(), device=device, command=name, args=_command_args(name), now=now()
    )
    commit()
    flash(_("Command %(name)s is on its way.", name=COMMAND_NAMES.get(queued.command, name)))
    return redirect(url_for("devices.detail", device_id=device.id))


@bp.route("/<device_id>/rotate", methods=["GET", "POST"])
def rotate(device_id: str):
    device = _device(device_id)
    if request.method == "GET":
        return render_template("devices/confirm.html", device=device, action="rotate")
    material = bridge_material(current_app.config)
    rotated = devices.rotate_credentials(
        device, actor=actor(), now=now(), sealing_key=sealing_key(current_app.config)
    )
    page = _credentials_page(device, rotated.password, material, new=False)
    commit()
    return page


@bp.route("/<device_id>/delete", methods=["GET", "POST"])
def delete(device_id: str):
    device = _device(device_id)
    if request.method == "GET":
        return render_template("devices/confirm.html", device=device, action="delete")
    devices.delete_device(device, actor=actor(), now=now())
    commit()
    flash(_("Device %(id)s is deleted: the broker disconnects it.", id=device.id))
    return redirect(url_for("devices.index"))


@bp.route("/<device_id>/edit", methods=["GET", "POST"])
def edit(device_id: str):
    device = _device(device_id)
    data = {"label": device.label, "resource": device.resource.slug if device.resource else ""}
    form = DeviceEditForm(data={**data, **week_to_form(device.unlock_schedule)})
    form.resource.choices = _resource_choices(str(device.kind))
    if form.validate_on_submit():
        is_door = device.kind == DeviceKind.DOOR
        try:
            devices.update_device(
                device,
                actor=actor(),
                label=form.label.data or "",
                resource_slug=form.resource.data or None,
                unlock_schedule=(form.week() if form.has_hours() else None) if is_door else None,
            )
        except ValidationFailed as exc:
            rollback()
            field_errors(form, exc.fields, translate)
        else:
            commit()
            flash(_("Device %(id)s is saved.", id=device.id))
            return redirect(url_for("devices.detail", device_id=device.id))
    status = 422 if form.is_submitted() else 200
    return render_template("devices/edit.html", form=form, device=device), status
