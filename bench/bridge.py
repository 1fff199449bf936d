"""Bridge latency benchmark: one run, a baseline and two measurements, all on 127.0.0.1.

    .venv/bin/python -m bench.bridge [--rounds 1000] [--no-docs]

1. **baseline**: a bare MQTT request/response through a Mosquitto started for
   the run (two paho clients, QoS 1, TCP_NODELAY on both sockets and on the
   broker): the floor any online decision stands on.
2. **(a) offline decision**: badge to relay energised, decided from the cached
   allow-list (a door controller in-process, mock pins, no broker). Target:
   p99 under 5 ms.
3. **(b) online decision**: badge to relay energised through the broker, a
   trivial responder granting with a signed response. Target: p99 within 2x
   the baseline's p99.

"Relay energised" is stamped by the strike's mock pin at the moment the driver
sets it, so the event written after the relay is not counted. The results are
printed as a table and written to the "Bridge" section of docs/performance.md
(other sections are kept). This is a benchmark, not a test: it asserts nothing
and exits 0 whatever the figures; a missing mosquitto binary skips the MQTT parts.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also as `python bench/bridge.py`

from gpiozero.pins.mock import MockFactory, MockPin

from bench.common import (
    DOC,
    cpu_model,
    load_average,
    mosquitto_version,
    pct,
    ready_child,
    system_text,
    update_doc,
    wait_for,
)
from bridge_protocol import topics
from bridge_protocol.config import load_config
from bridge_protocol.keys import (
    generate_badge_key,
    generate_signing_key,
    load_badge_key,
    load_signing_key,
    save_badge_key,
    save_signing_key,
)
from tests.support.mosquitto import Broker, find_mosquitto
from tests.support.mqtt_client import close_wakeup_sockets, new_paho_client
from tests.support.server_double import AuthReply, ServerDouble, always
from tests.support.server_side import ServerSide, write_bridge_config

SECTION = "## Bridge"
UID = "04A22B1C"
MEMBER = 42
OFFLINE_TARGET_MS = 5.0
ONLINE_RATIO_TARGET = 2.0
WAIT_S = 10.0
PAUSE_S = 0.002  # between rounds: a reader is not a load generator
log = logging.getLogger("bench.bridge")


# Measuring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    name: str
    samples_ms: list[float]
    lost: int = 0

    def pct(self, q: float) -> float:
        return pct(self.samples_ms, q)

    @property
    def n(self) -> int:
        return len(self.samples_ms)


class StampedPin(MockPin):
    """A mock pin that notes when its output last went high (the relay energised)."""

    energised_ns: int | None = None

    def _change_state(self, value: bool) -> bool:
        changed = bool(super()._change_state(value))
        if changed and value and self._function == "output":
            self.energised_ns = time.perf_counter_ns()
        return changed


def stamped_factory() -> MockFactory:
    return MockFactory(pin_class=StampedPin)


# The responder: a process of its own, as the gateway is on another machine ---------------

REQUEST_PAYLOAD = b"x" * 180  # about an AccessRequest
RESPONSE_PAYLOAD = b"y" * 420  # about a signed AccessResponse


def serve(mode: str, port: int, username: str, dev: str, keydir: Path) -> int:
    """The child process: answer `dev`'s requests until standard input closes.

    ``echo``: publish a fixed payload back (the baseline). ``grant``: the server
    double with a policy that grants everything with a signed response, acks
    events and keeps ``server/status`` online (the trivial responder of (b)).
    """
    password = os.environ["BENCH_RESPONDER_PASSWORD"]
    if mode == "echo":
        with _connected("127.0.0.1", port, username, password) as client:
            client.on_message = lambda c, _u, _m: c.publish(
                topics.auth_response(dev), RESPONSE_PAYLOAD, qos=1
            )
            _subscribe(client, topics.auth_request(dev))
            print("ready", flush=True)
            sys.stdin.read()
        return 0
    server = ServerDouble(
        "127.0.0.1",
        port,
        username,
        password,
        signing_key=load_signing_key(keydir / "signing.key"),
        site_badge_key=load_badge_key(keydir / "badge.key"),
    ).start()
    try:
        server.auth_policy = always(AuthReply.grant(MEMBER))
        server.publish_allow_list(
            dev, server.make_allow_list(dev, [server.entry(dev, UID, MEMBER)])
        )
        print("ready", flush=True)
        sys.stdin.read()
    finally:
        server.close()
    return 0


@contextlib.contextmanager
def responder(
    broker: Broker, mode: str, dev: str, keydir: Path, username: str = "bench-responder"
) -> Iterator[None]:
    """Run `serve` in a child process under a server account of its own; stop it after."""
    account = broker.add_server(username)
    command = [sys.executable, str(Path(__file__).resolve()), "--serve", mode]
    command += ["--port", str(broker.port), "--user", username, "--dev", dev, "--keys", str(keydir)]
    env = {**os.environ, "BENCH_RESPONDER_PASSWORD": account.password}
    with ready_child(command, env=env, what=f"the {mode} responder", wait_s=WAIT_S):
        yield


# 1. Baseline ------------------------------------------------------------------------------


def bench_baseline(broker: Broker, keydir: Path, rounds: int, warmup: int) -> Result:
    dev = "bench-base"
    account = broker.add_device(dev)
    arrived = threading.Event()
    stamp: list[int] = [0]

    def received(_c: Any, _u: Any, _m: Any) -> None:
        stamp[0] = time.perf_counter_ns()
        arrived.set()

    with (
        responder(broker, "echo", dev, keydir, "bench-echo"),
        _connected(broker.host, broker.port, dev, account.password) as requester,
    ):
        requester.on_message = received
        _subscribe(requester, topics.auth_response(dev))
        samples, lost = [], 0
        for i in range(warmup + rounds):
            arrived.clear()
            start = time.perf_counter_ns()
            requester.publish(topics.auth_request(dev), REQUEST_PAYLOAD, qos=1)
            if not arrived.wait(2.0):
                lost += 1
                continue
            if i >= warmup:
                samples.append((stamp[0] - start) / 1e6)
            time.sleep(PAUSE_S)
    return Result("baseline: bare MQTT request/response", samples, lost)


@contextlib.contextmanager
def _connected(host: str, port: int, username: str, password: str) -> Iterator[Any]:
    client = new_paho_client(username)
    client.username_pw_set(username, password)
    ready = threading.Event()
    client.on_connect = lambda *_a: ready.set()
    client.connect(host, port, keepalive=30)
    client.loop_start()
    try:
        if not ready.wait(WAIT_S):
            raise RuntimeError(f"{username} could not connect")
        yield client
    finally:
        client.disconnect()
        client.loop_stop()
        close_wakeup_sockets(client)


def _subscribe(client: Any, topic: str) -> None:
    done = threading.Event()
    client.on_subscribe = lambda *_a: done.set()
    client.subscribe(topic, qos=1)
    if not done.wait(WAIT_S):
        raise RuntimeError(f"no SUBACK for {topic}")


# 2 and 3. The bridge ----------------------------------------------------------------------


class OfflineLink:
    """A link that never connects: every decision is made from the cache."""

    connected = False

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> bool:
        return False

    def resubscribe(self) -> None:
        pass


def _bridge_config(workdir: Path, server: ServerSide, dev: str, **where: Any) -> Any:
    path = workdir / f"{dev}.toml"
    write_bridge_config(
        path,
        dev=dev,
        server=server,
        overrides={"door": {"unlock_s": 1}, "log": {"level": "WARNING"}},
        **where,
    )
    return load_config(path)


def _measure_door(bridge: Any, rounds: int, warmup: int, name: str, mode: str) -> Result:
    door = bridge.door
    pin = door.door.strike.pin
    samples, lost = [], 0
    for i in range(warmup + rounds):
        door.door.lock()
        pin.energised_ns = None
        start = time.perf_counter_ns()
        decision = door.on_badge(UID)
        stamped = pin.energised_ns
        if decision is None or not decision.granted or decision.mode != mode or stamped is None:
            lost += 1
            continue
        if i >= warmup:
            samples.append((stamped - start) / 1e6)
        _settle(bridge)
    door.door.lock()
    return Result(name, samples, lost)


def _settle(bridge: Any) -> None:
    """Let the previous scan's event go out and be acked: badges come seconds apart."""
    time.sleep(PAUSE_S)
    if bridge.link.connected:
        deadline = time.monotonic() + 1.0
        while bridge.store.outbox.counts().pending and time.monotonic() < deadline:
            time.sleep(0.001)


