"""The simulated Pis' bridge configs: the server's own config for each, tuned for one laptop.

Each starts from what a manager would get (`bridge_config_text`: broker
address, the device's password, the server's public key, the device's badge
key) and changes only what a simulation needs: the store file under the demo's
directory, the simulated reader, the MQTT version of the demo's broker, quick
reconnects, and a generous answer timeout for a busy machine. The result is
checked by the bridge's own parser before it is written (mode 600).
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app.device_provisioning import BridgeMaterial, bridge_config_text
from app.services.devices import Credentials
from bridge_protocol.config import dump_toml, parse_config

MACHINE_TICK_S = 15


def demo_bridge_config(
    credentials: Credentials,
    *,
    material: BridgeMaterial,
    store_path: Path,
    protocol: str,
    now: dt.datetime,
) -> str:
    device = credentials.device
    text = bridge_config_text(device, password=credentials.password, material=material, now=now)
    data: dict[str, Any] = tomllib.loads(text)
    data["store"] = {"path": str(store_path)}
    data["reader"] = {"kind": "simulated", "format": "hex"}
    data["mqtt"].update(
        protocol=protocol, reconnect_min_s=0.5, reconnect_max_s=3.0, request_timeout_ms=1500
    )
    if str(device.kind) == "machine":
        data["machine"] = {"tick_s": MACHINE_TICK_S}
    header = (
        f"# Simulated Pi {device.id}, written by `incubator demo` at every start.\n"
        "# Holds this device's MQTT password and badge key for the demo's broker.\n\n"
    )
    text = header + dump_toml(data)
    parse_config(text, source=f"demo bridge config of {device.id}", environ={})
    return text


def write_bridge_configs(
    directory: Path,
    credentials: Mapping[str, Credentials],
    *,
    material: BridgeMaterial,
    protocol: str,
    now: dt.datetime,
) -> dict[str, Path]:
    """One ``<id>.toml`` per device (and its store ``<id>.sqlite3``) in `directory`."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    written: dict[str, Path] = {}
    for device_id, creds in credentials.items():
        text = demo_bridge_config(
            creds,
            material=material,
            store_path=directory / f"{device_id}.sqlite3",
            protocol=protocol,
            now=now,
        )
        path = directory / f"{device_id}.toml"
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
        written[device_id] = path
    return written
