"""The real gateway (`app.gateway`), a real Mosquitto, a database of its own, real bridges.

`GatewaySystem` owns one broker (with the ``gateway`` and ``monitor`` server
accounts), one app on its own database (a SQLite file, or a fresh PostgreSQL
database when INCUBATOR_TEST_DATABASE_URL is set), the server's keys in files,
and the gateway running in this process (its own threads, as in production).
`add_device` registers a device in the database and on the broker;
`start_bridge` runs `firmware_bridge` in-process for it, trusting the gateway's
keys. `db()` gives a database session of the test's own (committed for real:
the gateway must see it).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from app.keys import load_badge_key, load_signing_key, make_badge_key, make_signing_key
from tests.support.bridge_rig import RunningBridge, wait_until
from tests.support.mosquitto import GATEWAY, MONITOR, Broker
from tests.support.mqtt_client import MqttClient
from tests.support.server_side import ServerSide, write_bridge_config

ALWAYS_OPEN = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
_numbers = itertools.count(1)
ROOT_DIR = Path(__file__).resolve().parents[2]

#: fast timings, as the architecture asks of every MQTT test
GATEWAY_TEST_CONFIG: dict[str, Any] = {
    "GATEWAY_METRICS_PORT": 0,
    "GATEWAY_KEEPALIVE_S": 2,
    "GATEWAY_RECONNECT_MIN_S": 0.1,
    "GATEWAY_RECONNECT_MAX_S": 1.0,
    "GATEWAY_DYNSEC": False,  # the test broker uses a password file, not the plugin
    "GATEWAY_OUTBOX_POLL_S": 0.05,
}


def own_database(workdir: Path) -> tuple[str, Any]:
    """A database URL nobody else uses, and a function that drops it afterwards."""
    base = os.environ.get("INCUBATOR_TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{workdir / 'gateway.sqlite'}", lambda: None
    from tests.conftest import _pg_database

    url, admin, name = _pg_database(base)

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()

    return url, drop


def write_keys(instance: Path) -> tuple[Path, Path]:
    keys = instance / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    signing, badge = keys / "signing.key", keys / "badge.key"
    signing.write_bytes(make_signing_key())
    badge.write_bytes(make_badge_key())
    return signing, badge


def gateway_url(broker: Broker, account: str = GATEWAY) -> str:
    return f"mqtt://{account}:{broker.accounts[account].password}@{broker.host}:{broker.port}"


class GatewaySystem:
    def __init__(
        self, broker: Any, workdir: Path, *, mqtt_url: str | None = None, **config: Any
    ) -> None:
        """`broker`: a `Broker` (password file; `add_device` and bridges work), or any broker
        with `mqtt_url` naming the gateway's account on it (e.g. a `DynsecBroker`)."""
        from flask_migrate import upgrade

        from tests.conftest import make_test_app

        self.broker = broker
        self.workdir = workdir
        self.database_url, self._drop_database = own_database(workdir)
        instance = workdir / "instance"
        signing, badge = write_keys(instance)
        previous = os.environ.get("INCUBATOR_INSTANCE_PATH")
        try:
            self.app: Flask = make_test_app(
                self.database_url,
                instance,
                MQTT_URL=mqtt_url or gateway_url(broker),
                SIGNING_KEY_FILE=str(signing),
                BADGE_KEY_FILE=str(badge),
                **(GATEWAY_TEST_CONFIG | config),
            )
        finally:  # make_test_app points it at this instance; leave it as the session had it
            if previous is None:
                os.environ.pop("INCUBATOR_INSTANCE_PATH", None)
            else:
                os.environ["INCUBATOR_INSTANCE_PATH"] = previous
        with self.app.app_context():
            upgrade()
            from app.extensions import db
            from app.services.site import get_site_settings

            get_site_settings().building_hours = ALWAYS_OPEN
            db.session.commit()
        self.server = ServerSide(
            signing_key=load_signing_key(str(signing)), site_badge_key=load_badge_key(str(badge))
        )
        self.gateway: Any = None
        self.bridges: list[RunningBridge] = []
        self.clients: list[MqttClient] = []

    # -- the gateway --------------------------------------------------------------------------

    def start_gateway(self) -> Any:
        from app.gateway.service import Gateway
        from app.gateway.settings import GatewaySettings

        self.gateway = Gateway(self.app, GatewaySettings.from_config(self.app.config))
        self.gateway.start()
        assert self.gateway.link.wait_connected(10), "the gateway did not connect"
        return self.gateway

    def stop_gateway(self) -> None:
        if self.gateway is not None:
            self.gateway.stop()
            self.gateway = None

    @property
    def metrics(self) -> Any:
        return self.gateway.metrics

    def metrics_text(self) -> str:
        port = self.gateway.metrics_server.port
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            return str(response.read().decode())

    # -- the database ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def db(self) -> Iterator[Any]:
        """The app's session in an app context of the test's own; commits on success."""
        from app.extensions import db

        with self.app.app_context():
            try:
                yield db.session
                db.session.commit()
            except BaseException:
                db.session.rollback()
                raise

    def scalar(self, statement: Any) -> Any:
        with self.db() as session:
            return session.scalar(statement)

    def count(self, model: Any, *where: Any) -> int:
        return int(self.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0)

    # -- devices --------------------------------------------------------------------------------

    def add_device(self, kind: str = "door", resource_slug: str | None = None) -> str:
        from app.models import Device, DeviceKind, Resource
        from app.services.device_outbox import request_acl_refresh

        dev = f"{kind}-x{next(_numbers)}"
        with self.db() as session:
            resource = None
            if resource_slug is not None:
                resource = session.scalar(sa.select(Resource).where(Resource.slug == resource_slug))
            session.add(Device(id=dev, kind=DeviceKind(kind), resource=resource, versions={}))
            # as registration does: the gateway learns of the device and sends its list
            request_acl_refresh(reason="device registered", device_id=dev)
        self.broker.add_device(dev)
        return dev

    def start_bridge(self, dev: str, *, kind: str = "door", **options: Any) -> RunningBridge:
        from bridge_protocol.config import load_config
        from firmware_bridge.daemon import Bridge, BridgeOptions

        path = self.workdir / f"{dev}.toml"
        options.setdefault("request_timeout_ms", 2000)  # decisions are the gateway's, not a race
        write_bridge_config(
            path, dev=dev, broker=self.broker, server=self.server, kind=kind, **options
        )
        bridge = Bridge(
            load_config(path),
            options=BridgeOptions(
                simulate=True, clock="sync", housekeeping_s=0.5, status_interval_s=0.5
            ),
        )
        running = RunningBridge(bridge, path)
        self.bridges.append(running)
        bridge.start()
        running.wait_online()
        return running

    def device_client(self, dev: str, **options: Any) -> MqttClient:
        """A raw MQTT connection under the device's account (it is that device to the broker)."""
        account = self.broker.accounts[dev]
        client = MqttClient(self.broker.host, self.broker.port, dev, account.password, **options)
        self.clients.append(client)
        return client.connect()

    def monitor(self) -> MqttClient:
        account = self.broker.accounts[MONITOR]
        client = MqttClient(self.broker.host, self.broker.port, MONITOR, account.password)
        self.clients.append(client)
        return client.connect()

    def close(self) -> None:
        for running in self.bridges:
            with contextlib.suppress(Exception):
                running.stop()
        for client in self.clients:
            client.close()
        self.stop_gateway()
        from app.extensions import db

        with self.app.app_context():
            db.engine.dispose()
        self._drop_database()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


__all__ = ["ALWAYS_OPEN", "GatewaySystem", "utcnow", "wait_until"]
