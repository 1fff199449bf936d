"""A real Mosquitto started from `incubator mqtt write-config`, with device accounts made
by our dynamic-security client: who may log in, and what each device may touch.

An ACL refusal is asserted by a subscriber that never receives the message (a
publisher is told "success" either way), with a later permitted message on the
same path as the sentinel.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from app.broker.accounts import AccountRowError, apply_account_row
from app.broker.connection import connect, disconnect
from app.broker.dynsec import (
    DEVICE_TEXTNAME,
    DynsecClient,
    DynsecError,
    clear_retained,
    device_role_acls,
    device_role_name,
)
from app.broker.mosquitto_config import MAX_PACKET_BYTES, SERVER_ROLE
from app.models import DeviceOutbox, OutboxKind
from app.models.device import AccountChange
from app.services.device_secrets import seal_secret
from bridge_protocol import topics
from tests.support.dynsec_broker import DynsecBroker
from tests.support.mosquitto import HOST
from tests.support.mqtt_client import ConnectRefused, MqttClient

pytestmark = pytest.mark.mqtt

SEALING_KEY = "test-secret-key"
_ids = itertools.count(1)
REFUSED = 0x80  # SUBACK reason codes from 0x80 up are refusals


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DynsecBroker]:
    with DynsecBroker(tmp_path_factory.mktemp("dynsec")) as running:
        yield running


@pytest.fixture(scope="module")
def dynsec(broker: DynsecBroker) -> Iterator[DynsecClient]:
    """The control client on the gateway's own connection (as the gateway will use it)."""
    client = connect(broker.gateway_url, timeout=10)
    control = DynsecClient(client, timeout=5)
    yield control
    control.close()
    disconnect(client)


@pytest.fixture(scope="module")
def monitor_password(dynsec: DynsecClient) -> str:
    """A second server account, made through the control API (the gateway's is in use)."""
    password = "monitor-password-for-tests"
    dynsec.execute(
        [
            {
                "command": "createClient",
                "username": "monitor",
                "password": password,
                "roles": [{"rolename": SERVER_ROLE}],
            }
        ]
    )
    return password


@pytest.fixture
def device_id() -> Callable[[str], str]:
    return lambda kind="door": f"{kind}-d{next(_ids)}"


@pytest.fixture
def mqtt(broker: DynsecBroker) -> Iterator[Callable[..., MqttClient]]:
    clients: list[MqttClient] = []

    def make(username: str | None, password: str | None, **options: Any) -> MqttClient:
        client = MqttClient(HOST, broker.port, username, password, **options)
        clients.append(client)
        return client.connect(timeout=5)

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def monitor(mqtt, monitor_password) -> MqttClient:
    return mqtt("monitor", monitor_password)


@pytest.fixture
def new_device(dynsec: DynsecClient, device_id) -> Callable[..., tuple[str, str]]:
    def make(kind: str = "door") -> tuple[str, str]:
        dev = device_id(kind)
        password = f"pw-{dev}-{time.monotonic_ns()}"
        dynsec.create_or_update_device(dev, password)
        return dev, password

    return make


