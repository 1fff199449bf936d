"""The whole system as real processes, for the end-to-end tests in tests/system/.

`SystemRig(workdir)` sets up what an operator sets up, with our own commands:

1. ``incubator mqtt write-config --dir DIR --port N`` writes Mosquitto's config and
   its dynamic-security state (with the gateway's account from INCUBATOR_MQTT_URL).
   The rig adds one account to that state before the first start, ``monitor``,
   holding the server's role, so a test can watch every topic without taking
   the gateway's client id (``use_username_as_clientid``);
2. ``incubator db upgrade``, ``incubator keys init``, ``incubator create-manager``
   and ``incubator api-token create`` on a database of its own (a SQLite file,
   or a fresh PostgreSQL database when INCUBATOR_TEST_DATABASE_URL is set); the
   building's hours are set to always open (a test may run at any hour);
3. then it runs ``mosquitto -c``, ``incubator gateway`` (dynamic security on,
   metrics on a port of its own) and the web app under gunicorn, each a child
   process with its log in the work directory.

Devices are registered through the web API (`register_device`), whose answer
holds the device's password and its bridge config; `start_bridge` runs
``python -m firmware_bridge --config FILE --simulate`` on that config as it
came, with only a ``[store]`` table added (several simulated Pis share this
machine, so each needs a store file of its own). Badges are typed on the
bridge's standard input.

Every process is killed in `close` (and by a finalizer if a test forgets), and
`log_tails` gives the end of every log for a failure report.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import os
import re
import secrets
import signal
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.broker.mosquitto_config import SERVER_ROLE, password_fields
from app.keys import load_signing_key
from bridge_protocol.signing import Verifier
from bridge_protocol.wire import now_ms
from tests.support.bridge_rig import wait_until
from tests.support.gateway_rig import own_database
from tests.support.mosquitto import HOST, free_port, require_mosquitto, wait_for_port
from tests.support.mqtt_client import MqttClient

ROOT_DIR = Path(__file__).resolve().parents[2]
GATEWAY_USER = "gateway"
MONITOR_USER = "monitor"
MANAGER_EMAIL = "manager@example.org"
ALWAYS_OPEN = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
WAIT_S = 20.0
_STOP_S = 10.0
_numbers = itertools.count(1)

_SITE_HOURS_SCRIPT = """
import json, sys
from app import create_app
from app.extensions import db
from app.services.site import get_site_settings
app = create_app()
with app.app_context():
    get_site_settings().building_hours = json.loads(sys.argv[1])
    db.session.commit()
"""


class RigError(RuntimeError):
    """A step of the set-up failed; the message holds its output."""


class ApiError(AssertionError):
    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        super().__init__(f"{method} {path} answered {status}: {body}")
        self.status = status
        self.body = body


class Child:
    """One child process with its output in a log file."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        *,
        env: dict[str, str],
        log_path: Path,
        stdin: bool = False,
        cwd: Path = ROOT_DIR,
    ) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = log_path
        self.cwd = cwd
        self.want_stdin = stdin
        self.process: subprocess.Popen[str] | None = None
        self.starts = 0

    def start(self) -> Child:
        if self.alive:
            return self
        with self.log_path.open("a") as log:
            log.write(f"\n===== start #{self.starts + 1}: {' '.join(self.argv[:4])} ...\n")
            log.flush()
            self.process = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=self.cwd,
                stdin=subprocess.PIPE if self.want_stdin else subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )
        self.starts += 1
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def write_line(self, text: str) -> None:
        assert self.process is not None
        assert self.process.stdin is not None
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def terminate(self) -> None:
        """SIGTERM without waiting (`stop` waits)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = _STOP_S) -> int | None:
        """SIGTERM, then SIGKILL if it does not end in time; the exit code."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            self.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        self._close_stdin()
        return process.returncode

    def kill(self) -> None:
        """SIGKILL: no goodbye, no cleanup."""
        process = self.process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(_STOP_S)
        self._close_stdin()

    def _close_stdin(self) -> None:
        if self.process is not None and self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])


