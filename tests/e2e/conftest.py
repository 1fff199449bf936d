"""End-to-end fixtures: a real server process on its own database, and headless Chromium.

Chromium comes from Debian (`apt-get install chromium`), never from a test
tool's download step; Playwright drives it through `executable_path`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.mosquitto import free_port  # also for the browser tests elsewhere

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


def server_env(instance: Path, port: int, database: str, **extra: str) -> dict[str, str]:
    """The environment of a server process on `port` with its own instance and database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCUBATOR_")}
    env.update(
        INCUBATOR_INSTANCE_PATH=str(instance),
        INCUBATOR_SQLALCHEMY_DATABASE_URI=database,
        INCUBATOR_PUBLIC_URL=f"http://127.0.0.1:{port}",
        **extra,
    )
    return env


def prepare_site(env: dict[str, str], *, seed_demo: bool = False) -> None:
    """Migrate the database and create the manager (and the demo data, if asked)."""
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
    if seed_demo:
        _cli(env, "seed-demo", "--password", DEMO_PASSWORD)


@contextmanager
def serving(env: dict[str, str], port: int, instance: Path) -> Iterator[str]:
    """`incubator run` on `port` until the block ends; its base URL once it answers."""
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


@contextmanager
def chromium() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (the test is skipped without it)."""
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


@contextmanager
def browser_page(browser: Any, base_url: str) -> Iterator[Any]:
    """A page in a context of its own (English, 15 s timeouts), closed after the block."""
    context = browser.new_context(base_url=base_url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture(scope="module")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[str]:
    instance: Path = tmp_path_factory.mktemp("e2e")
    port = free_port()
    env = server_env(instance, port, f"sqlite:///{instance / 'e2e.sqlite'}")
    prepare_site(env, seed_demo=getattr(request.module, "E2E_SEED_DEMO", False))
    with serving(env, port, instance) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as instance:
        yield instance


@pytest.fixture
def page(browser, live_server):  # type: ignore[no-untyped-def]
    with browser_page(browser, live_server) as page:
        yield page
