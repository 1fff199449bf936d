"""The bridge config a new (or re-keyed) device runs with: complete, and valid by construction.

`bridge_config_for` fills the bridge's own config model (`bridge_protocol.config`)
and checks the TOML it writes with the bridge's own parser before returning it,
so what a manager copies to a Pi starts as it is (``incubator-bridge --config``).
It holds the device's MQTT password and badge key inline: the file is a secret
(mode 0600 on the Pi), shown once and never stored by the server.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.models import Device, DeviceKind
from bridge_protocol.badge_keys import derive_device_key
from bridge_protocol.config import dump_toml, parse_config
from bridge_protocol.keys import encode_b64, key_id, public_key_to_b64

# The bridge's default wiring (devices/pins.py, docs/hardware.md), repeated here
# because the server does not install the Pi's drivers. Optional inputs (door
# contact, busy input) are left out: unwired, they would read as a door standing
# open or a machine standing idle.
_LIGHT = {"led_green": 24, "led_red": 25, "buzzer": 16}
_OUTPUTS = {DeviceKind.DOOR: {"door_strike": 17}, DeviceKind.MACHINE: {"machine_relay": 22}}
DEFAULT_READER_DEVICE = "/dev/input/event0"


def public_broker_url(url: str) -> str:
    """``scheme://host[:port]`` of an MQTT URL, credentials and anything else dropped."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ValueError("the broker URL must look like mqtt://host:port or mqtts://host:port")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def _header(device: Device, *, url: str, ca_file: str | None, now: dt.datetime) -> str:
    lines = [
        f"# Bridge configuration of device {device.id}, made {now:%Y-%m-%d %H:%M} UTC.",
        "# It holds this device's MQTT password and badge key: keep it private",
        "# (chmod 600) and put it only on this device's Pi. The server keeps no copy;",
        "# rotate the device's credentials for a new one. Run: incubator-bridge --config FILE",
        "# reader.device: better the reader's stable name under /dev/input/by-id/.",
        "# Wired a door contact or a machine's busy input? Add gpio.door_contact or",
        "# gpio.busy_input (docs/hardware.md).",
    ]
    if urlsplit(url).scheme == "mqtts":
        if ca_file:
            lines.append(f"# mqtt.ca_file: copy the CA certificate of the broker to {ca_file}.")
        else:
            lines.append("# mqtt.ca_file is not set: the Pi checks the broker with its system CAs.")
    return "\n".join(lines) + "\n\n"


def bridge_config_for(
    device: Device,
    *,
    password: str,
    mqtt_public_url: str,
    signing_public_keys: Sequence[Ed25519PublicKey],
    site_badge_key: bytes,
    ca_file: str | None = None,
    reader_device: str = DEFAULT_READER_DEVICE,
    reader_format: str = "hex",
    now: dt.datetime,
) -> str:
    """The device's config file as TOML text; raises ConfigError if it would not load."""
    url = public_broker_url(mqtt_public_url)
    mqtt: dict[str, Any] = {"url": url, "username": device.id, "password": password}
    if ca_file and urlsplit(url).scheme == "mqtts":
        mqtt["ca_file"] = ca_file
    data: dict[str, Any] = {
        "device": {
            "id": device.id,
            "kind": str(device.kind),
            "resource": device.resource.slug if device.resource else None,
        },
        "mqtt": mqtt,
        "keys": {
            "server_public_keys": [
                {"kid": key_id(key), "key": public_key_to_b64(key)} for key in signing_public_keys
            ],
            "badge_key": encode_b64(derive_device_key(site_badge_key, device.id)),
        },
        "reader": {"kind": "evdev", "device": reader_device, "format": reader_format},
        "gpio": {**_OUTPUTS[device.kind], **_LIGHT},
    }
    text = _header(device, url=url, ca_file=mqtt.get("ca_file"), now=now) + dump_toml(data)
    parse_config(text, source=f"bridge config of {device.id}", environ={})
    return text
