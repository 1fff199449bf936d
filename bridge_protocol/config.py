"""The bridge configuration: one model shared by the bridge that reads it and the
server that writes it (so an emitted config is valid by construction).

`load_config` reads TOML, validates it once and reports every problem it finds
in one `ConfigError`. Secrets (MQTT password, device badge key) are `SecretStr`
and never appear in a repr, a str or an error message; each may be given inline
or, better, as the name of an environment variable (``password_env``).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError, model_validator

from bridge_protocol.acl import StalePolicy
from bridge_protocol.config_sections import (
    ConfigSection,
    DeviceSection,
    DoorSection,
    GpioSection,
    KeysSection,
    LogSection,
    MachineSection,
    MqttSection,
    PolicySection,
    ReaderSection,
    StoreSection,
)
from bridge_protocol.errors import ConfigError
from bridge_protocol.toml_writer import dump_toml

__all__ = [
    "BridgeConfig",
    "ConfigError",
    "config_to_dict",
    "dump_toml",
    "load_config",
    "parse_config",
]


class BridgeConfig(ConfigSection):
    device: DeviceSection
    mqtt: MqttSection
    store: StoreSection = StoreSection()
    keys: KeysSection
    reader: ReaderSection
    gpio: GpioSection = GpioSection()
    door: DoorSection = DoorSection()
    machine: MachineSection = MachineSection()
    policy: PolicySection = PolicySection()
    log: LogSection = LogSection()

    @model_validator(mode="after")
    def _fits_the_device(self) -> BridgeConfig:
        problems = []
        if self.mqtt.username is not None and self.mqtt.username != self.device.id:
            problems.append("mqtt.username must equal device.id (the broker ACL relies on it)")
        if self.device.kind == "door" and self.gpio.door_strike is None:
            problems.append("a door needs gpio.door_strike")
        if self.device.kind == "machine" and self.gpio.machine_relay is None:
            problems.append("a machine needs gpio.machine_relay")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def stale_policy(self) -> StalePolicy:
        if self.policy.stale is not None:
            return self.policy.stale
        return StalePolicy.KEEP if self.device.kind == "door" else StalePolicy.STAFF_ONLY


# Loading ------------------------------------------------------------------------


def load_config(
    path: str | os.PathLike[str], *, environ: Mapping[str, str] | None = None
) -> BridgeConfig:
    """Read and validate a bridge config file, or raise one ConfigError listing every problem."""
    source = os.fspath(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"cannot read the file: {exc.strerror or exc}"], source=source) from None
    except UnicodeDecodeError:
        raise ConfigError(["the file is not UTF-8 text"], source=source) from None
    return parse_config(text, source=source, environ=environ)


def parse_config(
    text: str, *, source: str = "configuration", environ: Mapping[str, str] | None = None
) -> BridgeConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"not valid TOML: {exc}"], source=source) from None
    try:
        config = BridgeConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc), source=source) from None
    problems = _environment_problems(config, os.environ if environ is None else environ)
    if problems:
        raise ConfigError(problems, source=source)
    return config


def config_to_dict(config: BridgeConfig, *, reveal_secrets: bool = False) -> dict[str, Any]:
    """The config as TOML-ready data; secrets masked unless `reveal_secrets`."""
    return config.model_dump(
        mode="json", exclude_none=True, context={"reveal_secrets": reveal_secrets}
    )


def _environment_problems(config: BridgeConfig, environ: Mapping[str, str]) -> list[str]:
    problems = []
    for check in (
        lambda: config.mqtt.resolved_password(environ),
        lambda: config.keys.resolved_badge_key(environ),
    ):
        try:
            check()
        except ConfigError as exc:
            problems.extend(exc.errors)
    return problems


def _describe(exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        loc = error["loc"]
        if error["type"] != "extra_forbidden":
            loc = tuple(part for part in loc if not _is_union_tag(part))
        where = ".".join(str(part) for part in loc) or "config"
        if error["type"] == "missing":
            message = "missing"
        elif error["type"] == "extra_forbidden":
            message = "unknown key"
        else:
            message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}")
    return list(dict.fromkeys(problems))


def _is_union_tag(part: int | str) -> bool:
    return isinstance(part, str) and ("[" in part or part in ("int", "str"))
