"""/api/v1/devices: the Pis at doors and machines, their credentials and remote commands.

Managers only (anyone else: 403). Registering and rotating answer the device's
MQTT password and its complete bridge config once; the server keeps neither
(every API answer carries `Cache-Control: no-store`).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for

from app.device_provisioning import (
    bridge_config_text,
    bridge_material,
    sealing_key,
    server_account_names,
)
from app.models import Device
from app.services import device_commands, devices
from app.services.devices import Credentials
from app.services.pagination import Page
from app.web import commit, now

from .auth import actor
from .device_schemas import (
    CommandAccepted,
    CommandCreate,
    CommandOut,
    DeviceCreate,
    DeviceCredentials,
    DeviceListQuery,
    DeviceOut,
    DevicePage,
    RotateBody,
)
from .routing import Created, api_route, page_size

TAG = "devices"
ONE = "/devices/<device_id>"


@api_route(
    "/devices",
    "GET",
    query=DeviceListQuery,
    response=DevicePage,
    tag=TAG,
    summary="List devices",
    errors=(403,),
)
def list_devices(query: DeviceListQuery) -> Page[Device]:
    """With presence, versions and allow-list versions as the gateway last heard them."""
    return devices.list_devices(
        actor(),
        include_inactive=query.include_inactive,
        page=query.page,
        per_page=page_size(query),
    )


def _answer(credentials: Credentials) -> DeviceCredentials:
    material = bridge_material(current_app.config)
    text = bridge_config_text(
        credentials.device, password=credentials.password, material=material, now=now()
    )
    return DeviceCredentials(
        device=DeviceOut.model_validate(credentials.device),
        password=credentials.password,
        bridge_config=text,
    )


@api_route(
    "/devices",
    "POST",
    body=DeviceCreate,
    response=DeviceCredentials,
    status=201,
    tag=TAG,
    summary="Register a device",
    errors=(403, 409),
)
def create_device(body: DeviceCreate) -> Created:
    """The answer holds the device's password and bridge config, shown this once. The
    gateway creates the broker account. An id in use (also by a deleted device) is a 409;
    503 when the server's keys are missing."""
    bridge_material(current_app.config)  # before anything is written: keys and broker address
    credentials = devices.register_device(
        actor=actor(),
        id=body.id,
        kind=body.kind,
        resource_slug=body.resource,
        label=body.label,
        now=now(),
        sealing_key=sealing_key(current_app.config),
        reserved_ids=server_account_names(current_app.config),
    )
    answer = _answer(credentials)
    commit()
    return Created(answer, url_for(".get_device", device_id=answer.device.id, _external=True))


@api_route(ONE, "GET", response=DeviceOut, tag=TAG, summary="Read a device", errors=(403,))
def get_device(device_id: str) -> Device:
    return devices.get_device(actor(), device_id)


@api_route(ONE, "DELETE", status=204, tag=TAG, summary="Delete a device", errors=(403,))
def delete_device(device_id: str) -> None:
    """The device is deactivated, not erased (its events and sessions stay); the gateway
    deletes its broker account, which disconnects it at once, and clears its retained
    topics. Its id is never used again."""
    device = devices.get_device(actor(), device_id)
    devices.delete_device(device, actor=actor(), now=now())
    commit()


@api_route(
    f"{ONE}/rotate-credentials",
    "POST",
    body=RotateBody,
    body_required=False,
    response=DeviceCredentials,
    tag=TAG,
    summary="Give a device a new password",
    errors=(403, 422),
)
def rotate_credentials(device_id: str, body: RotateBody) -> DeviceCredentials:
    """A new password and bridge config, shown this once. The broker refuses the old
    password and disconnects the device as soon as the gateway applies the change."""
    device = devices.get_device(actor(), device_id)
    bridge_material(current_app.config)
    credentials = devices.rotate_credentials(
        device, actor=actor(), now=now(), sealing_key=sealing_key(current_app.config)
    )
    answer = _answer(credentials)
    commit()
    return answer


@api_route(
    f"{ONE}/commands",
    "POST",
    body=CommandCreate,
    response=CommandAccepted,
    status=202,
    tag=TAG,
    summary="Send a device a command",
    errors=(403, 422),
)
def create_command(device_id: str, body: CommandCreate) -> dict[str, Any]:
    """`{"command": "unlock", "seconds": 5}` (doors), `{"command": "power_off", "force":
    false}` (machines), `{"command": "lockout", "on": true}` (also sets the resource's
    status), `{"command": "resync"}`. Signed and sent by the gateway, never retained,
    valid for 30 s; read its state at `.../commands/{id}`."""
    device = devices.get_device(actor(), device_id)
    command = device_commands.queue_command(
        actor=actor(), device=device, command=body.command, args=body.args(), now=now()
    )
    answer = {"id": command.id, "state": command.state}
    commit()
    return answer


@api_route(
    f"{ONE}/commands/<command_id>",
    "GET",
    response=CommandOut,
    tag=TAG,
    summary="Read a command's state",
    errors=(403,),
)
def get_command(device_id: str, command_id: str) -> dict[str, Any]:
    device = devices.get_device(actor(), device_id)
    command = device_commands.get_command(actor(), device, command_id)
    answer = CommandOut.model_validate(command).model_dump()
    answer["state"] = device_commands.command_state(command, now=now())
    return answer