@dataclasses.dataclass
class Device:
    """A device registered through the API, and (once started) its bridge process."""

    id: str
    kind: str
    password: str
    config_path: Path
    store_path: Path
    bridge: Child | None = None

    def badge(self, uid: str) -> None:
        """A badge read at the simulated reader (a line on the bridge's standard input)."""
        assert self.bridge is not None, f"{self.id} has no bridge running"
        self.bridge.write_line(uid)

    def log(self) -> str:
        return self.bridge.log() if self.bridge is not None else ""

    def log_count(self, pattern: str) -> int:
        return len(re.findall(pattern, self.log()))

    def outbox_rows(self) -> int:
        """Events in the bridge's outbox, read from its SQLite store (read-only)."""
        uri = f"file:{self.store_path}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=5)) as conn:
            return int(conn.execute("SELECT count(*) FROM outbox").fetchone()[0])


class SystemRig:
    def __init__(self, workdir: Path) -> None:
        self.mosquitto = require_mosquitto()
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.broker_dir = workdir / "broker"
        self.instance = workdir / "instance"
        self.broker_port = free_port()
        self.web_port = free_port()
        self.metrics_port = free_port()
        self.gateway_password = secrets.token_urlsafe(18)
        self.monitor_password = secrets.token_urlsafe(18)
        self.database_url, self._drop_database = own_database(workdir)
        self.env = self._environment()
        self.token = ""
        self.devices: dict[str, Device] = {}
        self._clients: list[MqttClient] = []
        self._engine: sa.Engine | None = None
        logs = workdir / "logs"
        logs.mkdir(exist_ok=True)
        self.broker = Child(
            "mosquitto",
            [self.mosquitto, "-c", str(self.broker_dir / "mosquitto.conf")],
            env=dict(os.environ),
            log_path=logs / "mosquitto.log",
            cwd=workdir,
        )
        self.gateway = Child(
            "gateway",
            [sys.executable, "-m", "app.cli", "gateway", "--metrics-port", str(self.metrics_port)],
            env=self.env,
            log_path=logs / "gateway.log",
        )
        self.web = Child(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"{HOST}:{self.web_port}",
                "--workers",
                "2",
                "app:create_app()",
            ],
            env=self.env,
            log_path=logs / "web.log",
        )
        self._children = [self.broker, self.gateway, self.web]
        self._finalizer = weakref.finalize(self, _kill_all, self._children, self.devices)

    # -- set-up ----------------------------------------------------------------------------

    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("INCUBATOR_")}
        env.update(
            PYTHONUNBUFFERED="1",
            INCUBATOR_ENV="development",
            INCUBATOR_INSTANCE_PATH=str(self.instance),
            INCUBATOR_SECRET_KEY=secrets.token_urlsafe(32),
            INCUBATOR_SQLALCHEMY_DATABASE_URI=self.database_url,
            INCUBATOR_MQTT_URL=(
                f"mqtt://{GATEWAY_USER}:{self.gateway_password}@{HOST}:{self.broker_port}"
            ),
            INCUBATOR_PUBLIC_URL=f"http://{HOST}:{self.web_port}",
            # fast timings, as the architecture asks of every MQTT test
            INCUBATOR_GATEWAY_KEEPALIVE_S="2",
            INCUBATOR_GATEWAY_RECONNECT_MIN_S="0.1",
            INCUBATOR_GATEWAY_RECONNECT_MAX_S="1",
            INCUBATOR_GATEWAY_OUTBOX_POLL_S="0.05",
            INCUBATOR_GATEWAY_DYNSEC="true",
        )
        return env

    def cli(self, *args: str, stdin: str | None = None) -> str:
        """``incubator ARGS`` as a process; its standard output, or RigError with its output."""
        return self._run_all([("incubator", [sys.executable, "-m", "app.cli", *args], stdin)])[0]

    def _run_all(self, commands: list[tuple[str, list[str], str | None]]) -> list[str]:
        """Run commands side by side; their standard outputs, or RigError naming the failed."""
        running = []
        for name, argv, stdin in commands:
            process = subprocess.Popen(
                argv,
                env=self.env,
                cwd=ROOT_DIR,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            running.append((name, argv, process, stdin))
        outputs, failures = [], []
        for name, argv, process, stdin in running:
            try:
                out, err = process.communicate(stdin, timeout=180)
            except subprocess.TimeoutExpired:
                process.kill()
                out, err = process.communicate()
            outputs.append(out)
            if process.returncode != 0:
                failures.append(
                    f"{name} {' '.join(argv[3:])} exited {process.returncode}:\n{out}\n{err}"
                )
        if failures:
            raise RigError("\n".join(failures))
        return outputs

    def set_up(self) -> SystemRig:
        """The operator's steps; those that do not depend on each other run side by side."""
        incubator = [sys.executable, "-m", "app.cli"]
        write = [*incubator, "mqtt", "write-config", "--dir", str(self.broker_dir)]
        write += ["--port", str(self.broker_port)]
        if os.geteuid() == 0:  # Mosquitto would drop to its own user, shut out of this dir
            write += ["--user", "root"]
        self._run_all(
            [
                ("incubator", write, None),
                ("incubator", [*incubator, "db", "upgrade"], None),
                ("incubator", [*incubator, "keys", "init"], None),
            ]
        )
        self._add_monitor_account()
        password = secrets.token_urlsafe(16) + "\n"
        manager = [*incubator, "create-manager", MANAGER_EMAIL, "--name", "Manager"]
        hours = [sys.executable, "-c", _SITE_HOURS_SCRIPT, json.dumps(ALWAYS_OPEN)]
        self._run_all(
            [
                ("incubator", [*manager, "--password-stdin"], password),
                ("building hours", hours, None),
            ]
        )
        self.token = self.cli("api-token", "create", MANAGER_EMAIL).strip().splitlines()[-1]
        return self

    def _add_monitor_account(self) -> None:
        path = self.broker_dir / "dynamic-security.json"
        state = json.loads(path.read_text())
        state["clients"].append(
            {
                "username": MONITOR_USER,
                "textname": "test monitor",
                **password_fields(self.monitor_password),
                "roles": [{"rolename": SERVER_ROLE, "priority": 0}],
            }
        )
        path.write_text(json.dumps(state, indent=2))

    def start(self) -> SystemRig:
        self.start_broker()
        self.web.start()  # starts while the gateway connects
        self.start_gateway()
        if not wait_for_port(HOST, self.web_port, timeout=90) or not self.web.alive:
            raise RigError(f"the web app did not start:\n{self.web.tail()}")
        wait_until(lambda: self._web_answers(), WAIT_S, "the web app to answer")
        return self

    def _web_answers(self) -> bool:
        url = self.web_url("/api/openapi.json")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=5) as r:  # noqa: S310
            return bool(r.status == 200)
        return False

    # -- the broker ------------------------------------------------------------------------

    def start_broker(self) -> None:
        self.broker.start()
        if not wait_for_port(HOST, self.broker_port) or not self.broker.alive:
            raise RigError(f"mosquitto did not start:\n{self.broker.tail()}")

    def kill_broker(self) -> None:
        self.broker.kill()

    # -- the gateway -----------------------------------------------------------------------

    def start_gateway(self, timeout: float = 90.0) -> None:
        self.gateway.start()
        wait_until(self.gateway_connected, timeout, "the gateway connected (gateway_connected 1)")

    def kill_gateway(self) -> None:
        """SIGKILL: the broker publishes its Last Will (server/status offline)."""
        self.gateway.kill()

    def gateway_connected(self) -> bool:
        if not self.gateway.alive:
            raise AssertionError(f"the gateway exited:\n{self.gateway.tail()}")
        return self.metric("gateway_connected") == 1

    def metrics(self) -> dict[str, float]:
        """The gateway's metrics: ``name{labels}`` (labels sorted) to value; {} if unreachable."""
        url = f"http://{HOST}:{self.metrics_port}/metrics"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                text = response.read().decode()
        except OSError:
            return {}
        return parse_metrics(text)

    def metric(self, name: str, **labels: str) -> float:
        """One sample (0 when absent); labels given must all match, others are summed over."""
        total = 0.0
        for key, value in self.metrics().items():
            sample, sample_labels = split_key(key)
            if sample == name and all(sample_labels.get(k) == v for k, v in labels.items()):
                total += value
        return total

    # -- the web API -----------------------------------------------------------------------

    def web_url(self, path: str) -> str:
        return f"http://{HOST}:{self.web_port}{path}"

    def api(self, method: str, path: str, body: Any = None, *, expect: int | None = None) -> Any:
        """Call /api/v1 as the manager; the JSON answer (ApiError on an unexpected status)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 (http://127.0.0.1 only)
            self.web_url(f"/api/v1{path}"),
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        answer = json.loads(raw) if raw else None
        ok = status == expect if expect is not None else 200 <= status < 300
        if not ok:
            raise ApiError(method, path, status, answer)
        return answer

    def access_events(self, device: str, **filters: str) -> list[dict[str, Any]]:
        """Every access event of `device` (all pages), oldest first.

        Pages are offsets into a newest-first list, so rows stored while the pages are
        read shift the later pages: a row can come twice, and is kept once.
        """
        found: dict[int, dict[str, Any]] = {}
        page = 1
        while True:
            query = "&".join(f"{k}={v}" for k, v in {"device": device, **filters}.items())
            answer = self.api("GET", f"/access-events?{query}&per_page=200&page={page}")
            found.update({int(e["id"]): e for e in answer["items"]})
            if page >= int(answer["pages"]) or not answer["items"]:
                break
            page += 1
        return [found[i] for i in sorted(found)]

    def decisions(self, device: str) -> list[dict[str, Any]]:
        return [e for e in self.access_events(device) if e["type"] == "access.decision"]

    # -- the database (read by the test, written only through the system) ----------------------

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = sa.create_engine(self.database_url)
        return self._engine

    def sql(self, statement: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.text(statement), params))

    def sql_value(self, statement: str, **params: Any) -> Any:
        return self.sql(statement, **params)[0][0]

    # -- people and things, through the API ------------------------------------------------------

    def unique(self, prefix: str) -> str:
        return f"{prefix}{next(_numbers)}{secrets.token_hex(2)}"

    def new_tenant(self) -> dict[str, Any]:
        slug = self.unique("co-")
        body = {"name": f"Company {slug}", "slug": slug, "sector": "tech"}
        return dict(self.api("POST", "/tenants", body))

    def new_member(self, tenant_id: int | None, role: str = "member") -> dict[str, Any]:
        email = f"{self.unique('m')}@example.org"
        body = {"email": email, "name": f"Member {email}", "role": role, "tenant_id": tenant_id}
        return dict(self.api("POST", "/members", body))

    def new_badge(self, member_id: int) -> tuple[str, dict[str, Any]]:
        uid = "04" + secrets.token_hex(5).upper()
        return uid, dict(self.api("POST", "/badges", {"uid": uid, "member_id": member_id}))

    # -- devices ---------------------------------------------------------------------------

    def register_device(self, kind: str, resource: str | None = None) -> Device:
        """``POST /api/v1/devices``; waits until the gateway made its broker account."""
        dev = self.unique(f"{kind}-")
        answer = self.api(
            "POST", "/devices", {"id": dev, "kind": kind, "resource": resource}, expect=201
        )
        store = self.workdir / "devices" / dev / "bridge.sqlite3"
        store.parent.mkdir(parents=True, exist_ok=True)
        config = store.parent / "bridge.toml"
        # the config as the API gave it; only the store moves (one per simulated Pi)
        config.write_text(answer["bridge_config"] + f'\n[store]\npath = "{store}"\n')
        config.chmod(0o600)
        device = Device(dev, kind, answer["password"], config, store)
        self.devices[dev] = device
        wait_until(lambda: self._account_applied(dev), WAIT_S, f"{dev}'s broker account")
        return device

    def _account_applied(self, dev: str) -> bool:
        waiting = self.sql_value(
            "SELECT count(*) FROM device_outbox WHERE kind = 'account' AND done_at IS NULL "
            "AND (device_id = :dev OR device_id IS NULL)",
            dev=dev,
        )
        return int(waiting) == 0

    def start_bridge(self, device: Device, *, wait_ready: bool = True) -> Child:
        if device.bridge is None:
            device.bridge = Child(
                device.id,
                [
                    sys.executable,
                    "-m",
                    "firmware_bridge",
                    "--config",
                    str(device.config_path),
                    "--simulate",
                ],
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                log_path=device.config_path.parent / "bridge.log",
                stdin=True,
            )
        device.bridge.start()
        if wait_ready:
            self.wait_device_ready(device)
        return device.bridge

    def wait_device_ready(self, device: Device, timeout: float = WAIT_S) -> None:
        """Online for the gateway, with the allow-list it last published applied."""

        def ready() -> bool:
            if device.bridge is not None and not device.bridge.alive:
                raise AssertionError(f"{device.id} exited:\n{device.bridge.tail()}")
            state = self.api("GET", f"/devices/{device.id}")
            published = state["acl_version_published"]
            return bool(state["online"] and published and state["acl_version_applied"] == published)

        wait_until(ready, timeout, f"{device.id} online with its allow-list applied")

    def device_state(self, device: Device) -> dict[str, Any]:
        return dict(self.api("GET", f"/devices/{device.id}"))

    def outbox_waiting(self, device: Device | None = None) -> int:
        """The gateway's `device_outbox` rows not done yet (for `device`, or for any)."""
        if device is None:
            return int(self.sql_value("SELECT count(*) FROM device_outbox WHERE done_at IS NULL"))
        return int(
            self.sql_value(
                "SELECT count(*) FROM device_outbox WHERE done_at IS NULL "
                "AND (device_id = :dev OR device_id IS NULL)",
                dev=device.id,
            )
        )

    def wait_list_newer(self, device: Device, than: int, timeout: float = WAIT_S) -> int:
        """Until the gateway published a list above version `than` and the device applied it."""

        def applied() -> int | None:
            if self.outbox_waiting(device):
                return None
            state = self.device_state(device)
            published = int(state["acl_version_published"] or 0)
            if published > than and state["acl_version_applied"] == published:
                return published
            return None

        return int(wait_until(applied, timeout, f"{device.id}: an allow-list above v{than}"))

    def wait_decisions(
        self, device: Device, count: int, timeout: float = WAIT_S
    ) -> list[dict[str, Any]]:
        """Until `count` access decisions of `device` are stored (more is an error); as listed
        by the API."""

        def stored() -> bool:
            total = int(
                self.sql_value(
                    "SELECT count(*) FROM access_event "
                    "WHERE device_id = :dev AND type = 'access.decision'",
                    dev=device.id,
                )
            )
            assert total <= count, f"{device.id}: {total} decisions stored, {count} expected"
            return total == count

        wait_until(stored, timeout, f"{device.id}: {count} decisions stored")
        found = self.decisions(device.id)
        assert len(found) == count, f"{device.id}: {len(found)} decisions listed, {count} stored"
        return found

    # -- MQTT clients of the test's own -----------------------------------------------------------

    def monitor(self) -> MqttClient:
        client = MqttClient(HOST, self.broker_port, MONITOR_USER, self.monitor_password)
        self._clients.append(client)
        return client.connect()

    def device_client(self, device: Device, password: str | None = None) -> MqttClient:
        """A raw MQTT connection under a device's account (to the broker, it is that device)."""
        client = MqttClient(HOST, self.broker_port, device.id, password or device.password)
        self._clients.append(client)
        return client.connect()

    def verifier(self) -> Verifier:
        """Checks what the gateway signs (the public half of the key `keys init` wrote)."""
        key = load_signing_key(str(self.instance / "keys" / "signing.key"))
        return Verifier.from_keys(key.public_key())

    # -- health and teardown --------------------------------------------------------------------

    def ensure_running(self) -> None:
        """Bring back what a test stopped (so the next test starts from a running system)."""
        if not self.broker.alive:
            self.start_broker()
        if not self.gateway.alive:
            self.start_gateway()
        if not self.web.alive:
            raise RigError(f"the web app died:\n{self.web.tail()}")

    def log_tails(self, lines: int = 40) -> str:
        parts = [f"----- {c.name} ({c.log_path}) -----\n{c.tail(lines)}" for c in self._children]
        for device in self.devices.values():
            if device.bridge is not None:
                parts.append(f"----- bridge {device.id} -----\n{device.bridge.tail(lines)}")
        return "\n".join(parts)

    def close(self) -> None:
        for client in self._clients:
            client.close()
        bridges = [d.bridge for d in self.devices.values() if d.bridge is not None]
        for child in [*bridges, self.web, self.gateway]:  # all asked at once, then awaited
            child.terminate()
        for child in [*bridges, self.web, self.gateway]:
            child.stop(5)
        self.broker.stop()
        if self._engine is not None:
            self._engine.dispose()
        self._drop_database()
        self._finalizer.detach()