def wait_disconnected(client: MqttClient, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not client.is_connected:
            return True
        time.sleep(0.02)
    return False


def refused(codes: list[Any]) -> bool:
    return all(int(getattr(code, "value", code)) >= REFUSED for code in codes)


# -- what write-config wrote ---------------------------------------------------------


def test_write_config_keeps_live_accounts_unless_forced(broker: DynsecBroker) -> None:
    before = broker.dynsec_file.read_text()
    result = broker.write_config()
    assert result.returncode == 0, result.stderr
    assert "kept" in result.stdout
    assert broker.dynsec_file.read_text() == before


def test_the_config_has_what_the_contract_asks(broker: DynsecBroker) -> None:
    conf = broker.conf.read_text()
    for line in (
        "allow_anonymous false",
        "set_tcp_nodelay true",
        "persistence true",
        "max_queued_messages 10000",
        "max_packet_size 4194304",
        "use_username_as_clientid true",
        f"listener {broker.port} 127.0.0.1",
    ):
        assert line in conf.splitlines()
    assert "# listener 8883" in conf  # the TLS listener, documented
    state = json.loads(broker.dynsec_file.read_text())
    (gateway,) = state["clients"]
    assert broker.gateway_password not in broker.dynsec_file.read_text()
    assert gateway["username"] == "gateway"
    assert state["defaultACLAccess"]["subscribe"] is False
    assert state["defaultACLAccess"]["publishClientSend"] is False


def test_write_config_needs_the_gateway_account_in_the_url(tmp_path):
    other = DynsecBroker(tmp_path)
    result = other.write_config(env={"INCUBATOR_MQTT_URL": f"mqtt://{HOST}:{other.port}"})
    assert result.returncode != 0
    assert "INCUBATOR_MQTT_URL" in result.stderr
    assert not other.dynsec_file.exists()


# -- logging in ----------------------------------------------------------------------


def test_anonymous_clients_are_refused(mqtt):
    with pytest.raises(ConnectRefused):
        mqtt(None, None)


def test_the_gateway_account_logs_in_with_the_server_role(dynsec):
    # (a second connection as "gateway" would evict the first: one client id per username)
    assert dynsec.mqtt.is_connected()
    gateway = {c.username: c for c in dynsec.list_clients()}["gateway"]
    assert gateway.roles == (SERVER_ROLE,)


def test_the_server_role_may_use_every_topic_of_the_contract(monitor):
    assert not refused(monitor.subscribe(f"{topics.PREFIX}#"))
    monitor.publish(topics.SERVER_STATUS, b'{"v":1,"state":"online"}', retain=True)
    monitor.wait_for(topic=topics.SERVER_STATUS)


def test_a_wrong_password_or_unknown_user_is_refused(mqtt, new_device):
    dev, _password = new_device()
    with pytest.raises(ConnectRefused):
        mqtt(dev, "not-the-password")
    with pytest.raises(ConnectRefused):
        mqtt("nobody-here", "whatever")


def test_a_registered_device_logs_in(mqtt, new_device):
    dev, password = new_device()
    assert mqtt(dev, password).is_connected


# -- confinement ----------------------------------------------------------------------


def test_a_device_cannot_publish_on_another_devices_topics(mqtt, new_device, monitor):
    dev_a, pw_a = new_device()
    dev_b, _pw_b = new_device()
    monitor.subscribe(f"{topics.PREFIX}d/+/up/#")
    intruder = mqtt(dev_a, pw_a)
    intruder.publish(topics.events(dev_b), b"forged")
    intruder.publish(topics.status(dev_b), b"forged", retain=True)
    intruder.publish(topics.acl(dev_a), b"forged")  # its own down/: the server's, not its own
    intruder.publish(topics.events(dev_a), b"sentinel")
    monitor.assert_never(lambda m: m.payload == b"forged", after=lambda m: m.payload == b"sentinel")


def test_the_broker_drops_a_device_publishing_more_than_the_largest_message(
    mqtt, new_device, monitor
):
    dev, password = new_device()
    monitor.subscribe(f"{topics.PREFIX}d/+/up/#")
    # MQTT 3.1.1: the client learns no size limit from the broker, so it really sends it.
    flooder = mqtt(dev, password, protocol="3.1.1")
    flooder.publish(topics.events(dev), b"x" * (MAX_PACKET_BYTES + 1), qos=0)
    assert wait_disconnected(flooder, timeout=10)
    sentinel = mqtt(dev, password)
    sentinel.publish(topics.events(dev), b"sentinel")
    monitor.assert_never(
        lambda m: len(m.payload) > MAX_PACKET_BYTES, after=lambda m: m.payload == b"sentinel"
    )


def test_a_device_cannot_read_another_devices_topics(mqtt, new_device, monitor):
    dev_a, pw_a = new_device()
    dev_b, _pw_b = new_device()
    spy = mqtt(dev_a, pw_a)
    assert refused(spy.subscribe(topics.device_down_filter(dev_b)))
    assert refused(spy.subscribe(topics.all_down_filter()))
    assert refused(spy.subscribe(f"{topics.PREFIX}#"))
    assert refused(spy.subscribe(topics.sim_scan(dev_a)))
    assert not refused(spy.subscribe(topics.device_down_filter(dev_a)))
    monitor.publish(topics.acl(dev_b), b"secret")
    monitor.publish(topics.acl(dev_a), b"sentinel")
    spy.assert_never(lambda m: m.payload == b"secret", after=lambda m: m.payload == b"sentinel")


def test_a_device_reads_its_own_down_topics_and_the_server_status(mqtt, new_device, monitor):
    dev, password = new_device()
    monitor.publish(topics.SERVER_STATUS, b'{"v":1,"state":"online"}', retain=True)
    device = mqtt(dev, password)
    assert not refused(device.subscribe(topics.SERVER_STATUS))
    device.wait_for(topic=topics.SERVER_STATUS)
    device.subscribe(topics.device_down_filter(dev))
    monitor.publish(topics.command(dev), b"cmd")
    device.wait_for(topic=topics.command(dev))


def test_a_device_publishes_under_its_own_up_topics(mqtt, new_device, monitor):
    dev, password = new_device()
    monitor.subscribe(topics.device_up_filter())
    mqtt(dev, password).publish(topics.events(dev), b"event")
    monitor.wait_for(topic=topics.events(dev))


def test_a_device_cannot_use_the_control_api(mqtt, new_device, monitor):
    dev, password = new_device()
    device = mqtt(dev, password)
    assert refused(device.subscribe("$CONTROL/dynamic-security/#"))
    forged = {"commands": [{"command": "createClient", "username": "evil", "password": "x"}]}
    device.publish("$CONTROL/dynamic-security/v1", json.dumps(forged))
    with pytest.raises(ConnectRefused):
        mqtt("evil", "x")


def test_only_the_demo_gives_devices_the_scan_topic(mqtt, dynsec, device_id):
    dev = device_id()
    dynsec.demo_scans = True
    try:
        dynsec.create_or_update_device(dev, "demo-device-password")
    finally:
        dynsec.demo_scans = False
    simulated = mqtt(dev, "demo-device-password")
    assert not refused(simulated.subscribe(topics.sim_scan(dev)))
    assert refused(simulated.subscribe(topics.sim_scan("door-other")))
    assert topics.sim_scan("door-x") not in str(device_role_acls("door-x"))


# -- changing accounts ---------------------------------------------------------------------


def test_deleting_a_device_disconnects_it_at_once(mqtt, new_device, dynsec):
    dev, password = new_device()
    device = mqtt(dev, password)
    dynsec.delete_device(dev)
    assert wait_disconnected(device)
    with pytest.raises(ConnectRefused):
        mqtt(dev, password)
    assert device_role_name(dev) not in dynsec.list_roles()


def test_a_new_password_replaces_the_old_one_and_disconnects(mqtt, new_device, dynsec):
    dev, old = new_device()
    device = mqtt(dev, old)
    dynsec.create_or_update_device(dev, "the-new-password-123")
    assert wait_disconnected(device)
    with pytest.raises(ConnectRefused):
        mqtt(dev, old)
    assert mqtt(dev, "the-new-password-123").is_connected


def test_disabling_a_device_disconnects_and_refuses_it(mqtt, new_device, dynsec):
    dev, password = new_device()
    device = mqtt(dev, password)
    dynsec.disable_device(dev)
    assert wait_disconnected(device)
    with pytest.raises(ConnectRefused):
        mqtt(dev, password)
    dynsec.create_or_update_device(dev, password)  # enabled again
    assert mqtt(dev, password).is_connected


def test_server_accounts_are_never_treated_as_devices(dynsec, monitor_password):
    with pytest.raises(DynsecError):
        dynsec.create_or_update_device("monitor", "hijack-attempt")
    with pytest.raises(DynsecError):
        dynsec.delete_device("gateway")
    with pytest.raises(DynsecError):
        dynsec.disable_device("monitor")
    accounts = {c.username: c for c in dynsec.list_clients()}
    assert not accounts["gateway"].is_device
    assert not accounts["monitor"].is_device


def test_listing_shows_device_accounts_with_their_role(dynsec, new_device):
    dev, _password = new_device()
    listed = {c.username: c for c in dynsec.list_clients()}
    assert listed[dev].is_device
    assert listed[dev].textname == DEVICE_TEXTNAME
    assert listed[dev].roles == (device_role_name(dev),)


def test_sync_deletes_accounts_of_inactive_devices_only(mqtt, dynsec, new_device, monitor):
    keep, keep_pw = new_device()
    gone, gone_pw = new_device()
    connected = mqtt(gone, gone_pw)
    active = {c.username for c in dynsec.list_clients() if c.is_device} - {gone} | {"door-lost"}
    report = dynsec.sync_accounts(active)
    assert gone in report.deleted
    assert keep in report.kept
    assert report.missing == ("door-lost",)
    assert wait_disconnected(connected)
    assert mqtt(keep, keep_pw).is_connected
    remaining = {c.username for c in dynsec.list_clients()}
    assert {"gateway", "monitor", keep} <= remaining
    assert gone not in remaining


def test_sync_leaves_protected_names_alone(dynsec, new_device):
    dev, _pw = new_device()
    report = dynsec.sync_accounts([], protected={dev})
    assert dev not in report.deleted
    assert dev in {c.username for c in dynsec.list_clients()}
    dynsec.delete_device(dev)


def test_clearing_retained_topics_leaves_nothing_for_a_new_subscriber(
    mqtt, dynsec, new_device, monitor
):
    dev, _pw = new_device()
    monitor.publish(topics.acl(dev), b"allow-list", retain=True)
    monitor.publish(topics.status(dev), b'{"state":"ready"}', retain=True)
    clear_retained(dynsec.mqtt, dev)
    monitor.clear()
    monitor.subscribe(topics.acl(dev))
    monitor.subscribe(topics.status(dev))
    monitor.publish(topics.acl(dev), b"sentinel")
    monitor.assert_never(lambda m: m.retain, after=lambda m: m.payload == b"sentinel")


# -- outbox rows, as the gateway applies them -------------------------------------------------


def _row(dev: str, change: AccountChange, password: str | None = None) -> DeviceOutbox:
    secret = seal_secret(password, secret_key=SEALING_KEY) if password else None
    return DeviceOutbox(
        id=1, kind=OutboxKind.ACCOUNT, device_id=dev, reason=str(change), secret=secret
    )


def test_an_upsert_row_creates_the_account_and_forgets_the_password(mqtt, dynsec, device_id):
    dev = device_id("laser")
    row = _row(dev, AccountChange.UPSERT, "row-password-0123456789")
    apply_account_row(dynsec, row, secret_key=SEALING_KEY)
    assert row.secret is None
    assert mqtt(dev, "row-password-0123456789").is_connected


def test_a_delete_row_disconnects_and_clears(mqtt, dynsec, new_device, monitor):
    dev, password = new_device()
    will = (topics.status(dev), b'{"v":1,"state":"lost","boot":"0badf00d"}', True)
    device = mqtt(dev, password, will=will)  # the broker publishes it when it kicks the device
    device.publish(topics.status(dev), b'{"v":1,"state":"ready","boot":"0badf00d"}', retain=True)
    monitor.publish(topics.acl(dev), b"allow-list", retain=True)
    apply_account_row(dynsec, _row(dev, AccountChange.DELETE), secret_key=SEALING_KEY)
    assert wait_disconnected(device)
    with pytest.raises(ConnectRefused):
        mqtt(dev, password)
    monitor.clear()
    monitor.subscribe(topics.acl(dev))
    monitor.subscribe(topics.status(dev))
    monitor.publish(topics.acl(dev), b"sentinel")
    monitor.assert_never(lambda m: m.retain, after=lambda m: m.payload == b"sentinel")


def test_a_row_with_a_wrong_key_or_no_secret_is_refused_untouched(dynsec, device_id):
    row = _row(device_id(), AccountChange.UPSERT, "some-password-0123456")
    with pytest.raises(AccountRowError):
        apply_account_row(dynsec, row, secret_key="another-key")
    assert row.secret is not None
    with pytest.raises(AccountRowError):
        apply_account_row(dynsec, _row(device_id(), AccountChange.UPSERT), secret_key=SEALING_KEY)
    hostile = _row("Not/A#Device", AccountChange.DELETE)
    with pytest.raises(AccountRowError):
        apply_account_row(dynsec, hostile, secret_key=SEALING_KEY)


# -- the broker's own persistence ------------------------------------------------------------


def test_accounts_survive_a_broker_restart(broker, dynsec, new_device, mqtt):
    dev, password = new_device()
    broker.restart()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not dynsec.mqtt.is_connected():
        time.sleep(0.05)
    assert mqtt(dev, password).is_connected
    assert dev in {c.username for c in dynsec.list_clients()}
