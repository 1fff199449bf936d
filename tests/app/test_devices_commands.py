"""Remote commands: what may be sent where, what is queued, and how its state reads."""

import datetime as dt

import pytest
import sqlalchemy as sa

from app.models import (
    AuditLog,
    CommandState,
    Device,
    DeviceKind,
    DeviceOutbox,
    OutboxKind,
    ResourceKind,
    ResourceStatus,
)
from app.services import device_commands
from app.services.device_commands import COMMAND_TTL, command_state, queue_command
from app.services.errors import NotFound, PermissionDenied, RuleViolation, ValidationFailed

pytestmark = pytest.mark.db


@pytest.fixture
def manager(make_member):
    return make_member(role="manager")


@pytest.fixture
def door(db_session):
    device = Device(id="door-main", kind=DeviceKind.DOOR)
    db_session.add(device)
    db_session.commit()
    return device


@pytest.fixture
def laser(db_session, make_resource):
    resource = make_resource(slug="laser", kind=ResourceKind.MACHINE)
    device = Device(id="laser-1", kind=DeviceKind.MACHINE, resource=resource)
    db_session.add(device)
    db_session.commit()
    return device


@pytest.fixture
def send(manager, now):
    def call(device, command, args=None, actor=None, at=None):
        return queue_command(
            actor=actor or manager, device=device, command=command, args=args or {}, now=at or now
        )

    return call


def test_an_unlock_is_queued_with_an_expiry_and_an_outbox_row(send, door, db_session, now):
    command = send(door, "unlock", {"seconds": 5})
    assert command.state == CommandState.QUEUED
    assert command.args == {"seconds": 5}
    assert command.expires_at == now + COMMAND_TTL
    (row,) = db_session.scalars(
        sa.select(DeviceOutbox).where(DeviceOutbox.command_id == command.id)
    )
    assert row.kind == OutboxKind.COMMAND
    assert row.device_id == "door-main"
    assert row.done_at is None


def test_every_command_is_audited(send, door, db_session, manager):
    command = send(door, "resync")
    (entry,) = db_session.scalars(sa.select(AuditLog).where(AuditLog.action == "device.command"))
    assert entry.actor_id == manager.id
    assert entry.details == {"command": "resync", "args": {}, "command_id": command.id}


def test_unlock_defaults_to_five_seconds(send, door):
    assert send(door, "unlock").args == {"seconds": 5}


@pytest.mark.parametrize("seconds", [0, 61, -1, True, "5", 2.5, None])
def test_unlock_takes_1_to_60_whole_seconds(send, door, seconds):
    with pytest.raises(ValidationFailed) as refused:
        send(door, "unlock", {"seconds": seconds})
    assert "seconds" in refused.value.fields


def test_power_off_is_for_machines_and_unlock_for_doors(send, door, laser):
    with pytest.raises(RuleViolation):
        send(door, "power_off")
    with pytest.raises(RuleViolation):
        send(laser, "unlock")
    assert send(laser, "power_off").args == {"force": False}
    assert send(laser, "power_off", {"force": True}).args == {"force": True}


@pytest.mark.parametrize(
    ("command", "args", "field"),
    [
        ("reboot", {}, "command"),
        ("", {}, "command"),
        ("unlock", {"seconds": 5, "extra": 1}, "extra"),
        ("resync", {"on": True}, "on"),
        ("lockout", {}, "on"),
        ("lockout", {"on": "yes"}, "on"),
    ],
)
def test_unknown_commands_and_arguments_are_refused(send, door, command, args, field):
    with pytest.raises(ValidationFailed) as refused:
        send(door, command, args)
    assert field in refused.value.fields


def test_a_lockout_also_locks_the_resource_and_republishes(send, laser, db_session):
    send(laser, "lockout", {"on": True})
    assert laser.resource.status == ResourceStatus.LOCKED_OUT
    pending = db_session.scalars(
        sa.select(DeviceOutbox).where(
            DeviceOutbox.kind == OutboxKind.ACL,
            DeviceOutbox.device_id == "laser-1",
            DeviceOutbox.done_at.is_(None),
        )
    ).all()
    assert pending
    send(laser, "lockout", {"on": False})
    assert laser.resource.status == ResourceStatus.AVAILABLE


def test_lifting_a_lockout_leaves_maintenance_alone(send, laser):
    laser.resource.status = ResourceStatus.MAINTENANCE
    send(laser, "lockout", {"on": False})
    assert laser.resource.status == ResourceStatus.MAINTENANCE


def test_an_entrance_lockout_is_a_command_only(send, door):
    assert send(door, "lockout", {"on": True}).args == {"on": True}


def test_deleted_devices_get_no_commands(send, door, now, manager):
    from app.services.devices import delete_device

    delete_device(door, actor=manager, now=now)
    with pytest.raises(RuleViolation):
        send(door, "unlock")


@pytest.mark.parametrize("role", ["tenant_admin", "member"])
def test_only_managers_send_commands(send, door, make_member, role):
    with pytest.raises(PermissionDenied):
        send(door, "unlock", actor=make_member(role=role))


# -- states -------------------------------------------------------------------------------


def test_a_queued_command_reads_as_expired_after_its_time(send, door, now):
    command = send(door, "unlock")
    assert command_state(command, now=now + COMMAND_TTL - dt.timedelta(seconds=1)) == "queued"
    assert command_state(command, now=now + COMMAND_TTL) == CommandState.EXPIRED
    assert command.state == CommandState.QUEUED  # reading writes nothing


def test_a_sent_command_may_still_be_acknowledged_shortly_after_its_time(send, door, now):
    command = send(door, "unlock")
    command.state = CommandState.SENT
    assert command_state(command, now=now + COMMAND_TTL + dt.timedelta(seconds=5)) == "sent"
    assert command_state(command, now=now + COMMAND_TTL + dt.timedelta(minutes=1)) == "expired"


@pytest.mark.parametrize("final", [CommandState.ACKED, CommandState.REFUSED])
def test_answered_commands_keep_their_state(send, door, now, final):
    command = send(door, "unlock")
    command.state = final
    assert command_state(command, now=now + dt.timedelta(days=1)) == final


def test_a_command_is_found_only_under_its_own_device(send, door, laser, manager):
    command = send(door, "resync")
    assert device_commands.get_command(manager, door, command.id) is command
    assert device_commands.get_command(manager, door, command.id.upper()) is command
    with pytest.raises(NotFound):
        device_commands.get_command(manager, laser, command.id)
    with pytest.raises(NotFound):
        device_commands.get_command(manager, door, "x" * 500)


def test_recent_commands_are_newest_first(send, door, now):
    first = send(door, "resync", at=now)
    second = send(door, "resync", at=now + dt.timedelta(seconds=1))
    assert device_commands.recent_commands(door) == [second, first]
