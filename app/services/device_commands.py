"""Remote commands to a device: unlock, power off, lockout, resync. Managers only.

`queue_command` writes a `DeviceCommand` (state ``queued``, expiring about 30 s
later) and a ``command`` outbox row in the caller's transaction; the gateway
signs and sends it (never retained), marks it ``sent``, and records the
device's ``acked`` or ``refused``. A command nobody could deliver in time
reads as ``expired`` (`command_state`), without a write.

A lockout also sets the resource's status (``locked_out``, or back to
``available`` when lifted) and republishes the allow-lists of its devices, so
the lockout survives the device's next allow-list and its reboots. An
entrance door has no resource: there the lockout lasts until its next
allow-list.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import (
    CommandState,
    Device,
    DeviceCommand,
    DeviceKind,
    DeviceOutbox,
    Member,
    OutboxKind,
    ResourceStatus,
)

from . import audit
from .device_outbox import request_acl_refresh_for_resource
from .devices import require_manager
from .errors import N_, NotFound, RuleViolation, ValidationFailed

#: how long a command may wait for delivery; the signed command's ``exp``
COMMAND_TTL = dt.timedelta(seconds=30)
#: after ``exp``, how long a sent command may still be acknowledged (the ack in flight)
ACK_GRACE = dt.timedelta(seconds=10)
UNLOCK_MAX_S = 60
COMMANDS = ("unlock", "power_off", "lockout", "resync")
_UUID_LENGTH = 36


def _flag(args: Mapping[str, Any], name: str, default: bool | None) -> bool:
    value = args.get(name, default)
    if not isinstance(value, bool):
        message = (
            N_("This field is required.") if value is None else N_("This must be true or false.")
        )
        raise ValidationFailed({name: message})
    return value


def clean_command(device: Device, command: Any, args: Any) -> dict[str, Any]:
    """The command's arguments, checked; raise ValidationFailed or RuleViolation."""
    if command not in COMMANDS:
        raise ValidationFailed({"command": N_("Choose one of the listed values.")})
    if not isinstance(args, Mapping):
        raise ValidationFailed({"command": N_("This must be a JSON object.")})
    allowed = {"unlock": {"seconds"}, "power_off": {"force"}, "lockout": {"on"}, "resync": set()}
    unknown = sorted(set(args) - allowed[command])
    if unknown:
        raise ValidationFailed({str(name): N_("Unknown field.") for name in unknown})
    if command == "unlock":
        if device.kind != DeviceKind.DOOR:
            raise RuleViolation(N_("Only a door can be unlocked."), rule="command_kind")
        seconds = args.get("seconds", 5)
        if isinstance(seconds, bool) or not isinstance(seconds, int):
            raise ValidationFailed({"seconds": N_("This must be a whole number.")})
        if not 1 <= seconds <= UNLOCK_MAX_S:
            raise ValidationFailed({"seconds": N_("This number is out of range.")})
        return {"seconds": seconds}
    if command == "power_off":
        if device.kind != DeviceKind.MACHINE:
            raise RuleViolation(N_("Only a machine can be powered off."), rule="command_kind")
        return {"force": _flag(args, "force", False)}
    if command == "lockout":
        return {"on": _flag(args, "on", None)}
    return {}


def queue_command(
    *, actor: Member, device: Device, command: str, args: Mapping[str, Any], now: dt.datetime
) -> DeviceCommand:
    require_manager(actor)
    if not device.active:
        raise RuleViolation(N_("This device is deleted."), rule="device_deleted")
    clean = clean_command(device, command, args)
    queued = DeviceCommand(
        id=str(uuid.uuid4()),
        device_id=device.id,
        command=command,
        args=clean,
        state=CommandState.QUEUED,
        created_by_id=actor.id,
        created_at=now,
        expires_at=now + COMMAND_TTL,
    )
    db.session.add(queued)
    db.session.add(
        DeviceOutbox(
            kind=OutboxKind.COMMAND, device_id=device.id, command_id=queued.id, reason=command
        )
    )
    if command == "lockout":
        _lock_resource(device, on=clean["on"], actor=actor)
    audit.record(
        actor=actor,
        action="device.command",
        object_type="device",
        object_id=device.id,
        details={"command": command, "args": clean, "command_id": queued.id},
    )
    db.session.flush()
    return queued


def _lock_resource(device: Device, *, on: bool, actor: Member) -> None:
    resource = device.resource
    if resource is None:
        return
    before = resource.status
    if on:
        resource.status = ResourceStatus.LOCKED_OUT
    elif resource.status == ResourceStatus.LOCKED_OUT:
        resource.status = ResourceStatus.AVAILABLE
    if resource.status == before:
        return
    request_acl_refresh_for_resource(
        resource, reason="resource lockout" if on else "resource lockout lifted"
    )
    audit.record(
        actor=actor,
        action="resource.lockout" if on else "resource.lockout_lifted",
        object_type="resource",
        object_id=resource.id,
        details={"slug": resource.slug, "device": device.id},
    )


def get_command(actor: Member, device: Device, command_id: str) -> DeviceCommand:
    require_manager(actor)
    if not isinstance(command_id, str) or len(command_id) > _UUID_LENGTH:
        raise NotFound(N_("No such command."))
    command = db.session.get(DeviceCommand, command_id.lower())
    if command is None or command.device_id != device.id:
        raise NotFound(N_("No such command."))
    return command


def command_state(command: DeviceCommand, *, now: dt.datetime) -> CommandState:
    """The state as the caller should see it: a command past its time reads as expired."""
    if command.state == CommandState.QUEUED and now >= command.expires_at:
        return CommandState.EXPIRED
    if command.state == CommandState.SENT and now >= command.expires_at + ACK_GRACE:
        return CommandState.EXPIRED
    return command.state


def recent_commands(device: Device, *, limit: int = 20) -> list[DeviceCommand]:
    return list(
        db.session.scalars(
            select(DeviceCommand)
            .where(DeviceCommand.device_id == device.id)
            .order_by(DeviceCommand.created_at.desc())
            .limit(limit)
        )
    )