def bench_offline(workdir: Path, rounds: int, warmup: int) -> Result:
    from firmware_bridge.daemon import Bridge, BridgeOptions

    dev = "bench-offline"
    server = ServerSide()
    # port 9 (discard): nothing listens, and the offline link never dials anyway
    config = _bridge_config(workdir, server, dev, url="mqtt://127.0.0.1:9", password="unused")
    bridge = Bridge(
        config,
        options=BridgeOptions(simulate=True, clock="sync"),
        link=OfflineLink(),
        pin_factory=stamped_factory(),
    )
    bridge.start()
    try:
        acl = server.make_allow_list(dev, [server.entry(dev, UID, MEMBER)])
        bridge.acl.apply(server.sign(acl))
        return _measure_door(bridge, rounds, warmup, "(a) offline decision, cache", "offline")
    finally:
        bridge.stop()


def bench_online(broker: Broker, keydir: Path, rounds: int, warmup: int) -> Result:
    from firmware_bridge.daemon import Bridge, BridgeOptions

    dev = "bench-online"
    broker.add_device(dev)
    server = ServerSide(
        signing_key=load_signing_key(keydir / "signing.key"),
        site_badge_key=load_badge_key(keydir / "badge.key"),
    )
    config = _bridge_config(keydir.parent, server, dev, broker=broker)
    with responder(broker, "grant", dev, keydir):
        bridge = Bridge(
            config,
            options=BridgeOptions(simulate=True, clock="sync"),
            pin_factory=stamped_factory(),
        )
        bridge.start()
        try:
            wait_for(
                lambda: bridge.presence.server_online and bridge.acl.ver is not None,
                WAIT_S,
                "the bridge did not get ready",
                interval=0.02,
            )
            return _measure_door(
                bridge, rounds, warmup, "(b) online decision, via broker", "online"
            )
        finally:
            bridge.stop()


