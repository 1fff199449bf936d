"""A real Mosquitto configured exactly as `incubator mqtt write-config` configures it.

`DynsecBroker(directory)` runs the command (``python -m app.cli mqtt write-config``)
with INCUBATOR_MQTT_URL naming a random gateway password, then starts
``mosquitto -c DIR/mosquitto.conf``: accounts and ACLs live in the
dynamic-security plugin, as in production. Device accounts are then made
through the plugin's control API (`app.broker.dynsec`). Use it as a context
manager; `restart` keeps the directory (persistence and the plugin's file).

Run as root, the config says ``user root`` (``--user root``): Mosquitto would
otherwise switch to its own user, which cannot read a test's private directory.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path
from types import TracebackType

from tests.support.mosquitto import HOST, BrokerError, free_port, require_mosquitto, wait_for_port

GATEWAY_USER = "gateway"
_STOP_TIMEOUT_S = 5.0


class DynsecBroker:
    def __init__(self, directory: Path, *, port: int | None = None) -> None:
        self.binary = require_mosquitto()
        self.dir = Path(directory)
        self.port = port or free_port()
        self.gateway_user = GATEWAY_USER
        self.gateway_password = secrets.token_urlsafe(18)
        self.instance = self.dir / "instance"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def conf(self) -> Path:
        return self.dir / "broker" / "mosquitto.conf"

    @property
    def dynsec_file(self) -> Path:
        return self.dir / "broker" / "dynamic-security.json"

    @property
    def log_path(self) -> Path:
        return self.dir / "mosquitto.log"

    @property
    def gateway_url(self) -> str:
        return f"mqtt://{self.gateway_user}:{self.gateway_password}@{HOST}:{self.port}"

    def cli_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("INCUBATOR_")}
        env.update(
            INCUBATOR_INSTANCE_PATH=str(self.instance),
            INCUBATOR_ENV="development",
            INCUBATOR_SQLALCHEMY_DATABASE_URI=f"sqlite:///{self.instance / 'unused.sqlite'}",
            INCUBATOR_MQTT_URL=self.gateway_url,
        )
        return env

    def write_config(
        self, *extra: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``incubator mqtt write-config --dir DIR/broker --port PORT [--user root]``."""
        args = ["mqtt", "write-config", "--dir", str(self.dir / "broker"), "--port", str(self.port)]
        if os.geteuid() == 0:
            args += ["--user", "root"]
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *args, *extra],
            env={**self.cli_env(), **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    @property
    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> DynsecBroker:
        if not self.conf.exists():
            result = self.write_config()
            if result.returncode != 0:
                raise BrokerError(f"write-config failed: {result.stderr}")
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [self.binary, "-c", str(self.conf)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                cwd=self.dir,
            )
        if not wait_for_port(HOST, self.port) or not self.is_running:
            tail = "\n".join(self.log_text().splitlines()[-20:])
            self.stop()
            raise BrokerError(f"mosquitto did not start on port {self.port}:\n{tail}")
        return self

    def stop(self) -> None:
        process = self._process
        self._process = None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(_STOP_TIMEOUT_S)

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> DynsecBroker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
