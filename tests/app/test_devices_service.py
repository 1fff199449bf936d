"""Registering, re-keying, changing and deleting devices; the bridge config they get."""

import datetime as dt

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.models import (
    AccessEvent,
    AuditLog,
    Base,
    CommandState,
    Device,
    DeviceKind,
    DeviceOutbox,
    OutboxKind,
    ResourceKind,
)
from app.models.device import AccountChange
from app.services import devices
from app.services.bridge_configs import bridge_config_for
from app.services.device_secrets import SecretUnreadable, open_secret
from app.services.errors import Conflict, PermissionDenied, RuleViolation, ValidationFailed
from bridge_protocol.badge_keys import derive_device_key
from bridge_protocol.config import parse_config
from bridge_protocol.keys import key_id

pytestmark = pytest.mark.db
KEY = "sealing-key-for-tests"
SITE_KEY = bytes(range(32))
SIGNING = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


@pytest.fixture
def manager(make_member):
    return make_member(role="manager")


@pytest.fixture
def register(manager, now):
    def call(id="door-main", kind="door", resource_slug=None, label="", actor=None, **kw):
        return devices.register_device(
            actor=actor or manager,
            id=id,
            kind=kind,
            resource_slug=resource_slug,
            label=label,
            now=now,
            sealing_key=KEY,
            **kw,
        )

    return call


def outbox(db_session, device_id, kind=None):
    query = sa.select(DeviceOutbox).where(DeviceOutbox.device_id == device_id)
    if kind is not None:
        query = query.where(DeviceOutbox.kind == kind)
    return list(db_session.scalars(query.order_by(DeviceOutbox.id)))


def every_stored_value(db_session):
    """All rows of all tables, as text: what a database dump would hold."""
    texts = []
    for table in Base.metadata.sorted_tables:
        for row in db_session.execute(sa.select(table)):
            texts.append(repr(tuple(row)))
    return "\n".join(texts)


# -- registering -----------------------------------------------------------------------


def test_a_manager_registers_a_door_and_gets_a_strong_password(register, db_session, now):
    made = register(id="door-main", label="Front door")
    assert made.device.id == "door-main"
    assert made.device.kind == DeviceKind.DOOR
    assert made.device.resource is None
    assert made.device.is_entrance
    assert made.device.active
    assert made.device.credential_rotated_at == now
    assert len(made.password) >= 22  # 128 bits of URL-safe base64
    assert made.password != register(id="door-back").password


def test_registering_asks_the_gateway_for_an_account_and_an_allow_list(register, db_session):
    made = register(id="door-main")
    account, acl = outbox(db_session, "door-main")
    assert (account.kind, account.reason) == (OutboxKind.ACCOUNT, AccountChange.UPSERT)
    assert (acl.kind, acl.done_at) == (OutboxKind.ACL, None)
    assert open_secret(account.secret, secret_key=KEY) == made.password


def test_the_password_is_stored_nowhere_in_plain_text(register, db_session):
    made = register(id="door-main", label="Front door")
    db_session.flush()
    assert made.password not in every_stored_value(db_session)
    (entry,) = db_session.scalars(sa.select(AuditLog).where(AuditLog.object_id == "door-main"))
    assert entry.action == "device.register"
    assert made.password not in repr(entry.details)


def test_a_sealed_password_opens_only_with_the_same_key(register, db_session):
    register(id="door-main")
    (account,) = outbox(db_session, "door-main", OutboxKind.ACCOUNT)
    with pytest.raises(SecretUnreadable):
        open_secret(account.secret, secret_key="another-secret-key")


def test_a_machine_is_registered_with_its_resource(register, make_resource):
    laser = make_resource(slug="laser", kind=ResourceKind.MACHINE)
    made = register(id="laser-1", kind="machine", resource_slug="laser")
    assert made.device.resource == laser


@pytest.mark.parametrize(
    "bad_id",
    [
        "",
        "a",
        "-door",
        "Door-main",
        "door_main",
        "door main",
        "door/main",
        "door+",
        "door#",
        "d" * 33,
        "../../etc/passwd",
        "dóor",
        "door\n",
        "door-main\x00",
        "'; DROP TABLE device; --",
        "$SYS",
        "%u",
        None,
        42,
    ],
)
def test_ids_outside_the_pattern_are_refused(register, db_session, bad_id):
    with pytest.raises(ValidationFailed) as refused:
        register(id=bad_id)
    assert set(refused.value.fields) == {"id"}
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Device)) == 0


@pytest.mark.parametrize("reserved", ["gateway", "admin", "monitor"])
def test_server_account_names_are_refused(register, reserved):
    with pytest.raises(ValidationFailed) as refused:
        register(id=reserved)
    assert "server account" in refused.value.fields["id"]


def test_the_configured_gateway_name_is_refused(register):
    with pytest.raises(ValidationFailed):
        register(id="gw-prod", reserved_ids=("gw-prod",))