def _kill_all(children: list[Child], devices: dict[str, Device]) -> None:
    for child in [*children, *(d.bridge for d in devices.values() if d.bridge is not None)]:
        with contextlib.suppress(Exception):
            child.kill()


def event_payload(dev: str, *, seq: int = 0, **fields: Any) -> dict[str, Any]:
    """A well-formed ``access.decision`` event of `dev` (docs/protocol.md, Events)."""
    event: dict[str, Any] = {
        "v": 1,
        "id": str(uuid.uuid4()),
        "dev": dev,
        "boot": "0a1b2c3d",
        "seq": seq,
        "ts": now_ms(),
        "mono": 1000 + seq,
        "clk": "sync",
        "type": "access.decision",
        "data": {
            "badge": "04A22B1C",
            "granted": False,
            "reason": "unknown_badge",
            "mode": "offline",
        },
    }
    event.update(fields)
    return event


def auth_request_payload(dev: str, *, badge: Any = "04A22B1C", **fields: Any) -> dict[str, Any]:
    """A well-formed access request of `dev`, valid for 5 s."""
    ts = now_ms()
    request: dict[str, Any] = {
        "v": 1,
        "req": str(uuid.uuid4()),
        "dev": dev,
        "badge": badge,
        "ts": ts,
        "exp": ts + 5000,
    }
    request.update(fields)
    return request


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text: str) -> dict[str, float]:
    samples = {}
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if not match or line.startswith("#"):
            continue
        name, labels, value = match.groups()
        pairs = sorted(_LABEL.findall(labels or ""))
        key = name + ("{" + ",".join(f'{k}="{v}"' for k, v in pairs) + "}" if pairs else "")
        samples[key] = float(value)
    return samples


def split_key(key: str) -> tuple[str, dict[str, str]]:
    name, _, rest = key.partition("{")
    return name, dict(_LABEL.findall(rest))


def wait_for(condition: Callable[[], Any], what: str, timeout: float = WAIT_S) -> Any:
    return wait_until(condition, timeout, what)


__all__ = [
    "ApiError",
    "Device",
    "RigError",
    "SystemRig",
    "auth_request_payload",
    "event_payload",
    "parse_metrics",
    "split_key",
    "wait_for",
]
