"""End-to-end fixtures: a real server process on its own database, and headless Chromium.

Chromium comes from Debian (`apt-get install chromium`), never from a test
tool's download step; Playwright drives it through `executable_path`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MANAGER_EMAIL = "e2e-manager@example.org"
MANAGER_PASSWORD = "e2e manager password"
# A test module that sets `E2E_SEED_DEMO = True` gets the demo data (`incubator seed-demo`):
# tenants, people (these passwords), the Fablab with its machines, the kitchen, the room.
DEMO_PASSWORD = "e2e demo password"


def chromium_path() -> str | None:
    for candidate in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(env: dict[str, str], *args: str, stdin: str | None = None) -> None:
    subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        input=stdin,
        text=True,
        check=True,
        capture_output=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[str]:
    instance: Path = tmp_path_factory.mktemp("e2e")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCUBATOR_")}
    env.update(
        INCUBATOR_INSTANCE_PATH=str(instance),
        INCUBATOR_SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance / 'e2e.sqlite'}",
        INCUBATOR_PUBLIC_URL=f"http://127.0.0.1:{port}",
    )
    _cli(env, "db", "upgrade")
    _cli(
        env,
        "create-manager",
        MANAGER_EMAIL,
        "--name",
        "E2E Manager",
        "--password-stdin",
        stdin=MANAGER_PASSWORD + "\n",
    )
    if getattr(request.module, "E2E_SEED_DEMO", False):
        _cli(env, "seed-demo", "--password", DEMO_PASSWORD)
    log = (instance / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "run", "--port", str(port), "--no-reload"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # up to a minute: a loaded machine starts the server slowly
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1):  # noqa: S310
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the server did not start: " + (instance / "server.log").read_text())
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    path = chromium_path()
    if path is None:
        pytest.skip("Chromium is not installed: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_FLAGS
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()