@pytest.mark.parametrize("kind", ["gate", "", "DOOR", None, 1])
def test_unknown_kinds_are_refused(register, kind):
    with pytest.raises(ValidationFailed) as refused:
        register(kind=kind)
    assert "kind" in refused.value.fields


def test_a_machine_needs_a_resource(register):
    with pytest.raises(ValidationFailed) as refused:
        register(id="laser-1", kind="machine")
    assert set(refused.value.fields) == {"resource"}


@pytest.mark.parametrize("slug", ["nope", "Laser", "<script>", "a" * 70])
def test_unknown_resources_are_refused(register, slug):
    with pytest.raises(ValidationFailed) as refused:
        register(resource_slug=slug)
    assert refused.value.fields == {"resource": "Unknown resource."}


def test_a_deactivated_resource_is_refused(register, make_resource):
    make_resource(slug="old-room", active=False)
    with pytest.raises(ValidationFailed):
        register(resource_slug="old-room")


def test_a_door_cannot_guard_a_machine(register, make_resource):
    make_resource(slug="laser", kind=ResourceKind.MACHINE)
    with pytest.raises(ValidationFailed) as refused:
        register(resource_slug="laser")
    assert "resource" in refused.value.fields


def test_a_label_with_control_characters_is_refused(register):
    with pytest.raises(ValidationFailed) as refused:
        register(label="front\x1b[31mdoor")
    assert "label" in refused.value.fields


def test_an_id_is_never_reused_even_after_deletion(register, manager, now):
    made = register(id="door-main")
    devices.delete_device(made.device, actor=manager, now=now)
    with pytest.raises(Conflict):
        register(id="door-main")


@pytest.mark.parametrize("role", ["tenant_admin", "member"])
def test_only_managers_register(register, make_member, role):
    with pytest.raises(PermissionDenied):
        register(actor=make_member(role=role))


# -- the bridge config -------------------------------------------------------------------


def config_for(device, password, **kw):
    values = {
        "mqtt_public_url": "mqtts://broker.example.org:8883",
        "signing_public_keys": [SIGNING.public_key()],
        "site_badge_key": SITE_KEY,
        "now": dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
    }
    values.update(kw)
    return bridge_config_for(device, password=password, **values)


def test_the_bridge_config_loads_in_the_bridge_and_names_the_device(register, make_resource):
    make_resource(slug="laser", kind=ResourceKind.MACHINE)
    made = register(id="laser-1", kind="machine", resource_slug="laser")
    text = config_for(made.device, made.password, ca_file="/etc/incubator-bridge/ca.pem")
    config = parse_config(text, environ={})
    assert (config.device.id, config.device.kind, config.device.resource) == (
        "laser-1",
        "machine",
        "laser",
    )
    assert config.mqtt.url == "mqtts://broker.example.org:8883"
    assert config.mqtt.username == "laser-1"
    assert config.mqtt.resolved_password({}) == made.password
    assert str(config.mqtt.ca_file) == "/etc/incubator-bridge/ca.pem"
    assert config.keys.resolved_badge_key({}) == derive_device_key(SITE_KEY, "laser-1")
    (server_key,) = config.keys.server_public_keys
    assert server_key.kid == key_id(SIGNING.public_key())
    assert config.gpio.machine_relay is not None


def test_a_doors_config_drives_a_strike(register):
    made = register(id="door-main")
    config = parse_config(config_for(made.device, made.password), environ={})
    assert config.device.kind == "door"
    assert config.gpio.door_strike is not None
    assert config.device.resource is None


def test_the_broker_address_never_carries_credentials(register):
    made = register(id="door-main")
    text = config_for(made.device, made.password, mqtt_public_url="mqtt://gateway:s3cret@10.0.0.5")
    assert "s3cret" not in text
    assert "gateway" not in text
    assert parse_config(text, environ={}).mqtt.url == "mqtt://10.0.0.5"


def test_a_ca_file_is_named_only_for_tls(register):
    made = register(id="door-main")
    text = config_for(
        made.device, made.password, mqtt_public_url="mqtt://10.0.0.5:1883", ca_file="/ca.pem"
    )
    assert parse_config(text, environ={}).mqtt.ca_file is None


def test_two_server_keys_are_carried_for_a_rotation(register):
    made = register(id="door-main")
    second = Ed25519PrivateKey.generate().public_key()
    text = config_for(
        made.device, made.password, signing_public_keys=[SIGNING.public_key(), second]
    )
    assert len(parse_config(text, environ={}).keys.server_public_keys) == 2


# -- rotating, changing, deleting -----------------------------------------------------------


def test_rotating_makes_a_new_password_for_the_gateway(register, manager, db_session, now):
    made = register(id="door-main")
    later = now + dt.timedelta(days=1)
    rotated = devices.rotate_credentials(made.device, actor=manager, now=later, sealing_key=KEY)
    assert rotated.password != made.password
    assert made.device.credential_rotated_at == later
    newest = outbox(db_session, "door-main", OutboxKind.ACCOUNT)[-1]
    assert newest.reason == AccountChange.UPSERT
    assert open_secret(newest.secret, secret_key=KEY) == rotated.password
    db_session.flush()
    stored = every_stored_value(db_session)
    assert rotated.password not in stored
    assert made.password not in stored
    assert db_session.scalar(
        sa.select(AuditLog.id).where(AuditLog.action == "device.rotate_credentials")
    )


