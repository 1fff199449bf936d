"""`incubator demo` assembled: data, broker, gateway, simulated Pis, jobs runner, web app.

Order of start: the database is ready (the caller migrated and seeded it);
the demo devices get fresh passwords and the bookings around now; the broker
starts with fresh accounts; the gateway connects (and, on Mosquitto, creates
the device accounts from the outbox); the simulated Pis start from configs
written for them; the jobs runner loops; the web app serves. The demo waits
until the Pis are online (or says which are not), prints the banner, and
serves until Ctrl-C or SIGTERM, or until the broker dies (the gateway, the
jobs runner and the Pis are started again when they end, as systemd would).
Then every child is stopped, Pis first, broker last.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from app.device_provisioning import bridge_material, sealing_key, server_account_names
from app.extensions import db
from app.models import Device, DeviceOutbox, OutboxKind
from app.services import demo as demo_data
from app.services.bookings.lifecycle import Facility
from app.services.site import get_site_settings

from .banner import banner
from .bridges import write_bridge_configs
from .broker import HOST, BrokerPlan, plan_broker
from .state import SIMULATOR_USERNAME
from .supervisor import Supervisor

log = logging.getLogger(__name__)
JOBS_EVERY_S = 30
#: as systemd's Restart= would: the gateway, the jobs runner and the Pis come back
RESTART_AFTER_S = 3.0
BROKER_START_S = 15.0
ACCOUNTS_APPLIED_S = 30.0
ONLINE_S = 45.0


class DemoFailed(RuntimeError):
    """A part of the demo would not start; the message says which and where its log is."""


@dataclass(frozen=True)
class DemoOptions:
    host: str
    port: int
    password: str
    mqtt_port: int
    broker: str
    metrics_port: int
    verbose: bool = False


def free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_taken(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.3):
        return True
    return False


def _wait(condition: Callable[[], bool], timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def demo_dir(app: Flask) -> Path:
    return Path(app.instance_path) / "demo"


# -- the database ---------------------------------------------------------------------------


def _facility(app: Flask) -> Facility:
    return Facility(
        zone=ZoneInfo(app.config["TIMEZONE"]),
        building_hours=get_site_settings().building_hours,
        public_url=app.config["PUBLIC_URL"],
        site_name=app.config["SITE_NAME"],
    )


def _pending_accounts(device_ids: Iterable[str]) -> int:
    db.session.rollback()  # see what the gateway committed since
    rows = db.session.scalars(
        select(DeviceOutbox.id).where(
            DeviceOutbox.kind == OutboxKind.ACCOUNT,
            DeviceOutbox.done_at.is_(None),
            DeviceOutbox.device_id.in_(list(device_ids)),
        )
    ).all()
    db.session.rollback()
    return len(rows)


def _offline(device_ids: Iterable[str]) -> list[str]:
    db.session.rollback()
    online = set(
        db.session.scalars(
            select(Device.id).where(Device.id.in_(list(device_ids)), Device.online.is_(True))
        )
    )
    db.session.rollback()
    return sorted(set(device_ids) - online)


# -- the children's environment ---------------------------------------------------------------


def server_env(app: Flask, plan: BrokerPlan) -> dict[str, str]:
    """What the gateway and the jobs runner need to be this demo's server processes."""
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "INCUBATOR_INSTANCE_PATH": str(app.instance_path),
        "INCUBATOR_SQLALCHEMY_DATABASE_URI": str(app.config["SQLALCHEMY_DATABASE_URI"]),
        "INCUBATOR_SIGNING_KEY_FILE": str(app.config["SIGNING_KEY_FILE"]),
        "INCUBATOR_BADGE_KEY_FILE": str(app.config["BADGE_KEY_FILE"]),
        "INCUBATOR_MQTT_URL": plan.gateway_url,
        "INCUBATOR_MQTT_PUBLIC_URL": plan.public_url,
        "INCUBATOR_GATEWAY_PROTOCOL": plan.protocol,
        "INCUBATOR_GATEWAY_DYNSEC": "true" if plan.kind == "mosquitto" else "false",
        "INCUBATOR_GATEWAY_DEMO_SCANS": "true",
        "INCUBATOR_GATEWAY_RECONNECT_MAX_S": "3",
    }
    return env


