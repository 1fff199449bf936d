"""`incubator demo` and `incubator demo scan` refuse plainly what they cannot do."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from tests.demo.demo_process import ROOT


def run(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("INCUBATOR_")}
    environ.update(INCUBATOR_INSTANCE_PATH=str(tmp_path / "instance"), **env)
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=environ,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_taken_broker_port_is_refused_before_any_work(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run(tmp_path, "demo", "--port", "1", "--mqtt-port", str(port))
    assert done.returncode != 0
    assert "is taken" in done.stderr
    assert not (tmp_path / "instance" / "incubator.sqlite").exists()


def test_the_demo_refuses_production(tmp_path):
    key = tmp_path / "key"
    key.write_bytes(b"not read before the refusal")
    done = run(
        tmp_path,
        "demo",
        INCUBATOR_ENV="production",
        INCUBATOR_SECRET_KEY="x" * 40,
        INCUBATOR_SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'prod.sqlite'}",
        INCUBATOR_SIGNING_KEY_FILE=str(key),
        INCUBATOR_BADGE_KEY_FILE=str(key),
    )
    assert done.returncode != 0
    assert "refuses to run with INCUBATOR_ENV=production" in done.stderr
    assert not (tmp_path / "prod.sqlite").exists()


def test_scanning_without_a_running_demo_says_so(tmp_path):
    done = run(tmp_path, "demo", "scan", "main-entrance", "04A1B2C3D4E502")
    assert done.returncode != 0
    assert "start `incubator demo` first" in done.stderr
