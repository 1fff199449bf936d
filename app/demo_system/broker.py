"""The demo's broker: Mosquitto configured by our own `write-config`, else amqtt.

`plan_broker` picks the broker (``auto``: Mosquitto when its binary and its
dynamic-security plugin are installed), writes its files under the demo's
directory with fresh passwords for the gateway and the simulator, and returns
how to start it. With Mosquitto the gateway manages the device accounts (the
dynamic-security plugin, device roles that may also read ``sim/<dev>/scan``);
with the embedded broker the demo writes them itself (`BrokerPlan.set_devices`).
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from app.broker.mosquitto_config import find_dynsec_plugin, password_fields, write_config
from bridge_protocol import topics

from .embedded_broker import write_accounts
from .state import GATEWAY_USERNAME, SIMULATOR_USERNAME, DemoState

HOST = "127.0.0.1"
MOSQUITTO_PATHS = (
    "/usr/sbin/mosquitto",
    "/usr/local/sbin/mosquitto",
    "/opt/homebrew/sbin/mosquitto",
)
SIMULATOR_ROLE = "demo-simulator"
CHOICES = ("auto", "mosquitto", "embedded")


class BrokerUnavailable(RuntimeError):
    """No broker the demo can start; the message says what to install."""


def find_mosquitto() -> str | None:
    for candidate in (shutil.which("mosquitto"), *MOSQUITTO_PATHS):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def amqtt_installed() -> bool:
    return importlib.util.find_spec("amqtt") is not None


@dataclass
class BrokerPlan:
    kind: str
    argv: list[str]
    port: int
    gateway_password: str
    simulator_password: str
    accounts_file: Path | None = None
    _accounts: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def protocol(self) -> str:
        return "3.1.1" if self.kind == "embedded" else "auto"

    @property
    def gateway_url(self) -> str:
        return (
            f"mqtt://{GATEWAY_USERNAME}:{quote(self.gateway_password, safe='')}@{HOST}:{self.port}"
        )

    @property
    def public_url(self) -> str:
        return f"mqtt://{HOST}:{self.port}"

    def state(self) -> DemoState:
        return DemoState(
            broker=self.kind,
            host=HOST,
            port=self.port,
            protocol=self.protocol,
            simulator_username=SIMULATOR_USERNAME,
            simulator_password=self.simulator_password,
        )

    def set_devices(self, passwords: Mapping[str, str]) -> None:
        """Embedded broker only: the device accounts (read by the broker at every login)."""
        if self.accounts_file is None:
            return
        self._accounts.update(passwords)
        write_accounts(self.accounts_file, self._accounts)


def plan_broker(choice: str, *, directory: Path, port: int) -> BrokerPlan:
    if choice not in CHOICES:
        raise BrokerUnavailable(f"the broker must be one of {', '.join(CHOICES)}, not {choice!r}")
    gateway_password = secrets.token_urlsafe(18)
    simulator_password = secrets.token_urlsafe(18)
    binary, plugin = find_mosquitto(), find_dynsec_plugin()
    if choice == "mosquitto" or (choice == "auto" and binary and plugin):
        if not binary or not plugin:
            raise BrokerUnavailable(
                "Mosquitto with its dynamic-security plugin is not installed "
                "(apt-get install mosquitto)"
            )
        return _mosquitto(
            directory / "mosquitto", binary, plugin, port, gateway_password, simulator_password
        )
    if not amqtt_installed():
        raise BrokerUnavailable(
            "no broker: install Mosquitto (apt-get install mosquitto) or the dev extra "
            "(pip install -e '.[dev]', which brings amqtt)"
        )
    return _embedded(directory / "broker", port, gateway_password, simulator_password)


def _mosquitto(
    directory: Path, binary: str, plugin: str, port: int, gateway_pw: str, simulator_pw: str
) -> BrokerPlan:
    # As root Mosquitto would switch to its own user, which may not reach a private
    # instance directory; `user root` keeps it as it is (as tests/support does).
    user = "root" if os.geteuid() == 0 else None
    written = write_config(
        directory,
        port=port,
        gateway_username=GATEWAY_USERNAME,
        gateway_password=gateway_pw,
        plugin=plugin,
        user=user,
        force=True,  # fresh accounts each start: the gateway recreates the devices'
    )
    _add_simulator(written.dynsec, simulator_pw)
    return BrokerPlan(
        kind="mosquitto",
        argv=[binary, "-c", str(written.conf)],
        port=port,
        gateway_password=gateway_pw,
        simulator_password=simulator_pw,
    )


def _add_simulator(dynsec_path: Path, password: str) -> None:
    """The simulator's account: it may only publish to the demo's scan topics."""
    state = json.loads(dynsec_path.read_text(encoding="utf-8"))
    acl = {
        "acltype": "publishClientSend",
        "topic": topics.sim_scan_filter(),
        "priority": 0,
        "allow": True,
    }
    state["roles"].append(
        {"rolename": SIMULATOR_ROLE, "textname": "incubator demo simulator", "acls": [acl]}
    )
    state["clients"].append(
        {
            "username": SIMULATOR_USERNAME,
            "textname": "incubator demo simulator",
            **password_fields(password),
            "roles": [{"rolename": SIMULATOR_ROLE, "priority": 0}],
        }
    )
    mode = dynsec_path.stat().st_mode & 0o777
    tmp = dynsec_path.with_name(dynsec_path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=2)
    os.replace(tmp, dynsec_path)


def _embedded(directory: Path, port: int, gateway_pw: str, simulator_pw: str) -> BrokerPlan:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    accounts_file = directory / "accounts.json"
    plan = BrokerPlan(
        kind="embedded",
        argv=[
            sys.executable,
            "-m",
            "app.demo_system.embedded_broker",
            "--host",
            HOST,
            "--port",
            str(port),
            "--accounts",
            str(accounts_file),
        ],
        port=port,
        gateway_password=gateway_pw,
        simulator_password=simulator_pw,
        accounts_file=accounts_file,
    )
    plan.set_devices({GATEWAY_USERNAME: gateway_pw, SIMULATOR_USERNAME: simulator_pw})
    return plan
