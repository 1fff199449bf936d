"""What the gateway benchmarks share: a broker, a database, devices and the real gateway.

`GatewayBench` sets up, in a temporary directory, everything production has:

* Mosquitto configured by ``incubator mqtt write-config`` (the dynamic-security
  plugin, ``set_tcp_nodelay true``, persistence) through `tests.support.dynsec_broker`,
  plus a few server accounts of the benchmark's own for its bare baselines
  (written into the plugin's initial state next to the gateway's);
* a database of its own (SQLite, or a fresh PostgreSQL database), migrated;
* devices registered with `app.services.devices.register_device` (a real
  identity: the broker account is made by the gateway from the sealed outbox
  row, as in production);
* ``incubator gateway`` as a child process (``python -m app.cli gateway``), so
  its CPU and memory are its own and it competes with the load generator the
  way it would on a server.

It also has what the three scripts print and write alike: their shared options, the
machine line and the closing summary. Percentiles, /proc readings and the
replacement of a section of docs/performance.md come from `bench.common`.

This module is also the bare baseline's responder when run with ``--serve``:
``echo`` answers each request on the bench topic with a payload of a given size;
``count`` counts the messages of a round and says when the last one arrived.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # also as `python bench/<script>.py`
    sys.path.insert(0, str(ROOT))

import paho.mqtt.client as paho  # noqa: E402

from bench.common import (  # noqa: E402
    DEFAULT_PG,
    DOC,
    cpu_model,
    load_average,
    mosquitto_version,
    ready_child,
    system_text,
    update_doc,
)

HOST = "127.0.0.1"
#: topics of the bare baselines: under the contract's prefix (the server role may use
#: them) but outside the device tree, so the gateway never sees them
BENCH_PREFIX = "incubator/v1/bench/"
BARE_REQUEST = BENCH_PREFIX + "req"
BARE_RESPONSE = BENCH_PREFIX + "res"
BARE_EVENTS = BENCH_PREFIX + "evt/"
WAIT_S = 30.0


# -- paho clients ----------------------------------------------------------------------------


def set_nodelay(_client: Any, _userdata: Any, sock: Any) -> None:
    """paho never sets TCP_NODELAY itself: without it a QoS 1 round trip waits for Nagle."""
    import socket

    with contextlib.suppress(OSError, AttributeError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def connect(
    port: int,
    username: str,
    password: str,
    *,
    will: tuple[str, bytes] | None = None,
    timeout: float = WAIT_S,
    retry: bool = False,
) -> paho.Client:
    """A connected MQTT 5 paho client (VERSION2 callbacks, Nagle off, its own loop thread).

    With `retry`, a refused login is tried again until `timeout` (the gateway may
    not have made the account yet).
    """
    from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

    deadline = time.monotonic() + timeout
    while True:
        client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=username,
            protocol=MQTTProtocolVersion.MQTTv5,
            reconnect_on_failure=False,
        )
        client.on_socket_open = set_nodelay
        client.username_pw_set(username, password)
        client.max_inflight_messages_set(100)
        if will is not None:
            client.will_set(will[0], will[1], qos=1, retain=True)
        answered = threading.Event()
        outcome: list[Any] = []
        client.on_connect = _on_connect(answered, outcome)
        try:
            client.connect(HOST, port, keepalive=30)
            client.loop_start()
            ok = answered.wait(max(0.1, deadline - time.monotonic()))
        except OSError:
            ok = False
        if ok and outcome and not outcome[0].is_failure:
            return client
        close(client)
        if not retry or time.monotonic() > deadline:
            raise RuntimeError(f"{username} could not connect: {outcome[0] if outcome else ''}")
        time.sleep(0.2)


def _on_connect(answered: threading.Event, outcome: list[Any]) -> Callable[..., None]:
    def on_connect(_c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        outcome.append(reason)
        answered.set()

    return on_connect


def close(client: paho.Client) -> None:
    with contextlib.suppress(Exception):
        client.disconnect()
    with contextlib.suppress(Exception):
        client.loop_stop()
    with contextlib.suppress(Exception):
        client._reset_sockets(sockpair_only=True)


def subscribe(client: paho.Client, topic: str, timeout: float = WAIT_S) -> None:
    done = threading.Event()
    previous = client.on_subscribe
    client.on_subscribe = lambda *_a: done.set()
    client.subscribe(topic, qos=1)
    try:
        if not done.wait(timeout):
            raise RuntimeError(f"no SUBACK for {topic}")
    finally:
        client.on_subscribe = previous


# -- the process under test: ``incubator gateway`` -------------------------------------------


@dataclass
class Device:
    id: str
    password: str


@dataclass
class Member:
    id: int
    badge: str


@dataclass
class GatewayBench:
    """Broker + database + devices + the gateway process; use as a context manager."""

    database: str = "sqlite"  # or "postgresql"
    pg_url: str = DEFAULT_PG
    bare_accounts: int = 1
    gateway_env: dict[str, str] = field(default_factory=dict)
    workdir: Path = field(init=False)
    devices: list[Device] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    bare: dict[str, str] = field(default_factory=dict)  # username -> password
    process: subprocess.Popen[bytes] | None = None
    counter: subprocess.Popen[str] | None = None  # the bare counting responder, while it runs
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    # -- set-up ------------------------------------------------------------------------------

    def __enter__(self) -> GatewayBench:
        try:
            self._setup()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _setup(self) -> None:
        from tests.support.dynsec_broker import DynsecBroker
        from tests.support.gateway_rig import GatewaySystem

        tmp = self._stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-gateway-"))
        self.workdir = Path(tmp)
        self.broker = DynsecBroker(self.workdir / "mqtt")
        written = self.broker.write_config()
        if written.returncode != 0:
            raise RuntimeError(f"incubator mqtt write-config failed: {written.stderr}")
        self._add_bare_accounts()
        self.broker.start()
        self._stack.callback(self.broker.stop)
        if self.database == "postgresql":
            os.environ["INCUBATOR_TEST_DATABASE_URL"] = self.pg_url
        else:
            os.environ.pop("INCUBATOR_TEST_DATABASE_URL", None)
        self.system = GatewaySystem(
            self.broker,
            self.workdir / "gateway",
            mqtt_url=self.broker.gateway_url,
            GATEWAY_DYNSEC=True,
        )
        self._stack.callback(self.system.close)
        self._stack.callback(self.stop_gateway)
        with self.system.db() as session:
            from app.models import Member as MemberRow
            from app.models import Role

            manager = MemberRow(email="bench-manager@example.org", name="Bench", role=Role.MANAGER)
            session.add(manager)

    def _add_bare_accounts(self) -> None:
        """Server accounts for the bare baselines, in the plugin's initial state."""
        from app.broker.mosquitto_config import SERVER_ROLE, password_fields

        state = json.loads(self.broker.dynsec_file.read_text())
        for index in range(self.bare_accounts):
            name, password = f"bench-bare-{index}", secrets.token_urlsafe(18)
            self.bare[name] = password
            state["clients"].append(
                {
                    "username": name,
                    "textname": "benchmark baseline",
                    **password_fields(password),
                    "roles": [{"rolename": SERVER_ROLE, "priority": 0}],
                }
            )
        self.broker.dynsec_file.write_text(json.dumps(state, indent=2))

    @property
    def port(self) -> int:
        return int(self.broker.port)

    def seed_members(self, count: int) -> list[Member]:
        """`count` active members of one company, each with a badge."""
        from app.models import Badge, Role, Sector, Tenant
        from app.models import Member as MemberRow

        rows: list[tuple[MemberRow, str]] = []
        with self.system.db() as session:
            tenant = Tenant(name="Bench Works", slug="bench-works", sector=Sector.CREATIVE)
            session.add(tenant)
            for index in range(count):
                member = MemberRow(
                    email=f"member{index}@bench.example.org",
                    name=f"Member {index}",
                    role=Role.MEMBER,
                    tenant=tenant,
                )
                uid = f"04B{index:07X}"
                session.add_all([member, Badge(uid=uid, member=member)])
                rows.append((member, uid))
            session.flush()
            self.members = [Member(m.id, uid) for m, uid in rows]
        return self.members

    def register_devices(self, count: int, *, prefix: str = "door-b") -> list[Device]:
        """Doors of the main entrance, registered as a manager registers them."""
        import sqlalchemy as sa

        from app.models import Member as MemberRow
        from app.models import Role
        from app.services.devices import register_device

        secret_key = str(self.system.app.config["SECRET_KEY"])
        start = len(self.devices)
        with self.system.db() as session:
            manager = session.scalar(sa.select(MemberRow).where(MemberRow.role == Role.MANAGER))
            for index in range(start, start + count):
                dev = f"{prefix}{index:03d}"
                credentials = register_device(
                    actor=manager,
                    id=dev,
                    kind="door",
                    resource_slug=None,
                    now=dt.datetime.now(dt.UTC),
                    sealing_key=secret_key,
                )
                self.devices.append(Device(dev, credentials.password))
        return self.devices[start:]

    # -- the gateway -------------------------------------------------------------------------

    def start_gateway(self) -> int:
        """Start ``incubator gateway`` and wait until it is online; returns its pid."""
        from tests.support.mosquitto import free_port

        config = self.system.app.config
        self.metrics_port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("INCUBATOR_")}
        env.update(
            {
                "INCUBATOR_SQLALCHEMY_DATABASE_URI": self.system.database_url,
                "INCUBATOR_SECRET_KEY": str(config["SECRET_KEY"]),
                "INCUBATOR_MQTT_URL": self.broker.gateway_url,
                "INCUBATOR_SIGNING_KEY_FILE": str(config["SIGNING_KEY_FILE"]),
                "INCUBATOR_BADGE_KEY_FILE": str(config["BADGE_KEY_FILE"]),
                "INCUBATOR_INSTANCE_PATH": str(self.workdir / "gateway" / "instance"),
                "INCUBATOR_GATEWAY_METRICS_PORT": str(self.metrics_port),
                "INCUBATOR_GATEWAY_DYNSEC": "true",
                **self.gateway_env,
            }
        )
        self.gateway_log = self.workdir / "gateway.log"
        with self.gateway_log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "gateway"],
                env=env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_online()
        return self.process.pid

    def _wait_online(self) -> None:
        from bridge_protocol import topics

        name = next(iter(self.bare))
        watcher = connect(self.port, name, self.bare[name])
        online = threading.Event()

        def on_message(_c: Any, _u: Any, message: paho.MQTTMessage) -> None:
            with contextlib.suppress(ValueError):
                if json.loads(message.payload).get("state") == "online":
                    online.set()

        watcher.on_message = on_message
        try:
            subscribe(watcher, topics.SERVER_STATUS)
            deadline = time.monotonic() + WAIT_S
            while not online.wait(0.2):
                if self.process is None or self.process.poll() is not None:
                    raise RuntimeError(f"the gateway exited:\n{self.gateway_tail()}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the gateway did not come online:\n{self.gateway_tail()}")
        finally:
            close(watcher)

    def gateway_tail(self, lines: int = 30) -> str:
        try:
            text = self.gateway_log.read_text(errors="replace")
        except (OSError, AttributeError):
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop_gateway(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)

    def metric(self, name: str) -> float:
        """The sum of one metric's samples on the gateway's metrics page."""
        import urllib.request

        url = f"http://{HOST}:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            text = response.read().decode()
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name) and line[len(name) : len(name) + 1] in ("{", " "):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def wait_accounts(self, devices: list[Device], timeout: float = 120.0) -> None:
        """Until every device can log in (the gateway made their broker accounts)."""
        from tests.support.mqtt_client import try_login

        deadline = time.monotonic() + timeout
        for device in devices:
            while not try_login(HOST, self.port, device.id, device.password, timeout=5):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{device.id} cannot log in:\n{self.gateway_tail()}")
                time.sleep(0.2)

    def signer_public_key(self) -> Any:
        from app.keys import load_signing_key

        return load_signing_key(str(self.system.app.config["SIGNING_KEY_FILE"])).public_key()

    # -- a bare responder in a process of its own ---------------------------------------------

    @contextlib.contextmanager
    def bare_responder(self, mode: str, *, size: int = 0) -> Iterator[subprocess.Popen[str]]:
        """Run this module's `serve` in a child under the last bare account."""
        name = list(self.bare)[-1]
        command = [sys.executable, "-m", "bench.gateway_setup", "--serve", mode]
        command += ["--port", str(self.port), "--user", name, "--size", str(size)]
        env = {**os.environ, "BENCH_BARE_PASSWORD": self.bare[name]}
        with ready_child(
            command, env=env, what=f"the bare {mode} responder", wait_s=WAIT_S
        ) as child:
            yield child


