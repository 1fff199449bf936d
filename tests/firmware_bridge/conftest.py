"""Fixtures for the bridge: mock pins, a hand-moved clock, a fake broker link and a fake server.

`make_bridge(kind, **sections)` builds a started `Bridge` on a `ManualScheduler`
and `ManualClock`, with a `FakeLink` that records what the bridge publishes and
a `FakeServer` that signs what the server would send (see support.py).
"""

import os

# Set before anything builds a device, so no test can reach for real pins.
os.environ["GPIOZERO_PIN_FACTORY"] = "mock"

import pytest

from tests.firmware_bridge.support import build_harness


@pytest.fixture
def make_bridge(tmp_path):
    """`make_bridge(kind, online=, synced=, acl=, store_path=, options=, **sections)`."""
    built = []

    def build(kind="door", *, store_path=None, **kwargs):
        path = store_path or tmp_path / f"{kind}-{len(built)}.sqlite3"
        harness = build_harness(kind, path, **kwargs)
        built.append(harness)
        return harness

    yield build
    for harness in built:
        harness.bridge.stop()
