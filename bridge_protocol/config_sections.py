"""The sections of a bridge config file; `bridge_protocol.config` puts them together."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    SecretStr,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic import BaseModel as _BaseModel
from pydantic_core.core_schema import SerializationInfo

from bridge_protocol.acl import StalePolicy
from bridge_protocol.badges import ReaderFormat
from bridge_protocol.codec import PY_LAX
from bridge_protocol.errors import ConfigError
from bridge_protocol.keys import KID_PATTERN, badge_key_from_b64, key_id, public_key_from_b64
from bridge_protocol.signing import Verifier
from bridge_protocol.wire import DeviceId

EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
FilePath = Annotated[Path, PY_LAX]
_PIN_NAME = re.compile(r"[A-Za-z0-9:_]{1,32}")


def _check_pin(pin: int | str) -> int | str:
    if isinstance(pin, int) and not 0 <= pin <= 63:
        raise ValueError("a pin number is 0 to 63")
    if isinstance(pin, str) and not _PIN_NAME.fullmatch(pin):
        raise ValueError("a pin name looks like GPIO17, BOARD11 or J8:11")
    return pin


#: a BCM pin number or a gpiozero pin name
Pin = Annotated[int | str, AfterValidator(_check_pin)]
_MASK = "**********"


class ConfigSection(_BaseModel):
    """A table of the TOML file: strict types, no unknown keys, immutable, no inputs in errors."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, hide_input_in_errors=True)


class DeviceSection(ConfigSection):
    id: DeviceId
    kind: Literal["door", "machine"]
    resource: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")] | None = None


class MqttSection(ConfigSection):
    url: str = Field(max_length=255)
    username: str | None = Field(default=None, description="must equal the device id if given")
    password: SecretStr | None = None
    password_env: EnvName | None = None
    protocol: Literal["auto", "5", "3.1.1"] = "auto"
    keepalive_s: int = Field(default=30, ge=1, le=3600)
    reconnect_min_s: float = Field(default=1.0, ge=0.01, le=3600)
    reconnect_max_s: float = Field(default=60.0, ge=0.01, le=3600)
    ca_file: FilePath | None = None
    request_timeout_ms: int = Field(default=300, ge=20, le=10_000)

    @field_validator("url")
    @classmethod
    def _mqtt_url(cls, url: str) -> str:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise ValueError("not a valid URL") from None
        if parts.scheme not in ("mqtt", "mqtts"):
            raise ValueError("the URL must start with mqtt:// or mqtts://")
        if not parts.hostname:
            raise ValueError("the URL needs a host")
        if parts.username is not None or parts.password is not None:
            raise ValueError("put credentials in username/password_env, not in the URL")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError("the URL may hold only a scheme, a host and a port")
        if port == 0:
            raise ValueError("the port must be 1 to 65535")
        return url

    @model_validator(mode="after")
    def _consistent(self) -> MqttSection:
        if self.password is not None and self.password_env is not None:
            raise ValueError("give password or password_env, not both")
        if self.reconnect_min_s > self.reconnect_max_s:
            raise ValueError("reconnect_min_s must not exceed reconnect_max_s")
        if self.ca_file is not None and not self.tls:
            raise ValueError("ca_file needs an mqtts:// URL")
        return self

    @property
    def tls(self) -> bool:
        return urlsplit(self.url).scheme == "mqtts"

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or (8883 if self.tls else 1883)

    def resolved_password(self, environ: Mapping[str, str] | None = None) -> str | None:
        if self.password is not None:
            return self.password.get_secret_value()
        if self.password_env is None:
            return None
        value = (os.environ if environ is None else environ).get(self.password_env)
        if value is None:
            raise ConfigError([f"mqtt.password_env: {self.password_env} is not set"])
        return value

    @field_serializer("password", when_used="always")
    def _dump_password(self, value: SecretStr | None, info: SerializationInfo) -> str | None:
        return _reveal(value, info)


class StoreSection(ConfigSection):
    path: FilePath = Path("/var/lib/incubator-bridge/bridge.sqlite3")


class PublicKeyEntry(ConfigSection):
    kid: str = Field(pattern=KID_PATTERN)
    key: str = Field(max_length=100, description="base64 of the 32-byte Ed25519 public key")

    @model_validator(mode="after")
    def _kid_matches_key(self) -> PublicKeyEntry:
        try:
            public_key = public_key_from_b64(self.key)
        except ValueError:
            raise ValueError("key is not a base64 Ed25519 public key") from None
        if key_id(public_key) != self.kid:
            raise ValueError(f"kid does not match the key (the key's id is {key_id(public_key)})")
        return self