def serve(mode: str, port: int, username: str, size: int) -> int:
    """The bare responder (a child process): ``echo`` or ``count``, until stdin closes."""
    client = connect(port, username, os.environ["BENCH_BARE_PASSWORD"])
    reply = b"r" * size
    if mode == "echo":

        def echo(c: paho.Client, _u: Any, _m: paho.MQTTMessage) -> None:
            c.publish(BARE_RESPONSE, reply, qos=1)

        client.on_message = echo
        subscribe(client, BARE_REQUEST)
        print("ready", flush=True)
        sys.stdin.read()
        close(client)
        return 0
    # count: for each line "N" on stdin, wait for N messages (or 20 s of silence), then
    # print "<monotonic time of the last one> <how many>"
    lock = threading.Lock()
    state = {"count": 0, "last": 0.0}
    changed = threading.Condition(lock)

    def on_message(_c: Any, _u: Any, _m: Any) -> None:
        with lock:
            state["count"] += 1
            state["last"] = time.monotonic()
            changed.notify_all()

    client.on_message = on_message
    subscribe(client, BARE_EVENTS + "#")
    print("ready", flush=True)
    for line in sys.stdin:
        expect = int(line)
        with lock:
            while state["count"] < expect:
                if not changed.wait(20.0):
                    break
            print(f"{state['last']} {state['count']}", flush=True)
            state["count"], state["last"] = 0, 0.0
    close(client)
    return 0


