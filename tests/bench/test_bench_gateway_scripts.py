"""The gateway benchmarks run end to end on a tiny load (no figures are judged here).

Each script starts a real Mosquitto (`incubator mqtt write-config`), the real
gateway process and its devices; this only checks that a short run finishes,
prints its table and that nothing was lost or answered wrongly, so the scripts
do not rot between the occasions someone measures with them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import mosquitto

pytestmark = pytest.mark.mqtt
ROOT = Path(__file__).resolve().parents[2]


def run(script: str, *args: str) -> str:
    mosquitto.require_mosquitto()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCUBATOR_")}
    if os.environ.get("INCUBATOR_TEST_DATABASE_URL"):
        args = (*args, "--pg-url", os.environ["INCUBATOR_TEST_DATABASE_URL"])
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args, "--no-write"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result.stdout


def database() -> str:
    return "postgresql" if os.environ.get("INCUBATOR_TEST_DATABASE_URL") else "sqlite"


def test_access_benchmark_answers_every_request_rightly():
    out = run("access.py", "--rounds", "20", "--warmup", "2", "--database", database())

    assert "| access request: broker + gateway + database | 20 |" in out
    assert "unanswered" not in out  # the row names unanswered or wrong answers only if any


def test_ingest_benchmark_stores_and_acks_every_event():
    out = run(
        "ingest.py", "--events", "300", "--devices", "3", "--rounds", "1", "--databases", database()
    )

    row = re.search(
        r"\| \w+ \| 1 \| 300 \| [^|]+\| [^|]+\| [^|]+\| (\d+) \| (\d+) \| (\d+) \|", out
    )
    assert row is not None, out
    assert row.groups() == ("300", "300", "0")  # acked, stored, lost


def test_fleet_benchmark_decides_and_stores_every_scan():
    out = run(
        "fleet.py",
        *("--devices", "4", "--rate", "10", "--duration", "2", "--workers", "1"),
        *("--database", database()),
    )

    assert "| decisions answered / unanswered / wrong | 20 / 0 / 0 |" in out
    assert "| decision events sent / acked / stored | 20 / 20 / 20 |" in out
