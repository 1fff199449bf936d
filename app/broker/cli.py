"""`incubator mqtt ...`: the broker's files."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from .connection import BrokerUrl
from .mosquitto_config import DYNSEC_NAME, find_dynsec_plugin, write_config


@click.group("mqtt")
def mqtt_cli() -> None:
    """The MQTT broker (Mosquitto with its dynamic-security plugin)."""


@mqtt_cli.command("write-config")
@click.option(
    "--dir",
    "directory",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write mosquitto.conf and dynamic-security.json (also the persistence).",
)
@click.option("--port", type=click.IntRange(1, 65535), default=1883, show_default=True)
@click.option(
    "--user",
    default=None,
    help="The account Mosquitto runs as (written as `user`; the files are given to it).",
)
@click.option("--plugin", default=None, help="Path of mosquitto_dynamic_security.so.")
@click.option("--force", is_flag=True, help=f"Replace an existing {DYNSEC_NAME} (its accounts).")
def write_config_command(
    directory: Path, port: int, user: str | None, plugin: str | None, force: bool
) -> None:
    """Write Mosquitto's config and its initial accounts (the gateway's, from INCUBATOR_MQTT_URL).

    Start the broker with `mosquitto -c DIR/mosquitto.conf`.
    """
    try:
        url = BrokerUrl.parse(str(current_app.config["MQTT_URL"]))
    except ValueError as exc:
        raise click.UsageError(f"INCUBATOR_MQTT_URL: {exc}") from None
    if not url.username or not url.password:
        raise click.UsageError(
            "INCUBATOR_MQTT_URL must hold the gateway's account: mqtt://USER:PASSWORD@host:port"
        )
    plugin = plugin or find_dynsec_plugin()
    if not plugin:
        raise click.UsageError(
            "mosquitto_dynamic_security.so not found (apt-get install mosquitto); give --plugin"
        )
    written = write_config(
        directory,
        port=port,
        gateway_username=url.username,
        gateway_password=url.password,
        plugin=plugin,
        user=user,
        force=force,
    )
    click.echo(f"written: {written.conf}")
    if written.dynsec_kept:
        click.echo(f"kept: {written.dynsec} (its accounts are live; --force replaces it)")
    else:
        click.echo(f"written: {written.dynsec} (account {url.username!r} for the gateway)")
    click.echo(f"start it with: mosquitto -c {written.conf}")
