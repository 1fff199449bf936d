"""What the edges (pages, API, CLI) need to give a device its bridge config.

The bridge config names the server's public signing key and the device's badge
key, so both key files must be readable before a device is registered or
re-keyed: `bridge_material` checks that first (a missing key would otherwise
lose the password that is shown only once). The web process reads the signing
key file only to derive the public key, and keeps nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.broker.connection import BrokerUrl
from app.keys import load_badge_key, load_signing_key
from app.models import Device
from app.services.bridge_configs import bridge_config_for
from app.services.errors import N_, DomainError
from bridge_protocol.badges import READER_FORMATS
from bridge_protocol.config import ConfigError

log = logging.getLogger(__name__)


class ProvisioningUnavailable(DomainError):
    """The server cannot make bridge configs: keys or broker address missing."""

    code = "unavailable"
    status = 503


@dataclass(frozen=True)
class BridgeMaterial:
    mqtt_public_url: str
    signing_public_keys: tuple[Ed25519PublicKey, ...]
    site_badge_key: bytes
    ca_file: str | None
    reader_device: str
    reader_format: str


def bridge_material(config: Mapping[str, Any]) -> BridgeMaterial:
    """Everything but the password, read now; raise `ProvisioningUnavailable`."""
    try:
        signing = load_signing_key(str(config.get("SIGNING_KEY_FILE") or ""))
        badge_key = load_badge_key(str(config.get("BADGE_KEY_FILE") or ""))
    except (OSError, ValueError, TypeError, UnsupportedAlgorithm):
        raise ProvisioningUnavailable(
            N_(
                "The server's keys are missing or unreadable: "
                "run `incubator keys init` (see the operator guide)."
            )
        ) from None
    try:
        url = BrokerUrl.parse(str(config.get("MQTT_PUBLIC_URL") or config["MQTT_URL"])).public
    except ValueError:
        raise ProvisioningUnavailable(
            N_("INCUBATOR_MQTT_PUBLIC_URL is not a broker address like mqtts://host:8883.")
        ) from None
    reader_format = str(config.get("BRIDGE_READER_FORMAT") or "hex")
    if reader_format not in READER_FORMATS:
        raise ProvisioningUnavailable(
            N_("INCUBATOR_BRIDGE_READER_FORMAT is not one of the reader formats.")
        )
    return BridgeMaterial(
        mqtt_public_url=url,
        signing_public_keys=(signing.public_key(),),
        site_badge_key=badge_key,
        ca_file=config.get("BRIDGE_CA_FILE") or None,
        reader_device=str(config.get("BRIDGE_READER_DEVICE") or "/dev/input/event0"),
        reader_format=reader_format,
    )


def bridge_config_text(
    device: Device, *, password: str, material: BridgeMaterial, now: dt.datetime
) -> str:
    """The device's config; a setting that makes it invalid is a `ProvisioningUnavailable`."""
    try:
        return _config_text(device, password=password, material=material, now=now)
    except ConfigError as exc:  # names settings, never values: it holds no secret
        log.error("the bridge config of %s would not load: %s", device.id, exc)
        raise ProvisioningUnavailable(
            N_("The server's settings make an invalid bridge config; the log says why.")
        ) from None


def _config_text(
    device: Device, *, password: str, material: BridgeMaterial, now: dt.datetime
) -> str:
    return bridge_config_for(
        device,
        password=password,
        mqtt_public_url=material.mqtt_public_url,
        signing_public_keys=material.signing_public_keys,
        site_badge_key=material.site_badge_key,
        ca_file=material.ca_file,
        reader_device=material.reader_device,
        reader_format=material.reader_format,
        now=now,
    )


def server_account_names(config: Mapping[str, Any]) -> tuple[str, ...]:
    """Broker usernames of the server side (a device may not take them)."""
    try:
        username = BrokerUrl.parse(str(config.get("MQTT_URL") or "")).username
    except ValueError:
        return ()
    return (username,) if username else ()


def sealing_key(config: Mapping[str, Any]) -> str:
    return str(config["SECRET_KEY"])