def make_keys(keydir: Path) -> None:
    keydir.mkdir(parents=True, exist_ok=True)
    save_signing_key(keydir / "signing.key", generate_signing_key())
    save_badge_key(keydir / "badge.key", generate_badge_key())


# Reporting ------------------------------------------------------------------------------


def table(results: list[Result], baseline: Result | None) -> str:
    head = "| measurement | n | p50 ms | p95 ms | p99 ms | p99 / baseline p99 | target |"
    lines = [head, "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for result in results:
        ratio, target = "", ""
        if baseline is not None and baseline.n and result is not baseline:
            ratio = f"{result.pct(99) / baseline.pct(99):.2f}x"
        if result.name.startswith("(a)"):
            ok = result.pct(99) < OFFLINE_TARGET_MS
            target = f"p99 < {OFFLINE_TARGET_MS:g} ms: {'met' if ok else 'MISSED'}"
        elif result.name.startswith("(b)") and baseline is not None and baseline.n:
            ok = result.pct(99) <= ONLINE_RATIO_TARGET * baseline.pct(99)
            target = f"<= {ONLINE_RATIO_TARGET:g}x baseline: {'met' if ok else 'MISSED'}"
        lost = f" ({result.lost} lost)" if result.lost else ""
        lines.append(
            f"| {result.name}{lost} | {result.n} | {result.pct(50):.3f} | {result.pct(95):.3f} "
            f"| {result.pct(99):.3f} | {ratio} | {target} |"
        )
    return "\n".join(lines)


def machine_line() -> str:
    return (
        f"{cpu_model()}, {os.cpu_count()} CPUs, {system_text()}, "
        f"Mosquitto {mosquitto_version() or 'not installed'} (load average {load_average()})"
    )


def busy_note() -> str:
    load = os.getloadavg()[0]
    if load <= (os.cpu_count() or 1):
        return ""
    return (
        "\nThe machine was shared and busy during this run (load average above its CPU "
        "count): the tails (p95, p99) are noisy; rerun on a quiet machine before comparing."
    )


def section_text(results: list[Result], baseline: Result | None, rounds: int, note: str) -> str:
    today = dt.date.today().isoformat()
    return f"""{SECTION}

`bench/bridge.py`, run with `.venv/bin/python -m bench.bridge` (under a minute;
`--rounds N` changes the {rounds} round trips per measurement). Everything runs on
127.0.0.1 against a Mosquitto the script starts with the test configuration
(`tests/support/mosquitto.py`: passwords, ACL, `set_tcp_nodelay true`).

* **baseline**: two paho clients, one publishes a request (QoS 1) and waits for the
  other's response (QoS 1); Nagle off on every socket. The floor of any online decision.
* **(a) offline decision**: `DoorController.on_badge` with mock pins and no broker,
  deciding from the cached allow-list; timed from the call to the moment the
  strike's pin goes high. Target: p99 under {OFFLINE_TARGET_MS:g} ms.
* **(b) online decision**: the same through a real bridge connected to the broker,
  with a trivial responder (the test suite's server double, granting every request
  with a signed response); timed to the strike's pin. Target: p99 within
  {ONLINE_RATIO_TARGET:g}x the baseline's p99.

The responder runs in a process of its own in both MQTT measurements, as the
gateway runs on another machine. Each round is one isolated badge: the next starts
{PAUSE_S * 1000:g} ms after the previous one's event was acknowledged, since badges
come seconds apart. What (b) adds to the baseline is mostly Ed25519 (the responder
signs, about 0.1 ms here; the bridge verifies, about 0.25 ms), pydantic validation
on both sides and one more thread hand-off (the network thread wakes the badge thread).

Measured {today} on {machine_line()}.

{table(results, baseline)}
{busy_note()}{note}"""


NEW_DOC = (  # docs/performance.md's start, when this is the first benchmark to write it
    "# Performance\n\n"
    "Benchmarks live in `bench/`; each is a script that starts what it needs,\n"
    "runs on 127.0.0.1, prints its figures with ratios against a baseline measured\n"
    "in the same run, and refreshes its own section below. They are not tests:\n"
    "nothing fails when a figure is slow. Figures depend on the machine; compare\n"
    "ratios, not milliseconds.\n"
)


# Main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=1000, help="round trips per measurement")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--no-docs", action="store_true", help="do not touch docs/performance.md")
    parser.add_argument("--doc", type=Path, default=DOC)
    parser.add_argument("--serve", choices=("echo", "grant"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--user", help=argparse.SUPPRESS)
    parser.add_argument("--dev", help=argparse.SUPPRESS)
    parser.add_argument("--keys", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return serve(args.serve, args.port, args.user, args.dev, args.keys)
    rounds, warmup = max(args.rounds, 10), max(args.warmup, 0)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    results: list[Result] = []
    notes: list[str] = []
    baseline: Result | None = None
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-bridge-") as tmp:
        workdir = Path(tmp)
        keydir = workdir / "keys"
        make_keys(keydir)
        bridge_ready = _bridge_available(notes)
        if bridge_ready:
            print("(a) offline decision ...", flush=True)
            results.append(bench_offline(workdir, rounds, warmup))
        if find_mosquitto() is None:
            notes.append("MQTT parts skipped: mosquitto is not installed.")
        else:
            with Broker(workdir / "broker", verbose_log=False) as broker:
                print("baseline ...", flush=True)
                baseline = bench_baseline(broker, keydir, rounds, warmup)
                results.insert(0, baseline)
                if bridge_ready:
                    print("(b) online decision ...", flush=True)
                    results.append(bench_online(broker, keydir, rounds, warmup))
    note = "\n".join(f"\n{n}" for n in notes)
    print()
    print(table(results, baseline))
    print(f"\n{machine_line()}; {time.monotonic() - started:.1f} s{note}")
    if not args.no_docs and results:
        update_doc(args.doc, SECTION, section_text(results, baseline, rounds, note), NEW_DOC)
        print(f"\nwrote the Bridge section of {args.doc}")
    return 0


def _bridge_available(notes: list[str]) -> bool:
    try:
        import firmware_bridge.daemon  # noqa: F401
    except ImportError as exc:
        notes.append(f"Bridge parts skipped: firmware_bridge is not importable ({exc}).")
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
