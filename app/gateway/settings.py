"""The gateway's settings, read once from the app config (``INCUBATOR_*`` variables).

``MQTT_URL`` (``mqtt://user:password@host:port``, or ``mqtts://``) names the
gateway's own broker account. ``GATEWAY_*`` keys have the defaults below.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

DEFAULTS: dict[str, Any] = {
    "GATEWAY_METRICS_PORT": 9108,  # 0: any free port; -1: no metrics server
    "GATEWAY_KEEPALIVE_S": 30,
    "GATEWAY_RECONNECT_MIN_S": 0.5,
    "GATEWAY_RECONNECT_MAX_S": 30.0,
    "GATEWAY_PROTOCOL": "auto",  # "auto" (5, else 3.1.1), "5" or "3.1.1"
    "GATEWAY_SESSION_EXPIRY_S": 7 * 86_400,
    "GATEWAY_MQTT_CA_FILE": None,
    "GATEWAY_OUTBOX_POLL_S": 0.25,
    "GATEWAY_SNAPSHOT_MAX_AGE_S": 60.0,
    "GATEWAY_BATCH_SIZE": 100,
    "GATEWAY_BATCH_WINDOW_S": 0.05,
    "GATEWAY_QUEUE_LIMIT": 20_000,
    "GATEWAY_AUTH_RATE_PER_S": 10.0,  # per device; bursts up to 2x
    # device accounts through Mosquitto's dynamic-security plugin (off: account rows wait)
    "GATEWAY_DYNSEC": True,
    # `incubator demo` only: device roles may also read the demo's sim/{dev}/scan topic
    "GATEWAY_DEMO_SCANS": False,
}


class SettingsError(ValueError):
    """A setting the gateway cannot start with; the message says which and why."""


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    username: str
    password: str
    tls: bool

    def __repr__(self) -> str:  # never the password
        scheme = "mqtts" if self.tls else "mqtt"
        return f"BrokerAddress({scheme}://{self.username}@{self.host}:{self.port})"


def parse_broker_url(url: str) -> BrokerAddress:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise SettingsError(f"INCUBATOR_MQTT_URL is not a valid URL: {exc}") from None
    if parts.scheme not in ("mqtt", "mqtts"):
        raise SettingsError("INCUBATOR_MQTT_URL must start with mqtt:// or mqtts://")
    if not parts.hostname:
        raise SettingsError("INCUBATOR_MQTT_URL names no host")
    if not parts.username or parts.password is None:
        raise SettingsError(
            "INCUBATOR_MQTT_URL must carry the gateway's broker account: mqtt://user:password@host"
        )
    tls = parts.scheme == "mqtts"
    return BrokerAddress(
        host=parts.hostname,
        port=port or (8883 if tls else 1883),
        username=unquote(parts.username),
        password=unquote(parts.password),
        tls=tls,
    )


@dataclass(frozen=True)
class GatewaySettings:
    broker: BrokerAddress
    signing_key_file: str
    badge_key_file: str
    timezone: str
    metrics_port: int
    keepalive_s: int
    reconnect_min_s: float
    reconnect_max_s: float
    protocol: str
    session_expiry_s: int
    ca_file: str | None
    outbox_poll_s: float
    snapshot_max_age_s: float
    batch_size: int
    batch_window_s: float
    queue_limit: int
    auth_rate_per_s: float
    dynsec: bool
    demo_scans: bool = False

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> GatewaySettings:
        def get(name: str) -> Any:
            value = config.get(name)
            return DEFAULTS[name] if value is None else value

        for name in ("SIGNING_KEY_FILE", "BADGE_KEY_FILE"):
            if not config.get(name):
                raise SettingsError(f"INCUBATOR_{name} is not set (run `incubator keys init`)")
        protocol = str(get("GATEWAY_PROTOCOL"))
        if protocol not in ("auto", "5", "3.1.1"):
            raise SettingsError('INCUBATOR_GATEWAY_PROTOCOL must be "auto", "5" or "3.1.1"')
        try:
            return cls(
                broker=parse_broker_url(str(config.get("MQTT_URL") or "")),
                signing_key_file=str(config["SIGNING_KEY_FILE"]),
                badge_key_file=str(config["BADGE_KEY_FILE"]),
                timezone=str(config.get("TIMEZONE") or "Europe/Brussels"),
                metrics_port=int(get("GATEWAY_METRICS_PORT")),
                keepalive_s=max(1, int(get("GATEWAY_KEEPALIVE_S"))),
                reconnect_min_s=float(get("GATEWAY_RECONNECT_MIN_S")),
                reconnect_max_s=float(get("GATEWAY_RECONNECT_MAX_S")),
                protocol=protocol,
                session_expiry_s=int(get("GATEWAY_SESSION_EXPIRY_S")),
                ca_file=get("GATEWAY_MQTT_CA_FILE"),
                outbox_poll_s=float(get("GATEWAY_OUTBOX_POLL_S")),
                snapshot_max_age_s=float(get("GATEWAY_SNAPSHOT_MAX_AGE_S")),
                batch_size=max(1, int(get("GATEWAY_BATCH_SIZE"))),
                batch_window_s=float(get("GATEWAY_BATCH_WINDOW_S")),
                queue_limit=max(1, int(get("GATEWAY_QUEUE_LIMIT"))),
                auth_rate_per_s=float(get("GATEWAY_AUTH_RATE_PER_S")),
                dynsec=_flag(get("GATEWAY_DYNSEC")),
                demo_scans=_flag(get("GATEWAY_DEMO_SCANS")),
            )
        except (TypeError, ValueError) as exc:
            if isinstance(exc, SettingsError):
                raise
            raise SettingsError(f"a GATEWAY_* setting has the wrong type: {exc}") from None


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "off")
    return bool(value)