# -- reporting ----------------------------------------------------------------------------------


def add_run_options(parser: argparse.ArgumentParser, quick: str) -> None:
    """The options every gateway benchmark ends with: --pg-url, --quick, --no-write, --doc."""
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--quick", action="store_true", help=quick)
    parser.add_argument("--no-write", action="store_true", help="leave docs/performance.md")
    parser.add_argument("--doc", type=Path, default=DOC)


def machine_line() -> str:
    return (
        f"{cpu_model()}, {os.cpu_count()} CPUs (shared), {system_text()}, "
        f"Mosquitto {mosquitto_version() or '?'}"
    )


def load_line() -> str:
    return "load average " + load_average()


def summary_line(started: float) -> str:
    """The last line of a run: the machine, its load, and how long the run took."""
    return f"{machine_line()}; {load_line()}; {time.monotonic() - started:.0f} s"


def write_section(args: argparse.Namespace, title: str, section: Callable[[], str]) -> None:
    """Replace the script's section of the doc, unless --no-write."""
    if not args.no_write:
        update_doc(args.doc, title, section())
        print(f"wrote the {title[3:]} section of {args.doc}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the bare responder of the gateway benchmarks")
    parser.add_argument("--serve", choices=("echo", "count"), required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--size", type=int, default=0)
    args = parser.parse_args(argv)
    return serve(args.serve, args.port, args.user, args.size)


if __name__ == "__main__":
    sys.exit(main())