def pi_env() -> dict[str, str]:
    """A simulated Pi knows nothing of the server: its config file is all it has."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCUBATOR_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


# -- running ------------------------------------------------------------------------------------


def prepare(
    app: Flask, options: DemoOptions, *, now: dt.datetime
) -> tuple[BrokerPlan, dict[str, Path], list[str]]:
    """Broker files, devices with fresh passwords, bookings, bridge configs, the state file."""
    directory = demo_dir(app)
    plan = plan_broker(options.broker, directory=directory, port=options.mqtt_port)
    app.config.update(
        MQTT_URL=plan.gateway_url,
        MQTT_PUBLIC_URL=plan.public_url,
        PUBLIC_URL=f"http://{options.host}:{options.port}",
        DEMO_SIMULATOR=True,
        DEMO_STATE_DIR=str(directory),
    )
    material = bridge_material(app.config)
    credentials = demo_data.ensure_demo_devices(
        now=now,
        sealing_key=sealing_key(app.config),
        reserved_ids=(*server_account_names(app.config), SIMULATOR_USERNAME),
    )
    problems = demo_data.ensure_demo_bookings(now=now, facility=_facility(app))
    if plan.kind == "embedded":
        plan.set_devices({device_id: c.password for device_id, c in credentials.items()})
        demo_data.settle_account_rows(credentials, now=now)
    configs = write_bridge_configs(
        directory / "pis", credentials, material=material, protocol=plan.protocol, now=now
    )
    db.session.commit()
    plan.state().save(directory)
    return plan, configs, problems


def start_children(
    app: Flask, options: DemoOptions, plan: BrokerPlan, configs: dict[str, Path], sup: Supervisor
) -> list[str]:
    """Start everything but the web app; return the ids of Pis that are not online yet."""
    python = sys.executable
    server = server_env(app, plan)
    broker = sup.start("broker", plan.argv, env=pi_env())
    if not _wait(lambda: port_taken(HOST, plan.port) or not broker.running(), BROKER_START_S):
        raise DemoFailed(f"the broker did not start; see {broker.log_path}")
    if not broker.running():
        raise DemoFailed(f"the broker stopped at start:\n{broker.log_tail()}")
    argv = [python, "-m", "app.cli", "gateway", "--metrics-port", str(options.metrics_port)]
    gateway = sup.start("gateway", argv, env=server, restart_after=RESTART_AFTER_S)
    if plan.kind == "mosquitto":
        applied = _wait(
            lambda: _pending_accounts(configs) == 0 or not gateway.running(),
            ACCOUNTS_APPLIED_S,
            step=0.3,
        )
        if not gateway.running():
            raise DemoFailed(f"the gateway stopped at start:\n{gateway.log_tail()}")
        if not applied:
            raise DemoFailed(
                f"the gateway did not create the devices' broker accounts; see {gateway.log_path}"
            )
    for device_id, path in configs.items():
        argv = [python, "-m", "firmware_bridge", "--config", str(path), "--simulate"]
        sup.start(f"pi-{device_id}", argv, env=pi_env(), restart_after=RESTART_AFTER_S)
    sup.watch()
    _wait(lambda: not _offline(configs) or sup.failed.is_set(), ONLINE_S, step=0.3)
    if sup.failed.is_set():
        raise DemoFailed("a part of the demo stopped at start (its log is shown above)")
    # last: on a small machine it would only slow the others' start
    jobs = [python, "-m", "app.cli", "jobs", "run", "--loop", str(JOBS_EVERY_S)]
    sup.start("jobs", jobs, env=server, restart_after=RESTART_AFTER_S)
    return _offline(configs)


def _quiet_request_log(log_dir: Path, verbose: bool) -> None:
    """Requests go to logs/web.log, so the banner stays readable (all of it with --verbose)."""
    if verbose:
        return
    handler = logging.FileHandler(log_dir / "web.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    werkzeug = logging.getLogger("werkzeug")
    werkzeug.handlers[:] = [handler]
    werkzeug.setLevel(logging.INFO)
    werkzeug.propagate = False


def check_ports(options: DemoOptions) -> None:
    """Refuse at once, before any work, when the web or broker port is taken."""
    if port_taken(options.host, options.port):
        raise DemoFailed(f"port {options.port} is taken: pick another with --port")
    if port_taken(HOST, options.mqtt_port):
        raise DemoFailed(f"port {options.mqtt_port} is taken: pick another with --mqtt-port")


def run_demo(app: Flask, options: DemoOptions, *, echo: Callable[[str], Any]) -> int:
    """Run the whole demo in the foreground; the exit code: 0 after Ctrl-C or SIGTERM."""
    check_ports(options)
    now = dt.datetime.now(dt.UTC)
    plan, configs, problems = prepare(app, options, now=now)
    sup = Supervisor(demo_dir(app) / "logs", verbose=options.verbose, echo=echo)
    server: Any = None
    stopping = {"code": 0}

    def on_signal(signum: int, _frame: Any) -> None:
        raise SystemExit(0)

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        offline = start_children(app, options, plan, configs, sup)
        _quiet_request_log(sup.log_dir, options.verbose)
        server = make_server(options.host, options.port, app, threaded=True)

        def stop_on_failure() -> None:
            sup.failed.wait()
            stopping["code"] = 1
            server.shutdown()

        threading.Thread(target=stop_on_failure, name="demo-failure", daemon=True).start()
        echo(
            banner(
                url=f"http://{options.host}:{options.port}",
                password=options.password,
                plan=plan,
                log_dir=sup.log_dir,
                metrics_port=options.metrics_port,
                offline=offline,
                problems=problems,
            )
        )
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        echo("demo: stopping ...")
        if server is not None:
            server.server_close()
        sup.stop_all()
        echo("demo: stopped")
    return stopping["code"]
