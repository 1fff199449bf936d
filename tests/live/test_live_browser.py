"""The managers' dashboard in headless Chromium: a badge scanned at a door appears by itself.

A real server process on its own SQLite database; the test stores device events
into that database through the gateway's ingest path (as the gateway would) and
watches the page, which only polls `/dashboard/live.json`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import make_test_app
from tests.e2e.conftest import (
    MANAGER_EMAIL,
    MANAGER_PASSWORD,
    browser_page,
    chromium,
    free_port,
    prepare_site,
    server_env,
    serving,
)
from tests.gateway.helpers import DeviceEvents

pytestmark = pytest.mark.e2e

DOOR = "door-e2e"


class Site:
    def __init__(self, base: str, app: Flask) -> None:
        self.base = base
        self.app = app
        self.events = DeviceEvents(DOOR)

    def scan(self, badge: str) -> None:
        """The door reports a refused unknown badge; stored as the gateway stores it."""
        from app.extensions import db
        from app.services.device_events.resolve import Resolver
        from app.services.device_events.store import Outcome, ingest_event

        now = dt.datetime.now(dt.UTC)
        with self.app.app_context():
            result = ingest_event(
                self.events.decision(badge, granted=False, at=now),
                device_id=DOOR,
                received_at=now,
                resolver=Resolver(),
            )
            assert result.outcome is Outcome.STORED
            db.session.commit()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    instance: Path = tmp_path_factory.mktemp("live-e2e")
    port = free_port()
    database = f"sqlite:///{instance / 'live.sqlite'}"
    env = server_env(instance, port, database, INCUBATOR_LIVE_POLL_SECONDS="1")
    prepare_site(env)
    saved = os.environ.get("INCUBATOR_INSTANCE_PATH")
    app = make_test_app(database, instance)
    if saved is None:  # make_test_app points it at this instance; put it back
        os.environ.pop("INCUBATOR_INSTANCE_PATH", None)
    else:
        os.environ["INCUBATOR_INSTANCE_PATH"] = saved
    _add_door(app)
    try:
        with serving(env, port, instance) as base:
            yield Site(base, app)
    finally:
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()


def _add_door(app: Flask) -> None:
    from app.extensions import db
    from app.models import Device, DeviceKind

    with app.app_context():
        db.session.add(Device(id=DOOR, kind=DeviceKind.DOOR, label="Side entrance", online=True))
        db.session.commit()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as instance:
        yield instance


@pytest.fixture
def page(browser: Any, site: Site) -> Iterator[Any]:
    with browser_page(browser, site.base) as page:
        yield page


def test_the_dashboard_shows_a_new_scan_without_a_reload(page: Any, site: Site) -> None:
    site.scan("04AA0000000001")
    page.goto("/login")
    page.get_by_label("E-mail address").fill(MANAGER_EMAIL)
    page.get_by_label("Password").fill(MANAGER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    events = page.locator("#live-events")
    events.get_by_text("Side entrance").first.wait_for()
    assert events.locator("tr").count() == 1
    loaded_at = page.evaluate("performance.timeOrigin")

    # Nothing new yet: the page asks and is told so, without a body.
    with page.expect_response(lambda r: "live.json" in r.url and r.status == 304):
        pass
    site.scan("04BB0000000002")

    page.locator("#live-events tr.new").first.wait_for()
    rows = events.locator("tr")
    assert rows.count() == 2
    assert re.search("unknown badge", rows.first.inner_text())
    assert page.evaluate("performance.timeOrigin") == loaded_at  # the same page, not reloaded


def test_an_unknown_badge_scanned_at_a_door_fills_the_badge_form(page: Any, site: Site) -> None:
    site.scan("04CC0000000003")
    page.goto("/login")
    page.get_by_label("E-mail address").fill(MANAGER_EMAIL)
    page.get_by_label("Password").fill(MANAGER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name=re.compile("Welcome")).wait_for()
    page.goto("/badges/new")
    offered = page.locator("#unknown-badges li").filter(has_text="Side entrance")
    assert offered.count() >= 1

    offered.first.get_by_role("link", name="Use this badge").click()

    assert page.get_by_label("Badge number").input_value() == "04CC0000000003"
    assert page.get_by_label("Number format").input_value() == "hex"
    assert page.url.endswith("/badges/new")  # filled in place, no reload
