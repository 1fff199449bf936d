"""Fixtures of the demo tests: `start_demo` runs `incubator demo` and stops it after the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.demo.demo_process import RunningDemo, launch


@pytest.fixture
def start_demo(tmp_path: Path) -> Iterator[Callable[..., RunningDemo]]:
    started: list[RunningDemo] = []

    def start(broker: str = "auto") -> RunningDemo:
        directory = tmp_path / f"demo-{len(started)}"
        directory.mkdir()
        demo = launch(directory, broker)
        started.append(demo)
        return demo

    yield start
    for demo in started:
        demo.close()
