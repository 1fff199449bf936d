"""Device accounts through the broker's dynamic-security plugin, applied by the gateway."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.models import DeviceOutbox, Member, OutboxKind, Role
from bridge_protocol import topics
from tests.support.dynsec_broker import DynsecBroker
from tests.support.gateway_rig import GatewaySystem, utcnow, wait_until
from tests.support.mosquitto import HOST
from tests.support.mqtt_client import MqttClient, try_login

pytestmark = [pytest.mark.mqtt, pytest.mark.db]


def account_rows_done(system: GatewaySystem) -> bool:
    with system.db() as session:
        waiting = session.scalar(
            sa.select(sa.func.count()).where(
                DeviceOutbox.kind == OutboxKind.ACCOUNT, DeviceOutbox.done_at.is_(None)
            )
        )
        secrets = session.scalar(sa.select(sa.func.count()).where(DeviceOutbox.secret.is_not(None)))
    return waiting == 0 and secrets == 0


def test_registered_devices_log_in_and_deleted_ones_are_shut_out(tmp_path):
    from app.services.devices import delete_device, get_device, register_device

    broker = DynsecBroker(tmp_path / "broker").start()
    system = GatewaySystem(
        broker, tmp_path / "gateway", mqtt_url=broker.gateway_url, GATEWAY_DYNSEC=True
    )
    client = None
    try:
        system.start_gateway()
        with system.db() as session:
            manager = Member(email="staff@example.org", name="Staff", role=Role.MANAGER)
            session.add(manager)
            session.flush()
            credentials = register_device(
                actor=manager,
                id="door-dyn",
                kind="door",
                resource_slug=None,
                now=utcnow(),
                sealing_key=system.app.config["SECRET_KEY"],
            )
            password = credentials.password

        wait_until(lambda: try_login(HOST, broker.port, "door-dyn", password), what="a login")
        wait_until(lambda: account_rows_done(system), what="the row applied and its secret wiped")
        client = MqttClient(HOST, broker.port, "door-dyn", password).connect()
        client.subscribe(topics.device_down_filter("door-dyn"))
        assert client.wait_for(topic=topics.acl("door-dyn")).retain

        with system.db() as session:
            manager = session.scalar(sa.select(Member).where(Member.role == Role.MANAGER))
            delete_device(get_device(manager, "door-dyn"), actor=manager, now=utcnow())

        client.wait_connected(0)
        wait_until(lambda: not client.is_connected, what="the device disconnected")
        assert not try_login(HOST, broker.port, "door-dyn", password)
        wait_until(lambda: account_rows_done(system), what="the delete applied")
    finally:
        if client is not None:
            client.close()
        system.close()
        broker.stop()
