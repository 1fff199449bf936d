"""Real bridges (`firmware_bridge`) against a real broker and the server double.

`BridgeRig` holds one broker and one `ServerDouble` (logged in as the
``gateway`` account) and starts bridges in-process (`start_bridge`) or as the
command-line daemon (`start_daemon`), each with its own device account,
config file and store. `RunningBridge` gives a test what it needs to drive and
observe one bridge: synchronous scans, the relay, the outbox, presence, and a
`wait_until` that polls any condition (never a timing assertion).
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.mosquitto import GATEWAY, Broker
from tests.support.server_double import ServerDouble
from tests.support.server_side import write_bridge_config

WAIT_S = 10.0
ROOT = Path(__file__).resolve().parents[2]
_numbers = itertools.count(1)


def wait_until(condition: Callable[[], Any], timeout: float = WAIT_S, what: str = "") -> Any:
    """Poll `condition` every 20 ms until it returns something truthy; AssertionError if never."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what or condition}")
        time.sleep(0.02)


class RunningBridge:
    """One in-process bridge (`firmware_bridge.daemon.Bridge`) and handles on its parts."""

    def __init__(self, bridge: Any, config_path: Path) -> None:
        self.bridge = bridge
        self.config_path = config_path
        self.dev: str = bridge.dev

    # driving ----------------------------------------------------------------------

    def scan(self, uid: str) -> Any:
        """Present a badge and return the `Decision` (synchronously, in this thread)."""
        return self.bridge.controller.on_badge(uid)

    def relock(self) -> None:
        """Lock the door again now (so that the next grant shows on the relay)."""
        door = self.bridge.door
        if door is not None:
            door.door.lock()

    def stop(self) -> None:
        self.bridge.stop()

    # observing ----------------------------------------------------------------------

    @property
    def relay_energised(self) -> bool:
        if self.bridge.door is not None:
            return bool(self.bridge.door.door.strike.is_energised)
        return bool(self.bridge.machine.interlock.is_enabled)

    @property
    def server_online(self) -> bool:
        return bool(self.bridge.presence.server_online)

    @property
    def connected(self) -> bool:
        return bool(self.bridge.presence.connected)

    @property
    def acl_ver(self) -> int | None:
        return self.bridge.acl.ver

    @property
    def pending(self) -> int:
        return int(self.bridge.store.outbox.counts().pending)

    @property
    def dead(self) -> int:
        return int(self.bridge.store.outbox.counts().dead)

    def route_count(self, route: str, outcome: str) -> int:
        return int(self.bridge.router.count(route, outcome))

    def wait_until(
        self, condition: Callable[[], Any], timeout: float = WAIT_S, what: str = ""
    ) -> Any:
        return wait_until(condition, timeout, f"{self.dev}: {what}")

    def wait_online(self, timeout: float = WAIT_S) -> None:
        self.wait_until(lambda: self.server_online, timeout, "server online")

    def wait_offline(self, timeout: float = WAIT_S) -> None:
        self.wait_until(lambda: not self.server_online, timeout, "server offline")

    def wait_acl(self, ver: int, timeout: float = WAIT_S) -> None:
        self.wait_until(lambda: self.acl_ver == ver, timeout, f"allow-list version {ver}")

    def wait_drained(self, timeout: float = WAIT_S) -> None:
        """Until the outbox is empty: every event acknowledged (or dead-lettered)."""
        self.wait_until(lambda: self.pending == 0, timeout, "an empty outbox")


class Daemon:
    """``python -m firmware_bridge --config FILE --simulate`` as a child process."""

    def __init__(self, process: subprocess.Popen[str], dev: str, log_path: Path) -> None:
        self.process = process
        self.dev = dev
        self.log_path = log_path

    def badge(self, uid: str) -> None:
        """Type a badge on the daemon's standard input (its simulated reader)."""
        assert self.process.stdin is not None
        self.process.stdin.write(uid + "\n")
        self.process.stdin.flush()

    def terminate(self, timeout: float = WAIT_S) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        finally:
            self.kill()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(WAIT_S)
        if self.process.stdin is not None:
            self.process.stdin.close()

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


class BridgeRig:
    def __init__(self, broker: Broker, workdir: Path) -> None:
        self.broker = broker
        self.workdir = workdir
        self.server = ServerDouble.for_broker(broker, GATEWAY).start()
        self.bridges: list[RunningBridge] = []
        self.daemons: list[Daemon] = []

    def new_device(self, kind: str = "door") -> str:
        dev = f"{kind}-r{next(_numbers)}"
        self.broker.add_device(dev)
        return dev

    def config(self, dev: str, *, kind: str = "door", **options: Any) -> Path:
        path = self.workdir / f"{dev}.toml"
        write_bridge_config(
            path, dev=dev, broker=self.broker, server=self.server, kind=kind, **options
        )
        return path

    def start_bridge(
        self,
        dev: str | None = None,
        *,
        kind: str = "door",
        clock: str = "sync",
        wait_online: bool = True,
        bridge_options: dict[str, Any] | None = None,
        **options: Any,
    ) -> RunningBridge:
        """A started in-process bridge; by default waits until it sees the server online.

        `options` go to `write_bridge_config`; `bridge_options` to `BridgeOptions`
        (the housekeeping pump and the status republish run every 0.5 s here,
        against 5 s in production, so resends and counts show up quickly).
        """
        from bridge_protocol.config import load_config
        from firmware_bridge.daemon import Bridge, BridgeOptions

        dev = dev or self.new_device(kind)
        path = self.config(dev, kind=kind, **options)
        settings: dict[str, Any] = {"housekeeping_s": 0.5, "status_interval_s": 0.5}
        settings.update(bridge_options or {})
        bridge = Bridge(
            load_config(path), options=BridgeOptions(simulate=True, clock=clock, **settings)
        )
        running = RunningBridge(bridge, path)
        self.bridges.append(running)
        bridge.start()
        if wait_online:
            running.wait_online()
        return running

    def start_daemon(self, dev: str | None = None, *, kind: str = "door", **options: Any) -> Daemon:
        dev = dev or self.new_device(kind)
        path = self.config(dev, kind=kind, **options)
        log_path = self.workdir / f"{dev}.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "firmware_bridge", "--config", str(path), "--simulate"],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
                cwd=ROOT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        daemon = Daemon(process, dev, log_path)
        self.daemons.append(daemon)
        return daemon

    def close(self) -> None:
        for running in self.bridges:
            running.stop()
        for daemon in self.daemons:
            daemon.kill()
        self.server.close()