class KeysSection(ConfigSection):
    server_public_keys: Annotated[tuple[PublicKeyEntry, ...], PY_LAX] = Field(
        min_length=1, max_length=2
    )
    badge_key: SecretStr | None = None
    badge_key_env: EnvName | None = None

    @field_validator("badge_key")
    @classmethod
    def _badge_key_decodes(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            check_badge_key(value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _one_badge_key_source(self) -> KeysSection:
        if (self.badge_key is None) == (self.badge_key_env is None):
            raise ValueError("give exactly one of badge_key and badge_key_env")
        if len({entry.kid for entry in self.server_public_keys}) != len(self.server_public_keys):
            raise ValueError("server_public_keys lists the same key twice")
        return self

    def verifier(self) -> Verifier:
        return Verifier({e.kid: public_key_from_b64(e.key) for e in self.server_public_keys})

    def resolved_badge_key(self, environ: Mapping[str, str] | None = None) -> bytes:
        if self.badge_key is not None:
            return badge_key_from_b64(self.badge_key.get_secret_value())
        name = self.badge_key_env or ""
        value = (os.environ if environ is None else environ).get(name)
        if value is None:
            raise ConfigError([f"keys.badge_key_env: {name} is not set"])
        try:
            return badge_key_from_b64(check_badge_key(value))
        except ValueError as exc:
            raise ConfigError([f"keys.badge_key_env: {name}: {exc}"]) from None

    @field_serializer("badge_key", when_used="always")
    def _dump_badge_key(self, value: SecretStr | None, info: SerializationInfo) -> str | None:
        return _reveal(value, info)


class ReaderSection(ConfigSection):
    kind: Literal["evdev", "stdin", "simulated"]
    device: FilePath | None = Field(default=None, description="input device, evdev only")
    format: ReaderFormat = "hex"

    @model_validator(mode="after")
    def _device_for_evdev(self) -> ReaderSection:
        if self.kind == "evdev" and self.device is None:
            raise ValueError("an evdev reader needs device (e.g. /dev/input/by-id/...)")
        return self


class GpioSection(ConfigSection):
    door_strike: Pin | None = None
    door_contact: Pin | None = None
    machine_relay: Pin | None = None
    busy_input: Pin | None = None
    led_green: Pin | None = None
    led_red: Pin | None = None
    buzzer: Pin | None = None
    door_strike_active_high: bool = True
    machine_relay_active_high: bool = True
    led_active_high: bool = True
    buzzer_active_high: bool = True
    door_contact_pull_up: bool = True
    busy_input_active_high: bool = True

    @model_validator(mode="after")
    def _pins_used_once(self) -> GpioSection:
        pins = [
            self.door_strike,
            self.door_contact,
            self.machine_relay,
            self.busy_input,
            self.led_green,
            self.led_red,
            self.buzzer,
        ]
        used = [pin for pin in pins if pin is not None]
        if len(set(used)) != len(used):
            raise ValueError("a pin is assigned to more than one role")
        return self


class DoorSection(ConfigSection):
    unlock_s: int = Field(default=5, ge=1, le=3600)
    held_open_s: int = Field(default=30, ge=1, le=86_400)


class MachineSection(ConfigSection):
    idle_timeout_s: int = Field(default=900, ge=10, le=86_400)
    tick_s: int = Field(default=60, ge=1, le=3600)
    warn_before_s: Annotated[tuple[Annotated[int, Field(ge=1, le=86_400)], ...], PY_LAX] = Field(
        default=(600, 120), max_length=5
    )
    hard_limit_s: int | None = Field(default=None, ge=60, le=7 * 86_400)
    badge_out_keeps_power: bool = False
    takeover_only_when_idle: bool = True

    @field_validator("warn_before_s")
    @classmethod
    def _descending(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(later >= earlier for earlier, later in itertools.pairwise(value)):
            raise ValueError("warnings must be listed from the earliest, e.g. [600, 120]")
        return value


class PolicySection(ConfigSection):
    stale: Annotated[StalePolicy, PY_LAX] | None = Field(
        default=None, description="default: staff_only for machines, keep for doors"
    )
    resend_s: int = Field(default=30, ge=1, le=3600)


class LogSection(ConfigSection):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


def check_badge_key(text: str) -> str:
    try:
        badge_key_from_b64(text)
    except ValueError:
        raise ValueError("must be base64 of 32 bytes") from None
    return text


def _reveal(value: SecretStr | None, info: SerializationInfo) -> str | None:
    if value is None:
        return None
    context = info.context or {}
    return value.get_secret_value() if context.get("reveal_secrets") else _MASK
