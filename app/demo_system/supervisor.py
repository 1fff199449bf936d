"""The demo's child processes: started in order, watched, restarted, stopped in reverse order.

Each child runs in a process group of its own (so a Ctrl-C in the terminal
reaches only the demo, which then stops the children in order: simulated Pis
first, the broker last) and, on Linux, is sent SIGTERM by the kernel should
the demo itself die without cleaning up. Its standard output and error go,
line by line, to ``<log dir>/<name>.log``; lines that look like warnings or
errors are also echoed to the terminal with the child's name in front (every
line with ``verbose``).

A child started with ``restart_after`` is started again that many seconds
after it ends on its own, as systemd does for the gateway in production (so
killing the gateway shows the Pis deciding offline, then catching up). One
that keeps dying (`MAX_RESTARTS` times in a row, each within
`STABLE_AFTER_S` of its start) counts as failed; a child without a restart
policy fails the demo when it ends.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

STOP_TIMEOUT_S = 10.0
MAX_RESTARTS = 5
STABLE_AFTER_S = 30.0
_PR_SET_PDEATHSIG = 1
_ALARMING = re.compile(r"\b(WARNING|ERROR|CRITICAL|Traceback)\b")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: SIGTERM this child when the demo process ends, however it ends."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path | None
    log_path: Path
    restart_after: float | None
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    died_at: float | None = None
    restarts: int = 0
    stopping: bool = False
    _pumps: list[threading.Thread] = field(default_factory=list, repr=False)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.process.returncode if self.process is not None else None

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


class Supervisor:
    def __init__(
        self,
        log_dir: Path,
        *,
        verbose: bool = False,
        echo: Callable[[str], None] | None = None,
    ) -> None:
        self.log_dir = log_dir
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.verbose = verbose
        self._echo = echo or (lambda line: print(line, file=sys.stderr, flush=True))
        self.children: list[Child] = []
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None
        self._closing = threading.Event()
        self.failed = threading.Event()

    # -- starting ---------------------------------------------------------------------------

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: Path | None = None,
        restart_after: float | None = None,
    ) -> Child:
        """Start `argv` as child `name` (its log: ``<name>.log``)."""
        child = Child(
            name=name,
            argv=list(argv),
            env=dict(env),
            cwd=cwd,
            log_path=self.log_dir / f"{name}.log",
            restart_after=restart_after,
        )
        self._spawn(child)
        with self._lock:
            self.children.append(child)
        return child

    def _spawn(self, child: Child) -> None:
        child.process = subprocess.Popen(  # noqa: S603 - our own interpreter and the broker
            child.argv,
            env=child.env,
            cwd=child.cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        child.started_at, child.died_at = time.monotonic(), None
        pump = threading.Thread(
            target=self._pump, args=(child, child.process), name=f"log-{child.name}", daemon=True
        )
        child._pumps.append(pump)
        pump.start()

    def _pump(self, child: Child, process: subprocess.Popen[bytes]) -> None:
        stream: IO[bytes] | None = process.stdout
        if stream is None:
            return
        with child.log_path.open("ab") as log:
            for raw in iter(stream.readline, b""):
                log.write(raw)
                log.flush()
                line = raw.decode("utf-8", "replace").rstrip()
                # once asked to stop, a child's goodbye noise stays in its log
                quiet = child.stopping and not self.verbose
                if line and not quiet and (self.verbose or _ALARMING.search(line)):
                    self._echo(f"[{child.name}] {line}")
        stream.close()

    # -- watching ---------------------------------------------------------------------------

    def watch(self) -> None:
        """From now on, restart the children that have a restart policy and report the others."""
        self._watcher = threading.Thread(target=self._watch, name="demo-watch", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        while not self._closing.wait(0.5):
            for child in list(self.children):
                if not child.stopping and not child.running():
                    self._ended(child, time.monotonic())

    def _ended(self, child: Child, now: float) -> None:
        if child.restart_after is None or child.restarts >= MAX_RESTARTS:
            child.stopping = True  # report once
            self._echo(
                f"demo: {child.name} (pid {child.pid}) exited with code {child.returncode}; "
                f"last lines of {child.log_path}:\n{child.log_tail()}"
            )
            self.failed.set()
            return
        if child.died_at is None:
            child.died_at = now
            stable = now - child.started_at >= STABLE_AFTER_S
            child.restarts = 0 if stable else child.restarts + 1
            self._echo(
                f"demo: {child.name} exited with code {child.returncode}; "
                f"starting it again in {child.restart_after:.0f} s"
            )
            return
        if now - child.died_at >= child.restart_after:
            with self._lock:
                if self._closing.is_set():
                    return
                self._spawn(child)
            self._echo(f"demo: {child.name} started again (pid {child.pid})")

    # -- stopping ---------------------------------------------------------------------------

    def stop_all(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """SIGTERM the children in reverse start order, each group, and wait; SIGKILL stragglers.

        Children started together (the Pis) are asked together, then awaited.
        """
        self._closing.set()
        with self._lock:
            children = list(reversed(self.children))
        for batch in _batches(children):
            for child in batch:
                child.stopping = True
                _signal_group(child, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            for child in batch:
                if child.process is None:
                    continue
                try:
                    child.process.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    self._echo(f"demo: {child.name} did not stop in {timeout:.0f} s; killed")
                    _signal_group(child, signal.SIGKILL)
                    child.process.wait(5)
        for child in children:
            for pump in child._pumps:
                pump.join(2)


def _batches(children: list[Child]) -> list[list[Child]]:
    """Consecutive children with the same name prefix (``pi-...``) stop together."""
    batches: list[list[Child]] = []
    for child in children:
        group = child.name.split("-", 1)[0]
        if batches and batches[-1][0].name.split("-", 1)[0] == group:
            batches[-1].append(child)
        else:
            batches.append([child])
    return batches


def _signal_group(child: Child, signum: int) -> None:
    """The child's whole process group (it leads it): nothing it started stays behind."""
    if child.process is None or child.process.poll() is not None:
        return
    try:
        os.killpg(child.pid, signum)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            child.process.send_signal(signum)
