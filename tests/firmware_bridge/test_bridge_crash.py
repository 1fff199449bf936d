"""SIGKILL during heavy outbox writes: the store stays intact and nothing written is lost."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from firmware_bridge.store import Store

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("threads", [1, 4])
def test_sigkill_during_heavy_writes_loses_nothing(tmp_path, threads):
    path = tmp_path / "crash.sqlite3"
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.firmware_bridge.crash_writer", str(path), str(threads)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    reported = []
    try:
        while len(reported) < 300:
            line = child.stdout.readline()
            assert line, "the writer died on its own"
            reported.append(line.strip())
        os.kill(child.pid, signal.SIGKILL)  # in the middle of writing
        rest, _ = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    # A line cut off by the kill is not a report of a finished write.
    lines = rest.split("\n")
    reported += [line for line in lines[:-1] if line]

    store = Store(path)
    try:
        assert store.integrity_ok()
        stored = set(store.outbox.ids())
        assert [i for i in reported if i not in stored] == []
        assert len(stored) >= len(reported)
    finally:
        store.close()
