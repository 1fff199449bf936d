"""Devices: the Raspberry Pis at doors and machines, and their broker accounts. Managers only.

A device's id is its MQTT username. Registering or rotating makes a new random
password that the caller shows once and that is never stored in plain text: it
reaches the broker through an ``account`` outbox row, sealed
(`app.services.device_secrets`), which the gateway applies and wipes. Deleting
deactivates the device (its history stays) and asks the gateway to delete the
broker account, which disconnects the device at once, and to clear its
retained topics. Every action is audited, never with the password.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import (
    CommandState,
    Device,
    DeviceCommand,
    DeviceKind,
    DeviceOutbox,
    Member,
    OutboxKind,
    Resource,
    ResourceKind,
)
from app.models.device import AccountChange
from bridge_protocol.topics import DEVICE_ID_PATTERN

from . import audit
from .device_outbox import request_acl_refresh
from .device_secrets import new_device_password, seal_secret
from .errors import N_, UNSET, Conflict, NotFound, PermissionDenied, RuleViolation, ValidationFailed
from .hours import check_opening_hours
from .pagination import Page, paginate
from .validation import SLUG_RE, clean_text

_DEVICE_ID = re.compile(DEVICE_ID_PATTERN)
#: Names a device may never take: broker accounts of the server side.
RESERVED_IDS = frozenset(
    {"admin", "gateway", "incubator", "monitor", "mosquitto", "root", "server"}
)
ID_MESSAGE = N_(
    "Use 2 to 32 lower-case letters, digits and hyphens, starting with a letter or digit."
)


@dataclass(frozen=True)
class Credentials:
    """A device and its new MQTT password: show the password once, store it nowhere."""

    device: Device
    password: str


def require_manager(actor: Member) -> None:
    if not actor.is_manager:
        raise PermissionDenied(N_("Only managers can do this."))


def list_devices(
    actor: Member, *, include_inactive: bool = False, page: int = 1, per_page: int = 50
) -> Page[Device]:
    require_manager(actor)
    query = select(Device).options(joinedload(Device.resource))
    if not include_inactive:
        query = query.where(Device.active.is_(True))
    return paginate(query.order_by(Device.id), page=page, per_page=per_page)


def get_device(actor: Member, device_id: str) -> Device:
    require_manager(actor)
    if not isinstance(device_id, str) or not _DEVICE_ID.fullmatch(device_id):
        raise NotFound(N_("No such device."))  # never reaches the database
    device = db.session.get(Device, device_id)
    if device is None:
        raise NotFound(N_("No such device."))
    return device


# -- checks ------------------------------------------------------------------------


def _check_id(value: Any, reserved: Iterable[str]) -> str | None:
    if not isinstance(value, str) or not _DEVICE_ID.fullmatch(value):
        return ID_MESSAGE
    if value in RESERVED_IDS or value in set(reserved):
        return N_("This name belongs to a server account. Choose another.")
    return None


def _check_kind(value: Any) -> tuple[DeviceKind | None, str | None]:
    try:
        return DeviceKind(value), None
    except ValueError:
        return None, N_("Choose one of the listed values.")


def _resource(kind: DeviceKind | None, slug: Any) -> tuple[Resource | None, str | None]:
    """The resource a device guards; a machine needs one, an entrance door has none."""
    if slug is None or slug == "":
        if kind == DeviceKind.MACHINE:
            return None, N_("A machine's device needs the resource it switches.")
        return None, None
    if not isinstance(slug, str) or not SLUG_RE.fullmatch(slug):
        return None, N_("Unknown resource.")
    resource = db.session.scalar(select(Resource).where(Resource.slug == slug))
    if resource is None or not resource.active:
        return None, N_("Unknown resource.")
    if kind == DeviceKind.DOOR and resource.kind == ResourceKind.MACHINE:
        return None, N_("A door opens a room, not a machine: choose a room or no resource.")
    return resource, None


def _label(value: Any) -> tuple[str, str | None]:
    if not isinstance(value, str):
        return "", N_("This must be text.")
    return clean_text(value, max_length=120, required=False)


# -- outbox ------------------------------------------------------------------------


def _account_row(device_id: str, change: AccountChange, secret: str | None = None) -> None:
    db.session.add(
        DeviceOutbox(
            kind=OutboxKind.ACCOUNT, device_id=device_id, reason=str(change), secret=secret
        )
    )


def _new_credentials(device: Device, *, sealing_key: str) -> Credentials:
    password = new_device_password()
    _account_row(device.id, AccountChange.UPSERT, seal_secret(password, secret_key=sealing_key))
    return Credentials(device=device, password=password)


# -- actions -----------------------------------------------------------------------


def register_device(
    *,
    actor: Member,
    id: str,
    kind: str,
    resource_slug: str | None,
    label: str = "",
    now: dt.datetime,
    sealing_key: str,
    reserved_ids: Iterable[str] = (),
) -> Credentials:
    """Register a device and make its first password (returned, never stored in plain text)."""
    require_manager(actor)
    errors: dict[str, str] = {}
    if error := _check_id(id, reserved_ids):
        errors["id"] = error
    device_kind, error = _check_kind(kind)
    if error:
        errors["kind"] = error
    resource, error = _resource(device_kind, resource_slug)
    if error:
        errors["resource"] = error
    clean_label, error = _label(label)
    if error:
        errors["label"] = error
    if errors:
        raise ValidationFailed(errors)
    assert device_kind is not None
    if db.session.get(Device, id) is not None:
        raise Conflict(N_("A device with this id exists (perhaps deleted: ids are never reused)."))
    device = Device(
        id=id,
        kind=device_kind,
        resource=resource,
        label=clean_label,
        active=True,
        credential_rotated_at=now,
        versions={},
    )
    db.session.add(device)
    db.session.flush()
    credentials = _new_credentials(device, sealing_key=sealing_key)
    request_acl_refresh(reason="device registered", device_id=device.id)
    audit.record(
        actor=actor,
        action="device.register",
        object_type="device",
        object_id=device.id,
        details={"kind": str(device_kind), "resource": resource.slug if resource else None},
    )
    return credentials


def rotate_credentials(
    device: Device, *, actor: Member, now: dt.datetime, sealing_key: str
) -> Credentials:
    """A new password; the broker disconnects the device when the gateway applies it."""
    require_manager(actor)
    if not device.active:
        raise RuleViolation(N_("This device is deleted."), rule="device_deleted")
    device.credential_rotated_at = now
    credentials = _new_credentials(device, sealing_key=sealing_key)
    audit.record(
        actor=actor,
        action="device.rotate_credentials",
        object_type="device",
        object_id=device.id,
    )
    return credentials


def delete_device(device: Device, *, actor: Member, now: dt.datetime) -> None:
    """Deactivate (history stays), delete the broker account, clear retained topics."""
    require_manager(actor)
    if not device.active:
        return
    device.active = False
    device.deactivated_at = now
    device.online = False
    for command in db.session.scalars(
        select(DeviceCommand).where(
            DeviceCommand.device_id == device.id,
            DeviceCommand.state.in_([CommandState.QUEUED, CommandState.SENT]),
        )
    ):
        command.state = CommandState.EXPIRED
        command.reason = "device_deleted"
        command.answered_at = now
    _account_row(device.id, AccountChange.DELETE)
    audit.record(actor=actor, action="device.delete", object_type="device", object_id=device.id)


def update_device(
    device: Device,
    *,
    actor: Member,
    label: Any = UNSET,
    resource_slug: Any = UNSET,
    unlock_schedule: Any = UNSET,
) -> None:
    """Change what is given; a new resource or unlock schedule republishes the allow-list."""
    require_manager(actor)
    if not device.active:
        raise RuleViolation(N_("This device is deleted."), rule="device_deleted")
    errors: dict[str, str] = {}
    changes: dict[str, Any] = {}
    if label is not UNSET:
        clean_label, error = _label(label)
        if error:
            errors["label"] = error
        elif clean_label != device.label:
            changes["label"] = clean_label
    resource = device.resource
    if resource_slug is not UNSET:
        resource, error = _resource(device.kind, resource_slug)
        if error:
            errors["resource"] = error
        elif resource is not device.resource:
            changes["resource"] = resource.slug if resource else None
    if unlock_schedule is not UNSET and unlock_schedule != device.unlock_schedule:
        if unlock_schedule is not None and device.kind != DeviceKind.DOOR:
            errors["unlock_schedule"] = N_("Only a door has an unlock schedule.")
        elif unlock_schedule is not None and (error := check_opening_hours(unlock_schedule)):
            errors["unlock_schedule"] = error
        else:
            changes["unlock_schedule"] = unlock_schedule
    if errors:
        raise ValidationFailed(errors)
    if not changes:
        return
    if "label" in changes:
        device.label = changes["label"]
    if "resource" in changes:
        device.resource = resource
    if "unlock_schedule" in changes:
        device.unlock_schedule = changes["unlock_schedule"] or None
    if {"resource", "unlock_schedule"} & set(changes):
        request_acl_refresh(reason="device changed", device_id=device.id)
    audit.record(
        actor=actor,
        action="device.update",
        object_type="device",
        object_id=device.id,
        details={"changed": sorted(changes)},
    )