def test_a_deleted_device_is_not_rekeyed(register, manager, now):
    made = register(id="door-main")
    devices.delete_device(made.device, actor=manager, now=now)
    with pytest.raises(RuleViolation):
        devices.rotate_credentials(made.device, actor=manager, now=now, sealing_key=KEY)


def test_deleting_deactivates_keeps_history_and_asks_to_remove_the_account(
    register, manager, db_session, now
):
    made = register(id="door-main")
    db_session.add(
        AccessEvent(
            event_id="0b7f5e52-33f4-4c57-9a4e-0c7b6f1c0001",
            device_id="door-main",
            type="access.decision",
            boot="0badf00d",
            seq=1,
            device_time=now,
        )
    )
    devices.delete_device(made.device, actor=manager, now=now)
    devices.delete_device(made.device, actor=manager, now=now)  # twice: nothing more
    assert not made.device.active
    assert made.device.deactivated_at == now
    deletes = [
        r
        for r in outbox(db_session, "door-main", OutboxKind.ACCOUNT)
        if r.reason == AccountChange.DELETE
    ]
    assert len(deletes) == 1
    assert deletes[0].secret is None
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AccessEvent)) == 1
    assert db_session.get(Device, "door-main") is not None


def test_deleting_expires_commands_still_waiting(register, manager, db_session, now):
    from app.services.device_commands import queue_command

    made = register(id="door-main")
    command = queue_command(
        actor=manager, device=made.device, command="unlock", args={"seconds": 5}, now=now
    )
    devices.delete_device(made.device, actor=manager, now=now)
    assert command.state == CommandState.EXPIRED
    assert command.reason == "device_deleted"


def sent_everything(db_session, now):
    """As if the gateway had handled every pending row."""
    for row in db_session.scalars(sa.select(DeviceOutbox).where(DeviceOutbox.done_at.is_(None))):
        row.done_at = now
        row.secret = None
    db_session.flush()


def pending_acl(db_session, device_id):
    return [r for r in outbox(db_session, device_id, OutboxKind.ACL) if r.done_at is None]


def test_changing_the_resource_or_schedule_republishes_the_allow_list(
    register, manager, make_resource, db_session, now
):
    made = register(id="room-door")
    make_resource(slug="meeting-room")
    sent_everything(db_session, now)
    devices.update_device(made.device, actor=manager, resource_slug="meeting-room")
    assert made.device.resource.slug == "meeting-room"
    assert len(pending_acl(db_session, "room-door")) == 1
    sent_everything(db_session, now)
    devices.update_device(made.device, actor=manager, unlock_schedule={"mon": [["09:00", "12:00"]]})
    assert made.device.unlock_schedule == {"mon": [["09:00", "12:00"]]}
    assert len(pending_acl(db_session, "room-door")) == 1


def test_a_new_label_alone_republishes_nothing(register, manager, db_session, now):
    made = register(id="door-main")
    sent_everything(db_session, now)
    devices.update_device(made.device, actor=manager, label="Main entrance")
    assert made.device.label == "Main entrance"
    assert pending_acl(db_session, "door-main") == []


@pytest.mark.parametrize(
    "schedule",
    [{"mon": [["12:00", "09:00"]]}, {"someday": []}, "always", {"mon": [["9", "10"]]}],
)
def test_a_malformed_unlock_schedule_is_refused(register, manager, schedule):
    made = register(id="door-main")
    with pytest.raises(ValidationFailed) as refused:
        devices.update_device(made.device, actor=manager, unlock_schedule=schedule)
    assert "unlock_schedule" in refused.value.fields


def test_only_doors_have_an_unlock_schedule(register, manager, make_resource):
    make_resource(slug="laser", kind=ResourceKind.MACHINE)
    made = register(id="laser-1", kind="machine", resource_slug="laser")
    with pytest.raises(ValidationFailed):
        devices.update_device(made.device, actor=manager, unlock_schedule={"mon": []})


def test_listing_hides_deleted_devices_unless_asked(register, manager, now):
    register(id="door-a")
    gone = register(id="door-b").device
    devices.delete_device(gone, actor=manager, now=now)
    assert [d.id for d in devices.list_devices(manager).items] == ["door-a"]
    listed = devices.list_devices(manager, include_inactive=True).items
    assert [d.id for d in listed] == ["door-a", "door-b"]


def test_a_device_id_that_cannot_exist_is_not_looked_up(manager):
    from app.services.errors import NotFound

    for probe in ("../x", "DOOR", "x" * 100):
        with pytest.raises(NotFound):
            devices.get_device(manager, probe)
