"""Request and response models of the devices, access-events and usage-sessions API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from app.models import CommandState, DeviceKind

from .booking_schemas import Local, TimeText
from .schemas import Body, Id, ListQuery, Out, PageOf, Slug

DeviceIdText = Annotated[
    str,
    Field(
        max_length=32,
        description="Also the device's MQTT username: 2 to 32 characters a-z, 0-9 and '-', "
        "not starting with '-'.",
        examples=["door-main", "laser-1"],
    ),
]


DeviceRef = Annotated[
    str, Field(validation_alias=AliasChoices("device_id", "device"), description="The device id.")
]


def _slug_of(value: Any) -> Any:
    return getattr(value, "slug", value)


# -- devices -------------------------------------------------------------------------


class DeviceOut(Out):
    id: str
    kind: DeviceKind
    resource: str | None = Field(
        description="The slug of the resource it guards; null: an entrance."
    )
    label: str
    active: bool = Field(description="False once deleted (the history stays).")
    online: bool
    last_seen_at: Local | None
    boot: str | None = Field(description="The bridge's current boot id.")
    versions: dict[str, str] = Field(description='Software versions, e.g. {"bridge": "0.1.0"}.')
    acl_version_published: int = Field(description="The newest allow-list version published.")
    acl_version_applied: int | None = Field(description="The allow-list version it applied.")
    outbox_count: int = Field(description="Events waiting on the device for the server's ack.")
    dead_letter_count: int = Field(description="Events the server refused.")
    credential_rotated_at: Local | None
    deactivated_at: Local | None
    created_at: Local

    _resource_slug = field_validator("resource", mode="before")(_slug_of)


class DevicePage(PageOf[DeviceOut]):
    pass


class DeviceListQuery(ListQuery):
    include_inactive: bool = Field(default=False, description="Deleted devices too.")


class DeviceCreate(Body):
    id: DeviceIdText
    kind: Literal["door", "machine"]
    resource: Slug | None = Field(
        default=None, description="The slug of the resource it guards; a machine needs one."
    )
    label: str = Field(default="", max_length=120)


class RotateBody(Body):
    """No fields: send no body, or `{}`."""


class DeviceCredentials(BaseModel):
    """Shown once: the server keeps neither the password nor the config."""

    device: DeviceOut
    password: str = Field(description="The device's MQTT password (its username is its id).")
    bridge_config: str = Field(
        description="The complete bridge config (TOML) for `incubator-bridge --config`, "
        "with the password and the device's badge key inline."
    )


# -- commands ------------------------------------------------------------------------


class CommandCreate(Body):
    command: Literal["unlock", "power_off", "lockout", "resync"]
    seconds: int | None = Field(
        default=None, ge=1, le=60, description="unlock: how long (default 5 s). Doors only."
    )
    force: bool | None = Field(
        default=None,
        description="power_off: also while the machine is working (default false). Machines only.",
    )
    on: bool | None = Field(default=None, description="lockout: true to lock out, false to lift.")

    def args(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set - {"command"}}


class CommandAccepted(BaseModel):
    id: str = Field(description="The command id; read its state at .../commands/{id}.")
    state: CommandState


class CommandOut(Out):
    id: str
    device: str = Field(
        validation_alias=AliasChoices("device_id", "device"), description="The device id."
    )
    command: str
    args: dict[str, Any]
    state: CommandState = Field(description="queued, sent, acked, refused or expired.")
    reason: str | None = Field(description="Why the device refused it, or why it expired.")
    created_at: Local
    expires_at: Local
    sent_at: Local | None
    answered_at: Local | None


# -- what the devices reported -----------------------------------------------------------


class ActivityQuery(ListQuery):
    device: str | None = Field(default=None, max_length=32, description="A device id.")
    resource: Slug | None = Field(default=None, description="A resource's slug.")
    tenant: Id | None = Field(default=None, description="A tenant's id.")
    member: Id | None = Field(default=None, description="A member's id.")
    start: TimeText | None = Field(default=None, description="From this moment on.")
    end: TimeText | None = Field(default=None, description="Before this moment.")
    before: Id | None = Field(
        default=None,
        description="A cursor: only what the list holds after this id (older ones). Pass "
        "the last id of a page to get the next one; unlike `page`, it neither repeats nor "
        "skips a record while new ones arrive. 422 for an id not in the list.",
    )


class AccessEventQuery(ActivityQuery):
    type: str | None = Field(
        default=None,
        max_length=20,
        pattern=r"^[a-z_]+(\.[a-z_]+)*$",
        description="Only events of this type: access.decision, door.opened, door.closed, "
        "door.forced, session.start, ...",
    )


class AccessEventOut(Out):
    id: int
    event_id: str = Field(description="The id the device gave the event (unique per device).")
    device: str = Field(
        validation_alias=AliasChoices("device_id", "device"), description="The device id."
    )
    type: str = Field(description="access.decision, door.opened, session.start, ...")
    badge_uid: str | None
    member_id: int | None
    tenant_id: int | None
    resource_id: int | None
    granted: bool | None
    reason: str | None = Field(description="The reason code of a decision.")
    mode: str | None = Field(description="online or offline: who decided.")
    device_time: Local
    clock_synced: bool = Field(description="False: the device's clock was not synchronised.")
    received_at: Local


class AccessEventPage(PageOf[AccessEventOut]):
    pass


class DailyQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    tenant: Id | None = Field(
        default=None, description="Managers: one tenant (default: all). Tenant admins: ignored."
    )
    start: TimeText | None = Field(default=None, description="Default: 30 days before `end`.")
    end: TimeText | None = Field(default=None, description="Default: now. At most 400 days.")


class DailyEntryOut(BaseModel):
    date: dt.date = Field(description="The facility-local day.")
    entries: int = Field(description="Granted door entries that day.")
    people: int = Field(description="Different people among them.")


class DailyEntries(BaseModel):
    tenant: int | None
    items: list[DailyEntryOut]


class UsageSessionOut(Out):
    id: int
    session_id: str
    device: str = Field(
        validation_alias=AliasChoices("device_id", "device"), description="The device id."
    )
    resource: str | None = Field(description="The resource's slug.")
    member_id: int | None
    tenant_id: int | None
    started_at: Local
    ended_at: Local | None = Field(description="Null while it runs.")
    duration_s: int = Field(description="Seconds from start to end (or to now while it runs).")
    busy_s: int
    idle_s: int
    stop_reason: str | None
    provisional_end: bool = Field(description="True while the end was set by the server.")

    _resource_slug = field_validator("resource", mode="before")(_slug_of)


class UsageSessionPage(PageOf[UsageSessionOut]):
    pass
