"""`incubator demo` as a user starts it: a subprocess with its own instance directory and ports.

`launch` runs the command with a fresh SQLite database under a temporary
instance directory, free ports for the web app and the broker, and waits
until the web app answers. `WebSession` is a browser without a browser: a
cookie jar, forms posted with the CSRF token scraped from the page.
"""

from __future__ import annotations

import contextlib
import html
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 120.0
PASSWORD = "demo-password"
MANAGER = "manager@example.org"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], Any], timeout: float = 20.0, step: float = 0.2) -> Any:
    """The first truthy value of `condition()`, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"not true within {timeout} s: {condition}")
        time.sleep(step)


def descendants(pid: int) -> set[int]:
    """Every living process below `pid` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class WebSession:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + path))  # noqa: S310

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.base + path, data=body, method="POST")  # noqa: S310
        return self._open(request)

    def _open(self, request: urllib.request.Request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def submit(self, page_path: str, action: str, data: dict[str, str]) -> tuple[int, str]:
        """Load the form's page, take its CSRF token, post `data` to `action`."""
        status, page = self.get(page_path)
        assert status == 200, page[:500]
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
            r'name="csrf_token" value="([^"]+)"', page
        )
        assert token, "no CSRF token on " + page_path
        return self.post(action, {"csrf_token": html.unescape(token.group(1)), **data})

    def log_in(self, email: str = MANAGER, password: str = PASSWORD) -> None:
        status, page = self.submit("/login", "/login", {"email": email, "password": password})
        assert status == 200, page[:500]
        assert 'action="/logout"' in page, "not logged in: " + page[:500]


@dataclass
class RunningDemo:
    process: subprocess.Popen[bytes]
    instance: Path
    port: int
    mqtt_port: int
    log_path: Path
    env: dict[str, str]
    token: str = ""
    _descendants: set[int] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def web(self) -> WebSession:
        return WebSession(self.url)

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout

    def api(self, path: str) -> Any:
        if not self.token:
            self.token = self.cli("api-token", "create", MANAGER).strip().splitlines()[-1]
        headers = {"Authorization": f"Bearer {self.token}"}
        request = urllib.request.Request(self.url + path, headers=headers)  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.loads(response.read())

    def children(self) -> set[int]:
        return descendants(self.process.pid)

    def stop(self, timeout: float = 60.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def close(self) -> None:
        """Stop it whatever state it is in, and anything it left."""
        leftovers = self.children() if self.process.poll() is None else set()
        with contextlib.suppress(Exception):
            self.stop(30)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        for pid in leftovers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _web_answers(demo: RunningDemo) -> bool:
    if demo.process.poll() is not None:
        pytest.fail(f"incubator demo exited with {demo.process.returncode}:\n{demo.log()[-4000:]}")
    with (
        contextlib.suppress(OSError),
        urllib.request.urlopen(demo.url + "/healthz", timeout=2) as response,  # noqa: S310
    ):
        return bool(response.status == 200)
    return False


def launch(directory: Path, broker: str = "auto") -> RunningDemo:
    """Start `incubator demo` with its instance under `directory`; wait until its web answers."""
    instance = directory / "instance"
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCUBATOR_")}
    env.update(INCUBATOR_INSTANCE_PATH=str(instance), INCUBATOR_DEMO_BROKER=broker)
    port, mqtt_port = free_port(), free_port()
    log_path = directory / "demo.log"
    argv = [sys.executable, "-m", "app.cli", "demo", "--port", str(port)]
    argv += ["--mqtt-port", str(mqtt_port), "--password", PASSWORD]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
    demo = RunningDemo(process, instance, port, mqtt_port, log_path, env)
    try:
        wait_until(lambda: _web_answers(demo), START_TIMEOUT_S, step=0.5)
    except BaseException:
        demo.close()
        raise
    return demo
